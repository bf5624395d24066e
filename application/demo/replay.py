"""The demo, for real: the planned scenarios driven through a `ReplayWorld` (the real commands,
workflows and deadlines).

Time passes in windows of four weeks. Within a window the trajectories run side by side, since a
trajectory's events depend on its own commands and deadlines only: each trajectory with a step or a
due deadline in the window gets a lane, which fires its own deadlines due before each step (each at
its due moment, `world.fire_due`) and then submits the step at its planned moment, all through the
same once-only workflows the CLI and the worker use; after its last step it fires what falls due up
to the window's end. Then the world is advanced to the window's end (`world.advance`: read models
caught up, anything still due fired, pending e-mails delivered). Per trajectory the order
is exactly the sequential one (and the pure `simulate.py`'s); only unrelated trajectories overlap.
After the last window the clock is ticked to the reference moment.

Resumable and idempotent: command ids and deadline ids are workflow ids, so nothing runs twice. A
resumed run skips the steps whose workflow already completed (checking their recorded answer), and
refuses to go on if a step that was never handled lies before the clock, since the dispatcher may have
fired that trajectory's later deadlines already. A run on a complete database changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from application.demo.period import DEFAULT_SEED, REFERENCE_MOMENT
from application.demo.planner import plan_register
from application.demo.register import RegisterRow, load_register
from application.demo.scenario import Scenario, Step
from application.demo.world import Answer, ReplayWorld

Progress = Callable[[int, int], None]


class ReplayError(RuntimeError):
    """A step did not end as planned, or the database's clock is past a step that never ran."""

    def __init__(self, trajectory_id: str, step_index: int, step: Step, message: str) -> None:
        command = f"{type(step.command).__name__} {step.command.command_id}"
        super().__init__(f"{trajectory_id} stap {step_index} ({command} op {step.at.isoformat()}): {message}")
        self.trajectory_id = trajectory_id
        self.step_index = step_index
        self.step = step


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


@dataclass(frozen=True)
class _Item:
    at: datetime
    trajectory_id: str
    index: int
    step: Step


def plan(
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    rows: Sequence[RegisterRow] | None = None,
    only: Collection[str] | None = None,
) -> list[Scenario]:
    """The scenarios to replay; `only` (certificate numbers of the register) keeps a slice of them.

    The plan is always made for all `rows` (the whole register by default), so a slice replays the
    very same steps as the full demo would (the survey mix is balanced over all rows).
    """
    scenarios = plan_register(list(rows) if rows is not None else load_register(), seed=seed, scale=scale)
    if only is not None:
        wanted = set(only)
        scenarios = [s for s in scenarios if s.row.certificate_number in wanted]
    return scenarios


def merged_steps(scenarios: Sequence[Scenario]) -> list[_Item]:
    """Every step of every scenario in time order (ties: trajectory id, then step index)."""
    items = [
        _Item(step.at, scenario.trajectory_id, index, step)
        for scenario in scenarios
        for index, step in enumerate(scenario.steps)
    ]
    items.sort(key=lambda item: (item.at, item.trajectory_id, item.index))
    return items


def check(item: _Item, answer: Answer) -> bool:
    """True if accepted, False if refused as planned; raises for anything else."""
    step = item.step
    if answer.accepted:
        if step.expect_refusal:
            raise ReplayError(
                item.trajectory_id, item.index, step, f"geaccepteerd, maar weigering '{step.expected_rule}' verwacht"
            )
        return True
    if step.expect_refusal and answer.rule == step.expected_rule:
        return False
    expected = f" (verwacht: weigering '{step.expected_rule}')" if step.expect_refusal else ""
    raise ReplayError(item.trajectory_id, item.index, step, f"geweigerd: [{answer.rule}] {answer.message}{expected}")


WINDOW = timedelta(days=28)
LANES = 16  # trajectories in flight at once: enough to overlap round trips on two cores


@dataclass
class _Tally:
    total: int
    done: int = 0
    accepted: int = 0
    refused: int = 0
    skipped: int = 0
    fired: set[str] = field(default_factory=set)  # a deadline a lane and the tick both report counts once
    progress: Progress | None = None

    def step(self, accepted: bool) -> None:
        if accepted:
            self.accepted += 1
        else:
            self.refused += 1
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


async def replay(
    world: ReplayWorld,
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    rows: Sequence[RegisterRow] | None = None,
    only: Collection[str] | None = None,
    progress: Progress | None = None,
    window: timedelta = WINDOW,
    lanes: int = LANES,
) -> ReplaySummary:
    """Drive the planned scenarios through the real app from the demo's start to the reference moment.

    Raises `ReplayError` for a step that does not end as planned (with trajectory, step and message).
    """
    if window <= timedelta(0) or lanes < 1:
        raise ValueError("window, lanes: must be positive")
    started = time.perf_counter()
    scenarios = plan(seed=seed, scale=scale, rows=rows, only=only)
    items = [item for item in merged_steps(scenarios) if item.at <= REFERENCE_MOMENT]
    wanted = {scenario.trajectory_id for scenario in scenarios}
    del scenarios
    tally = _Tally(total=len(items), progress=progress)

    # A resumed or repeated run: what completed before is checked against the plan and skipped.
    recorded = await world.recorded_answers([item.step.command.command_id for item in items])
    todo: list[_Item] = []
    for item in items:
        answer = recorded.pop(item.step.command.command_id, None)
        if answer is None:
            todo.append(item)
        else:
            check(item, answer)
            tally.skipped += 1
            tally.done += 1
    del items, recorded
    if progress is not None:
        progress(tally.done, tally.total)

    clock = await world.clock()
    if todo and clock is not None and todo[0].at < clock:
        first = todo[0]
        raise ReplayError(
            first.trajectory_id,
            first.index,
            first.step,
            f"nooit uitgevoerd, en de klok staat al op {clock.isoformat()}: hervatten kan niet "
            "(gebruik een lege database)",
        )
    if clock is None:
        clock = todo[0].at if todo else REFERENCE_MOMENT
        await world.start_clock(clock)

    gate = asyncio.Semaphore(lanes)
    cursor = 0
    while cursor < len(todo):
        end = min(clock + window, REFERENCE_MOMENT)
        steps: dict[str, list[_Item]] = defaultdict(list)
        while cursor < len(todo) and todo[cursor].at <= end:
            steps[todo[cursor].trajectory_id].append(todo[cursor])
            cursor += 1
        due = [t for t in await world.trajectories_due(end) if t in wanted and t not in steps]
        async with asyncio.TaskGroup() as group:
            for trajectory_id in sorted([*steps, *due]):
                group.create_task(_lane(world, trajectory_id, steps.get(trajectory_id, []), end, gate, tally))
        tally.fired.update(await world.advance(end))  # the safety net: normally nothing is left to fire
        clock = end
    del todo

    current = await world.clock()
    if current is None or current <= REFERENCE_MOMENT:
        tally.fired.update(await world.advance(REFERENCE_MOMENT))
    await world.settle()
    events = await world.event_count()
    return ReplaySummary(
        trajectories=len(wanted),
        steps=tally.total,
        accepted=tally.accepted,
        refused_as_expected=tally.refused,
        skipped=tally.skipped,
        deadlines_fired=len(tally.fired),
        events_in_store=int(events),
        seconds=round(time.perf_counter() - started, 2),
    )


async def _lane(
    world: ReplayWorld,
    trajectory_id: str,
    steps: Sequence[_Item],
    until: datetime,
    gate: asyncio.Semaphore,
    tally: _Tally,
) -> None:
    """One trajectory through one window: its deadlines due before each step, the step, the rest."""
    async with gate:
        for item in steps:
            tally.fired.update(await world.fire_due(trajectory_id, item.at))
            tally.step(check(item, await world.submit(item.step.command, item.at)))
        tally.fired.update(await world.fire_due(trajectory_id, until))
