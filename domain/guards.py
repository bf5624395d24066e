"""What every rule module needs: the decision context (time, rules) and the common refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.calendar import local_date, require_aware
from domain.commands import Command
from domain.errors import DateInPast, FrameworkMismatch, InvalidCommand
from domain.rules import Rules
from domain.state import TrajectoryState
from domain.vocabulary import Phase


@dataclass(frozen=True)
class Context:
    """The moment of decision (UTC), its Amsterdam date, and the trajectory's rules."""

    now: datetime
    today: date
    rules: Rules

    @classmethod
    def at(cls, now: datetime, rules: Rules) -> Context:
        """Context for ``now`` (must be timezone-aware)."""
        utc = require_aware(now)
        return cls(now=utc, today=local_date(utc), rules=rules)

    def stamp(self, state: TrajectoryState) -> dict[str, Any]:
        """The fields every event of this decision shares."""
        return {"trajectory_id": state.trajectory_id, "occurred_at": self.now}


def command_name(command: Command) -> str:
    """The command's type name, for messages."""
    return type(command).__name__


def require_rules_for(state: TrajectoryState, rules: Rules) -> None:
    """A trajectory is judged by the framework version it opened under, never by a newer one."""
    if rules.version_id != state.framework_version:
        raise FrameworkMismatch(
            f"traject {state.trajectory_id} loopt onder kader '{state.framework_version}', "
            f"niet onder '{rules.version_id}'",
            trajectory=state.framework_version,
            given=rules.version_id,
        )


def require_open(state: TrajectoryState, command: Command) -> None:
    """Nothing changes a closed trajectory."""
    if not state.is_open:
        raise InvalidCommand(
            f"{command_name(command)} niet mogelijk: traject {state.trajectory_id} is afgesloten",
            rule="state.closed",
        )


def require_phase(state: TrajectoryState, command: Command, *phases: Phase) -> None:
    """Refuse a command outside the phases it belongs to, naming both."""
    require_open(state, command)
    if state.phase not in phases:
        expected = " of ".join(f"'{p.value}'" for p in phases)
        raise InvalidCommand(
            f"{command_name(command)} niet mogelijk in fase '{state.phase.value}' (verwacht: {expected})",
            rule="state.phase",
            phase=state.phase.value,
        )


def require_not_past(day: date, today: date, what: str) -> None:
    """Refuse a date before today (Amsterdam)."""
    if day < today:
        raise DateInPast(
            f"{what} {day.isoformat()} ligt in het verleden (vandaag is {today.isoformat()})",
            date=day.isoformat(),
            today=today.isoformat(),
        )
