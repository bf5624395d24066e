"""When each planned step may be sent into a world whose deadlines fire on their own.

In the pure simulation a trajectory's history is one sequence: its steps, and between them the
deadlines that fired (each at its due moment). A world that fires deadlines by durable timers yields
the same sequence when each step is sent after its world has passed the due moment of every deadline
that fired before the step, and before it reaches the due moment of the first one that fired after
it. Inside that gate the moment of sending does not matter: the step is decided at its own planned
moment. Consecutive steps with no deadline between them share a gate and go one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.demo.scenario import Scenario
from application.demo.simulate import Fire


@dataclass(frozen=True)
class Gate:
    """Send the step once the world is past ``after`` (if set) and still before ``before`` (if set)."""

    after: datetime | None
    before: datetime | None

    def open_at(self, world: datetime) -> bool:
        """Whether a world standing at ``world`` may receive the step now."""
        return (self.after is None or world > self.after) and (self.before is None or world < self.before)


def gates(scenario: Scenario, fires: Sequence[Fire]) -> tuple[Gate, ...]:
    """One gate per step of ``scenario``, from the deadlines that fired in its simulation."""
    result = []
    for index, step in enumerate(scenario.steps):
        before_step = [f.due_at for f in fires if f.after_steps <= index]
        # A deadline the step itself made overdue fires right after it, whatever the world's clock says
        # (the workflow fires it before it takes the next command); only later ones bound the clock.
        after_step = [f.due_at for f in fires if f.after_steps > index and f.due_at > step.at]
        result.append(Gate(max(before_step, default=None), min(after_step, default=None)))
    return tuple(result)
