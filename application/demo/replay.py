"""The demo, for real: the planned scenarios driven through the commands, workflows and dispatcher.

All steps of all scenarios are merged in time order (as `simulate.py` does). For each step the
controlled clock is ticked to the step's moment — which fires every deadline due at or before it, each
at its own due moment, through its workflow — and then the command is submitted through its workflow.
After the last step the clock is ticked to the reference moment and the read models are caught up.

Resumable and idempotent: command ids and deadline ids are workflow ids, so nothing runs twice. A
resumed run skips the steps whose workflow already completed before the clock (checking their recorded
answer), and refuses to go on if a step that was never handled lies before the clock, since the clock
cannot go back to it. A run on a database that is already complete changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from application.demo.register import RegisterRow, load_register
from application.demo.scenario import DEFAULT_SEED, REFERENCE_MOMENT, Scenario, Step, plan_register

if TYPE_CHECKING:
    from bootstrap import App

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


def check(item: _Item, outcome: dict[str, Any]) -> bool:
    """True if accepted, False if refused as planned; raises for anything else."""
    step = item.step
    if outcome.get("accepted"):
        if step.expect_refusal:
            raise ReplayError(
                item.trajectory_id, item.index, step, f"geaccepteerd, maar weigering '{step.expected_rule}' verwacht"
            )
        return True
    if step.expect_refusal and outcome.get("rule") == step.expected_rule:
        return False
    expected = f" (verwacht: weigering '{step.expected_rule}')" if step.expect_refusal else ""
    raise ReplayError(
        item.trajectory_id, item.index, step, f"geweigerd: [{outcome.get('rule')}] {outcome.get('message')}{expected}"
    )


async def _recorded(items: Sequence[_Item]) -> dict[str, dict[str, Any]]:
    """The recorded answers of the steps whose command workflow completed."""
    from dbos import DBOS

    if not items:
        return {}
    done: dict[str, dict[str, Any]] = {}
    ids = [item.step.command.command_id for item in items]
    for start in range(0, len(ids), 500):
        statuses = await DBOS.list_workflows_async(
            workflow_ids=ids[start : start + 500], status="SUCCESS", load_input=False, load_output=True
        )
        for status in statuses:
            if isinstance(status.output, dict):
                done[status.workflow_id] = status.output
    return done


async def replay(
    app: App,
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    rows: Sequence[RegisterRow] | None = None,
    only: Collection[str] | None = None,
    progress: Progress | None = None,
) -> ReplaySummary:
    """Drive the planned scenarios through the real app from the demo's start to the reference moment.

    Needs a process with the controlled clock (`Settings(clock="controlled")`) and launched workflows.
    Raises `ReplayError` for a step that does not end as planned (with trajectory, step and message).
    """
    from workflows.commands import submit
    from workflows.dispatcher import tick

    if app.settings.clock != "controlled":
        raise ValueError("clock: de demo verzet de gecontroleerde klok; start met clock='controlled'")
    started = time.perf_counter()
    scenarios = plan(seed=seed, scale=scale, rows=rows, only=only)
    items = [item for item in merged_steps(scenarios) if item.at <= REFERENCE_MOMENT]
    total = len(items)
    accepted = refused = skipped = fired = 0

    # Resuming: the clock cannot go back, so every step before it must have been handled already.
    clock = await app.controlled_clock.peek()
    start_at = 0
    if clock is not None:
        while start_at < total and items[start_at].at < clock:
            start_at += 1
        recorded = await _recorded(items[:start_at])
        for item in items[:start_at]:
            answer = recorded.get(item.step.command.command_id)
            if answer is None:
                raise ReplayError(
                    item.trajectory_id,
                    item.index,
                    item.step,
                    f"nooit uitgevoerd, en de klok staat al op {clock.isoformat()}: hervatten kan niet "
                    "(gebruik een lege database)",
                )
            check(item, answer)
            skipped += 1
    if progress is not None:
        progress(skipped, total)

    for done, item in enumerate(items[start_at:], start=start_at + 1):
        fired += (await tick(app, item.at)).deadlines_fired
        if check(item, await submit(app, item.step.command)):
            accepted += 1
        else:
            refused += 1
        if progress is not None:
            progress(done, total)

    current = await app.controlled_clock.peek()
    if current is None or current <= REFERENCE_MOMENT:
        fired += (await tick(app, REFERENCE_MOMENT)).deadlines_fired
    await app.projections.catch_up()
    events = await app.pool.fetchval("SELECT count(*) FROM events")
    return ReplaySummary(
        trajectories=len(scenarios),
        steps=total,
        accepted=accepted,
        refused_as_expected=refused,
        skipped=skipped,
        deadlines_fired=fired,
        events_in_store=int(events),
        seconds=round(time.perf_counter() - started, 2),
    )
