"""Gates: when a planned step may be sent into a world whose deadlines fire by themselves."""

from __future__ import annotations

from application.demo.causality import gates
from tests.unit.demo.conftest import Replayed


def test_every_step_lies_inside_its_own_gate(demo: Replayed) -> None:
    """A step's gate opens after the deadlines before it and closes at the first later one due after it,
    so sending each step at its own moment always fits."""
    for scenario in demo.scenarios:
        for step, gate in zip(
            scenario.steps, gates(scenario, demo.simulation.fires.get(scenario.trajectory_id, [])), strict=True
        ):
            assert gate.after is None or gate.after <= step.at
            assert gate.before is None or gate.before > step.at


def test_gates_follow_each_other_and_the_simulation_counts_the_events_before_each_step(demo: Replayed) -> None:
    """Later steps open no earlier than earlier ones; the events before each step only grow, ending at
    the trajectory's last step's count or below its total."""
    for scenario in demo.scenarios:
        tid = scenario.trajectory_id
        windows = gates(scenario, demo.simulation.fires.get(tid, []))
        openings = [g.after for g in windows if g.after is not None]
        assert openings == sorted(openings)
        counts = demo.simulation.events_before[tid]
        assert counts == sorted(counts) and counts[0] == 0
        assert counts[-1] < len(demo.simulation.events[tid])


def test_deadlines_fire_between_steps_in_most_trajectories(demo: Replayed) -> None:
    """The simulation records the deadlines that changed a trajectory, with the steps handled before each."""
    fires = demo.simulation.fires
    assert sum(len(f) for f in fires.values()) == demo.simulation.deadlines_fired
    with_a_gate = sum(
        any(g.after is not None for g in gates(s, fires.get(s.trajectory_id, []))) for s in demo.scenarios
    )
    assert with_a_gate > 0.9 * len(demo.scenarios)
