"""Run a scenario in skipped time and hold what happened against what its author expected.

Each step is sent when the world's clock reaches its moment (every deadline due before it has fired by
then, by the workflow's own timers) and decided at that moment; after the last step the clock runs on
to the scenario's `until`. What is reported comes from the store, folded by the pure domain exactly as
the read models fold it: the pending deadlines, the register row and the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from application.event_summaries import summarize
from application.scenarios.file import Expectation, Scenario, ScenarioStep, expected_register_value
from application.trajectories import rules_for_version
from application.world import Answer, SimulatedWorld
from domain import TrajectoryState, certificate_status, certified_until, deadlines, event_type, evolve
from domain import register_entry as domain_register_entry


@dataclass(frozen=True)
class PendingDeadline:
    """A deadline that has not fired: its kind, Dutch label, and when it falls due."""

    kind: str
    label: str
    due_on: date
    due_at: datetime


@dataclass(frozen=True)
class RegisterView:
    """The trajectory's register row as the register read model shows it."""

    certificate_number: str
    organisation: str
    result: str | None
    remark: str | None
    status: str
    certified_until: date | None

    def get(self, key: str) -> str | None:
        value = getattr(self, key)
        return value.isoformat() if isinstance(value, date) else value


@dataclass(frozen=True)
class TimelineEntry:
    """One event: when it happened, its type, one Dutch line, and whether a deadline (not a step) caused it."""

    occurred_at: datetime
    event_type: str
    summary: str
    by_deadline: bool


@dataclass(frozen=True)
class Snapshot:
    """The trajectory as folded from its stream at one moment."""

    deadlines: tuple[PendingDeadline, ...]
    register: RegisterView | None
    timeline: tuple[TimelineEntry, ...]


@dataclass(frozen=True)
class StepOutcome:
    """One step's answer and the expectations it failed (empty: as expected, or nothing expected)."""

    step: ScenarioStep
    answer: Answer
    failures: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioOutcome:
    """The whole run: every step's answer, the trajectory at `until`, and every failed expectation."""

    scenario: Scenario
    steps: tuple[StepOutcome, ...]
    final: Snapshot
    failures: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.failures and all(not s.failures for s in self.steps)

    @property
    def failed_expectations(self) -> int:
        return len(self.failures) + sum(len(s.failures) for s in self.steps)


async def run_scenario(world: SimulatedWorld, scenario: Scenario) -> ScenarioOutcome:
    """Send the steps through the real workflows in `world` (a fresh, empty world) and check them."""
    tid = scenario.trajectory_id
    outcomes: list[StepOutcome] = []
    await world.begin(scenario.steps[0].at)
    try:
        for step in scenario.steps:
            await world.advance_to(step.at)
            await world.wait_for_deadlines([tid])
            answer = await world.submit(step.command, step.at)
            failures: list[str] = list(_answer_failures(step.expect, answer))
            if step.expect.deadlines is not None or step.expect.register is not None:
                await world.wait_for_deadlines([tid])
                failures += _snapshot_failures(step.expect, await _snapshot(world, tid, step.at))
            outcomes.append(StepOutcome(step, answer, tuple(failures)))
        await world.advance_to(scenario.until)
        await world.wait_for_deadlines([tid])
        await world.drain([tid])
    finally:
        await world.end()
    final = await _snapshot(world, tid, scenario.until)
    failures = list(_snapshot_failures(scenario.expect, final))
    if scenario.expect.events is not None:
        failures += _sequence_failures(scenario.expect.events, [e.event_type for e in final.timeline])
    return ScenarioOutcome(scenario, tuple(outcomes), final, tuple(failures))


async def _snapshot(world: SimulatedWorld, trajectory_id: str, now: datetime) -> Snapshot:
    records = await world.history(trajectory_id)
    state: TrajectoryState | None = None
    timeline = []
    for event, command_id in records:
        state = evolve(state, event)
        timeline.append(
            TimelineEntry(
                event.occurred_at, event_type(event), summarize(event), _by_deadline(command_id, trajectory_id)
            )
        )
    if state is None:
        return Snapshot((), None, tuple(timeline))
    pending = tuple(
        PendingDeadline(d.kind.value, d.label, d.due_on, d.due_at)
        for d in deadlines(state, rules_for_version(state.framework_version))
        if not d.fired
    )
    entry = domain_register_entry(state)
    register = RegisterView(
        certificate_number=state.certificate_number,
        organisation=state.organisation,
        result=entry.result.value if entry.result else None,
        remark=entry.remark.value if entry.remark else None,
        status=certificate_status(state).value,
        certified_until=certified_until(state),
    )
    return Snapshot(pending, register, tuple(timeline))


def _by_deadline(command_id: str | None, trajectory_id: str) -> bool:
    """Steps' command ids are '<trajectory>/<n>-<command>'; a deadline's id is its own."""
    return command_id is not None and not command_id.startswith(f"{trajectory_id}/")


def _answer_failures(expect: Expectation, answer: Answer) -> list[str]:
    failures = []
    if expect.accepted is not None and answer.accepted != expect.accepted:
        if expect.accepted:
            failures.append(f"verwacht: geaccepteerd; kreeg: geweigerd [{answer.rule}] {answer.message}")
        else:
            failures.append("verwacht: geweigerd; kreeg: geaccepteerd")
    if expect.rule is not None and not answer.accepted and answer.rule != expect.rule:
        failures.append(f"verwacht: geweigerd door regel '{expect.rule}'; kreeg: '{answer.rule}'")
    if expect.events is not None and tuple(answer.events) != expect.events:
        failures.append(f"verwacht gebeurtenissen {list(expect.events)}; kreeg {list(answer.events)}")
    return failures


def _snapshot_failures(expect: Expectation, snapshot: Snapshot) -> list[str]:
    failures = []
    if expect.deadlines is not None:
        open_now = [(d.kind, d.due_on) for d in snapshot.deadlines]
        missing = [
            wanted
            for wanted in expect.deadlines
            if not any(kind == wanted.kind and (wanted.due is None or due == wanted.due) for kind, due in open_now)
        ]
        if missing:
            shown = ", ".join(f"{k} ({d.isoformat()})" for k, d in open_now) or "geen"
            expected = ", ".join(d.kind if d.due is None else f"{d.kind} ({d.due.isoformat()})" for d in missing)
            failures.append(f"verwacht openstaande termijn(en): {expected}; open zijn: {shown}")
    if expect.register is not None:
        row = snapshot.register
        for key, value in expect.register.items():
            want = expected_register_value(value)
            got = row.get(key) if row is not None else None
            if got != want:
                failures.append(f"register '{key}': verwacht {want!r}; kreeg {got!r}")
    return failures


def _sequence_failures(expected: Sequence[str], found: Sequence[str]) -> list[str]:
    """The expected event types must occur in this order; others may lie between."""
    position = 0
    for wanted in expected:
        try:
            position = list(found).index(wanted, position) + 1
        except ValueError:
            return [f"gebeurtenis '{wanted}' ontbreekt in de tijdlijn (in deze volgorde verwacht: {list(expected)})"]
    return []
