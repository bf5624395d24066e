"""The demo, for real: the planned scenarios sent through the real trajectory workflows in a world whose
clock runs from mid-2018 to the reference moment (2023-02-21 noon), deadlines firing by themselves.

The trajectories are replayed in batches (a world each: its clock starts at the demo's start and stops
at the reference moment, so memory does not grow with the trajectories already done). Within a batch
each trajectory is a lane that sends its steps in order, each decided at its planned moment, as soon
as the world stands inside the step's gate (`causality.py`: past every deadline the pure simulation
fired before the step, before the first it fired after). The lanes run side by side; when every lane
waits, the world's clock moves to the earliest moment a waiting step is planned for, firing every
deadline on the way. So each trajectory's history is, event for event, the pure simulation's.

Idempotent and resumable: the store is the truth. Before a batch its trajectories' stored events are
compared with the simulation: a complete batch (every event there, every e-mail delivered) is skipped;
a partial one (an interrupted run) resumes — steps already handled are skipped, the workflows of the
existing trajectories are revived, and the world runs again from the start, where every deadline
already fired is simply no longer due. A store that holds another history (another seed) is refused.
After each batch the replay checks that every trajectory's events equal the simulation's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from itertools import islice
from typing import Any

from application.demo.causality import Gate, gates
from application.demo.period import DEFAULT_SEED, DEMO_START, REFERENCE_MOMENT
from application.demo.planner import plan_copies
from application.demo.register import RegisterRow, load_register
from application.demo.scenario import Scenario, Step
from application.demo.simulate import run_simulation
from application.world import Answer, SimulatedWorld, StoredEvent
from domain import event_type
from domain.calendar import local_moment

Progress = Callable[[int, int], None]
"""Called with (trajectories done, trajectories in the replay)."""

WORLD_START = local_moment(DEMO_START, clock_time(0, 0))
"""Where each batch's world clock starts: the demo's first day, midnight in Amsterdam."""
BATCH = 1004
"""Trajectories per world (four copies of the register): enough lanes to keep two cores busy."""
LANES = 16
"""Steps in flight at once."""
FIRE_TIMEOUT = timedelta(seconds=120)
"""How long a step waits for the deadlines before it to be stored (a fire retried by Temporal included)."""
NUDGE = timedelta(milliseconds=1)
"""How far past a waiting step's moment the clock moves, so deadlines due at that very moment fire."""


class ReplayError(RuntimeError):
    """A step did not end as planned, or the store holds a history the plan does not lead to."""

    def __init__(self, trajectory_id: str, step_index: int | None, step: Step | None, message: str) -> None:
        where = trajectory_id
        if step is not None:
            command = f"{type(step.command).__name__} {step.command.command_id}"
            where = f"{trajectory_id} stap {step_index} ({command} op {step.at.isoformat()})"
        super().__init__(f"{where}: {message}")
        self.trajectory_id = trajectory_id
        self.step_index = step_index
        self.step = step
        self.where = where
        self.message = message

    @classmethod
    def relayed(cls, trajectory_id: str, where: str, message: str) -> ReplayError:
        """The error as another process reported it."""
        error = cls(where, None, None, message)
        error.trajectory_id = trajectory_id
        return error


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay did (a resumed or repeated run counts what it found already done as skipped)."""

    trajectories: int
    steps: int
    accepted: int
    refused_as_expected: int
    skipped: int
    deadlines_fired: int
    events_in_store: int
    seconds: float

    @property
    def steps_per_second(self) -> float:
        """Steps this run sent (the skipped ones left out), per second."""
        sent = self.accepted + self.refused_as_expected
        return sent / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "steps_per_second": round(self.steps_per_second, 1)}


def plan(
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    rows: Sequence[RegisterRow] | None = None,
    only: Collection[str] | None = None,
) -> list[Scenario]:
    """The scenarios to replay; `only` (certificate numbers of the register) keeps a slice of them."""
    return list(_scenarios(seed, scale, rows, only))


def _scenarios(
    seed: int, scale: int, rows: Sequence[RegisterRow] | None, only: Collection[str] | None
) -> Iterator[Scenario]:
    """The plan is always made for all `rows` (the whole register by default), so a slice replays the
    very same steps as the full demo would (the survey mix is balanced over all rows)."""
    wanted = set(only) if only is not None else None
    for scenario in plan_copies(list(rows) if rows is not None else load_register(), seed=seed, scale=scale):
        if wanted is None or scenario.row.certificate_number in wanted:
            yield scenario


def check(trajectory_id: str, index: int, step: Step, answer: Answer) -> bool:
    """True if accepted, False if refused as planned; raises for anything else."""
    if answer.accepted:
        if step.expect_refusal:
            raise ReplayError(
                trajectory_id, index, step, f"geaccepteerd, maar weigering '{step.expected_rule}' verwacht"
            )
        return True
    if step.expect_refusal and answer.rule == step.expected_rule:
        return False
    expected = f" (verwacht: weigering '{step.expected_rule}')" if step.expect_refusal else ""
    raise ReplayError(trajectory_id, index, step, f"geweigerd: [{answer.rule}] {answer.message}{expected}")


@dataclass
class _Tally:
    total: int
    progress: Progress | None
    trajectories: int = 0
    steps: int = 0
    done: int = 0
    accepted: int = 0
    refused: int = 0
    skipped: int = 0
    fired: int = 0

    def finished(self, count: int = 1) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)


@dataclass
class _Lane:
    """One trajectory's steps still to send, each with its gate."""

    trajectory_id: str
    steps: list[tuple[int, Step, Gate, int]]  # (index, step, gate, events the stream holds before it)
    known: int = 0  # events known to be in the stream
    position: int = 0

    @property
    def next(self) -> tuple[int, Step, Gate, int] | None:
        return self.steps[self.position] if self.position < len(self.steps) else None


async def replay(
    world: SimulatedWorld,
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    rows: Sequence[RegisterRow] | None = None,
    only: Collection[str] | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
    lanes: int = LANES,
    settle: bool = True,
) -> ReplaySummary:
    """Replay the planned scenarios in `world` from the demo's start to the reference moment, then
    bring the read models up to date (unless `settle` is False: the caller does that).

    Raises `ReplayError` for a step that does not end as planned, or a store that holds another history.
    """
    if scale < 1 or batch < 1 or lanes < 1:
        raise ValueError("scale, batch, lanes: must be positive")
    started = time.perf_counter()
    rows = list(rows) if rows is not None else load_register()
    total = len(rows) * scale if only is None else len({r.certificate_number for r in rows} & set(only)) * scale
    tally = _Tally(total=total, progress=progress)
    if progress is not None:
        progress(0, total)
    scenarios = _scenarios(seed, scale, rows, only)
    while chunk := list(islice(scenarios, batch)):
        await _replay_batch(world, chunk, tally, lanes)
    if settle:
        await world.settle()
    return ReplaySummary(
        trajectories=tally.trajectories,
        steps=tally.steps,
        accepted=tally.accepted,
        refused_as_expected=tally.refused,
        skipped=tally.skipped,
        deadlines_fired=tally.fired,
        events_in_store=await world.event_count(),
        seconds=round(time.perf_counter() - started, 2),
    )


def _expected_events(simulated: Sequence[Any]) -> list[tuple[str, datetime]]:
    return [(event_type(e), e.occurred_at) for e in simulated]


def _as_pairs(stored: Sequence[StoredEvent]) -> list[tuple[str, datetime]]:
    return [(e.event_type, e.occurred_at) for e in stored]


async def _replay_batch(world: SimulatedWorld, scenarios: list[Scenario], tally: _Tally, width: int) -> None:
    simulation = run_simulation(scenarios, REFERENCE_MOMENT)
    ids = [s.trajectory_id for s in scenarios]
    expected = {tid: _expected_events(simulation.events.get(tid, [])) for tid in ids}
    tally.trajectories += len(scenarios)
    tally.steps += sum(len(s.steps) for s in scenarios)

    stored = await world.stored(ids)
    for tid in ids:
        found = _as_pairs(stored.get(tid, []))
        if found != expected[tid][: len(found)]:
            raise ReplayError(tid, None, None, "de opslag bevat een andere geschiedenis dan dit plan (ander zaadje?)")
    complete = all(len(stored.get(tid, [])) == len(expected[tid]) for tid in ids)
    if complete and await world.undelivered(ids) == 0:
        tally.skipped += sum(len(s.steps) for s in scenarios)
        tally.finished(len(scenarios))
        return

    fired_before = _fired(stored, scenarios)
    lanes: list[_Lane] = []
    for scenario in scenarios:
        history = stored.get(scenario.trajectory_id, [])
        handled = {e.command_id for e in history}
        last = history[-1].occurred_at if history else None
        todo = []
        tid = scenario.trajectory_id
        windows = gates(scenario, simulation.fires.get(tid, []))
        counts = simulation.events_before.get(tid, [])
        for index, (step, gate) in enumerate(zip(scenario.steps, windows, strict=True)):
            if index >= len(counts):
                break  # planned after the reference moment
            if (last is not None and step.at < last) or step.command.command_id in handled:
                tally.skipped += 1
            else:
                todo.append((index, step, gate, counts[index]))
        lanes.append(_Lane(tid, todo, known=len(history)))
    del simulation, stored

    await world.begin(WORLD_START)
    try:
        await world.revive([tid for tid in ids if tid in fired_before])
        await _drive(world, lanes, tally, width)
        await world.advance_to(REFERENCE_MOMENT)
        await world.drain(ids)
    finally:
        await world.end()

    stored = await world.stored(ids)
    for tid in ids:
        found = _as_pairs(stored.get(tid, []))
        if found != expected[tid]:
            difference = next(
                (
                    f"gebeurtenis {i}: {a} in plaats van {b}"
                    for i, (a, b) in enumerate(zip(expected[tid], found, strict=False))
                    if a != b
                ),
                f"{len(found)} gebeurtenissen in plaats van {len(expected[tid])}",
            )
            raise ReplayError(tid, None, None, f"wijkt af van de simulatie: {difference}")
    after = _fired(stored, scenarios)
    tally.fired += sum(after.get(tid, 0) - fired_before.get(tid, 0) for tid in ids)


def _fired(stored: dict[str, list[StoredEvent]], scenarios: Sequence[Scenario]) -> dict[str, int]:
    """Per trajectory in the store: how many deadlines changed it (commands that are no planned step)."""
    counts: dict[str, int] = {}
    for scenario in scenarios:
        history = stored.get(scenario.trajectory_id)
        if history is None:
            continue
        steps = {step.command.command_id for step in scenario.steps}
        counts[scenario.trajectory_id] = len({e.command_id for e in history if e.command_id not in steps})
    return counts


async def _drive(world: SimulatedWorld, lanes: list[_Lane], tally: _Tally, width: int) -> None:
    """Send every lane's steps through their gates, moving the clock when every lane waits."""
    gate = asyncio.Semaphore(width)
    for lane in lanes:
        if lane.next is None:
            tally.finished()
    waiting = [lane for lane in lanes if lane.next is not None]
    while waiting:
        now = await world.now()
        ready = [lane for lane in waiting if lane.next is not None and lane.next[2].open_at(now)]
        if ready:
            async with asyncio.TaskGroup() as group:
                for lane in ready:
                    group.create_task(_run_lane(world, lane, now, gate, tally))
            waiting = [lane for lane in waiting if lane.next is not None]
            continue
        # Every lane waits for a deadline to fire: move to the earliest moment a waiting step is planned for.
        target = min(lane.next[1].at for lane in waiting if lane.next is not None) + NUDGE
        for lane in waiting:
            nxt = lane.next
            assert nxt is not None
            if nxt[2].before is not None and target >= nxt[2].before:
                raise ReplayError(lane.trajectory_id, nxt[0], nxt[1], "de klok zou een latere termijn passeren")
        if target <= now:
            raise ReplayError(waiting[0].trajectory_id, None, None, "de klok staat al voorbij een wachtende stap")
        await world.advance_to(target)


async def _stored_up_to(world: SimulatedWorld, trajectory_id: str, count: int) -> int:
    """Wait (bounded) until the trajectory's stream holds `count` events: its timers fired and were decided."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + FIRE_TIMEOUT.total_seconds()
    pause = 0.005
    while (version := await world.version(trajectory_id)) < count:
        if loop.time() > give_up:
            raise ReplayError(
                trajectory_id, None, None, f"{count - version} termijn(en) niet verstreken binnen de wachttijd"
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)
    return version


async def _run_lane(world: SimulatedWorld, lane: _Lane, now: datetime, gate: asyncio.Semaphore, tally: _Tally) -> None:
    """Send this lane's steps while their gates stay open at `now`."""
    async with gate:
        while (nxt := lane.next) is not None and nxt[2].open_at(now):
            index, step, _, before = nxt
            if lane.known < before:  # deadlines fired since the last step: wait until they are stored
                lane.known = await _stored_up_to(world, lane.trajectory_id, before)
            answer = await world.submit(step.command, step.at)
            if check(lane.trajectory_id, index, step, answer):
                tally.accepted += 1
                lane.known += len(answer.events)
            else:
                tally.refused += 1
            lane.position += 1
        if lane.next is None:
            tally.finished()
