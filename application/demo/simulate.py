"""A pure replay of scenarios against the domain, as the demo's dispatcher would run them.

All steps of all scenarios are merged in time order. Before a step at time ``t`` every deadline due at
or before ``t`` fires, earliest first and again as firing creates new ones, each at its due moment (or
at the trajectory's last change, if that is later); after the last step the deadlines up to ``until``
fire. A refused command is a bug in the plan, except a step marked ``expect_refusal`` that the domain
refuses with the expected rule; that refusal is recorded with its explanation.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from application.demo.scenario import Scenario, Step
from domain import (
    DomainError,
    Event,
    OpenTrajectory,
    Rules,
    TrajectoryState,
    deadlines,
    decide,
    evolve,
    on_deadline,
)
from domain.calendar import require_aware
from frameworks.loader import load_rules


class SimulationError(AssertionError):
    """The plan broke a rule: a command refused that should not be (or accepted that should not be)."""

    def __init__(self, trajectory_id: str, step_index: int, step: Step, message: str, rule: str | None = None) -> None:
        command = f"{type(step.command).__name__} {step.command.command_id}"
        super().__init__(f"{trajectory_id} stap {step_index} ({command} op {step.at.isoformat()}): {message}")
        self.trajectory_id = trajectory_id
        self.step_index = step_index
        self.step = step
        self.rule = rule
        self.domain_message = message


@dataclass(frozen=True)
class Refusal:
    """A deliberately refused command and the domain's explanation."""

    trajectory_id: str
    step_index: int
    command_id: str
    at: datetime
    rule: str
    message: str


@dataclass(frozen=True)
class Fire:
    """A deadline that fired and changed the trajectory: due at ``due_at``, after its first ``after_steps`` steps."""

    due_at: datetime
    after_steps: int


@dataclass
class Simulation:
    """The outcome of a replay: states, every event per trajectory, refusals and counts."""

    states: dict[str, TrajectoryState] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    steps_executed: int = 0
    deadlines_fired: int = 0
    fires: dict[str, list[Fire]] = field(default_factory=dict)
    """Per trajectory, every deadline that changed it, in order, with the steps handled before it."""
    events_before: dict[str, list[int]] = field(default_factory=dict)
    """Per trajectory, how many events it had when each of its steps (by index) was decided."""

    @property
    def event_count(self) -> int:
        """All events appended, by commands and deadlines."""
        return sum(len(events) for events in self.events.values())


class _Replay:
    def __init__(self) -> None:
        self.result = Simulation()
        self.rules: dict[str, Rules] = {}
        self.rules_of: dict[str, Rules] = {}
        self.last_change: dict[str, datetime] = {}
        self.pending: list[tuple[datetime, str, str, int]] = []  # (due_at, deadline_id, trajectory, version)
        self.handled: dict[str, int] = {}  # steps handled per trajectory

    def rules_for(self, trajectory_id: str, step: Step) -> Rules:
        if trajectory_id not in self.rules_of:
            version = step.command.framework_version if isinstance(step.command, OpenTrajectory) else None
            if version is None:
                version = "kib-2018"
            if version not in self.rules:
                self.rules[version] = load_rules(version)
            self.rules_of[trajectory_id] = self.rules[version]
        return self.rules_of[trajectory_id]

    def apply(self, trajectory_id: str, events: list[Event], now: datetime) -> None:
        if not events:
            return
        state = self.result.states.get(trajectory_id)
        for event in events:
            state = evolve(state, event)
        assert state is not None
        self.result.states[trajectory_id] = state
        self.result.events.setdefault(trajectory_id, []).extend(events)
        self.last_change[trajectory_id] = now
        for deadline in deadlines(state, self.rules_of[trajectory_id]):
            if not deadline.fired:
                heapq.heappush(self.pending, (deadline.due_at, deadline.deadline_id, trajectory_id, state.version))

    def fire_until(self, moment: datetime) -> None:
        while self.pending and self.pending[0][0] <= moment:
            due_at, deadline_id, trajectory_id, version = heapq.heappop(self.pending)
            state = self.result.states[trajectory_id]
            if state.version != version:
                continue  # superseded: the trajectory changed since, and its deadlines were listed again
            now = max(due_at, self.last_change[trajectory_id])
            events = on_deadline(state, deadline_id, now, self.rules_of[trajectory_id])
            if events:
                self.result.deadlines_fired += 1
                fire = Fire(due_at, self.handled.get(trajectory_id, 0))
                self.result.fires.setdefault(trajectory_id, []).append(fire)
            self.apply(trajectory_id, events, now)

    def step(self, trajectory_id: str, index: int, step: Step) -> None:
        rules = self.rules_for(trajectory_id, step)
        self.fire_until(step.at)
        counts = self.result.events_before.setdefault(trajectory_id, [])
        counts += [counts[-1] if counts else 0] * (index - len(counts))  # steps of a scenario cut short
        counts.append(len(self.result.events.get(trajectory_id, ())))
        state = self.result.states.get(trajectory_id)
        try:
            events = decide(state, step.command, step.at, rules)
        except DomainError as refused:
            if step.expect_refusal and refused.rule == step.expected_rule:
                self.result.refusals.append(
                    Refusal(trajectory_id, index, step.command.command_id, step.at, refused.rule, refused.message)
                )
                self.result.steps_executed += 1
                self.handled[trajectory_id] = index + 1
                return
            expected = f" (verwacht: weigering '{step.expected_rule}')" if step.expect_refusal else ""
            raise SimulationError(
                trajectory_id, index, step, f"[{refused.rule}] {refused.message}{expected}", refused.rule
            ) from None
        if step.expect_refusal:
            raise SimulationError(
                trajectory_id, index, step, f"geaccepteerd, maar weigering '{step.expected_rule}' verwacht"
            )
        self.result.steps_executed += 1
        self.handled[trajectory_id] = index + 1
        self.apply(trajectory_id, events, step.at)


def run_simulation(scenarios: Iterable[Scenario], until: datetime) -> Simulation:
    """Replay every step up to ``until`` with the deadlines firing in between; the full record."""
    until = require_aware(until)
    replay = _Replay()
    merged: list[tuple[datetime, str, int, Step]] = []
    for scenario in scenarios:
        if scenario.trajectory_id in replay.last_change:
            raise ValueError(f"traject {scenario.trajectory_id} komt twee keer voor")
        replay.last_change[scenario.trajectory_id] = datetime.min.replace(tzinfo=until.tzinfo)
        merged += [(step.at, scenario.trajectory_id, index, step) for index, step in enumerate(scenario.steps)]
    merged.sort(key=lambda item: (item[0], item[1], item[2]))
    for at, trajectory_id, index, step in merged:
        if at > until:
            break
        replay.step(trajectory_id, index, step)
    replay.fire_until(until)
    return replay.result


def simulate(scenarios: Iterable[Scenario], until: datetime) -> dict[str, TrajectoryState]:
    """The state of every trajectory at ``until`` (trajectories not yet opened are absent)."""
    return run_simulation(scenarios, until).states
