"""Deadlines are data; the dispatcher fires the due ones, each through its own once-only workflow.

- `dispatch_due(app, now)`: fire every unfired deadline due at `now`. Each deadline's workflow id is the
  deadline id, so two dispatchers at once (two workers, a worker and `cbct clock tick`) fire it once.
- `tick(app, to)`: the controlled clock's way of letting time pass — stop at every due moment up to
  `to`, fire what is due then, deliver the messages that causes, and end at `to`.
- `fire_due_of(app, trajectory_id, until)`: the same for one trajectory, read from its stream rather
  than the deadlines read model, so it needs no catch-up: what lets the demo run trajectories side by
  side (each one's deadlines depend on its own events only).
- `scheduled_dispatch`: the worker's DBOS schedule (`settings.dispatch_interval_cron`): dispatch at
  the process clock's now and deliver pending messages, without waiting for the workflows it starts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dbos import DBOS, SetWorkflowID

from infrastructure.controlled_clock import ClockNotSet
from infrastructure.logging import bind_operation, get_logger
from workflows import engine
from workflows.deadlines import deadline_input, deadline_workflow
from workflows.notifications import deliver_pending, deliver_workflow, workflow_id_for

if TYPE_CHECKING:
    from bootstrap import App
    from projections.deadlines import DueDeadline

log = get_logger(__name__)

SCHEDULE_NAME = "cbct-dispatch"
MAX_CONCURRENT = 16
MAX_ROUNDS = 100_000  # a tick through four years of 25,000 trajectories stays far below this


@dataclass(frozen=True)
class Fired:
    """One deadline's workflow result; `outcome` is None when it failed or is still running elsewhere."""

    deadline_id: str
    outcome: dict[str, Any] | None

    @property
    def fired(self) -> bool:
        """It caused events (now, or in an earlier attempt of the same workflow)."""
        return self.outcome is not None and self.outcome["accepted"] and bool(self.outcome["events"])

    @property
    def events_appended(self) -> int:
        if self.outcome is None or not self.outcome["accepted"] or self.outcome["duplicate"]:
            return 0
        return len(self.outcome["events"])


@dataclass(frozen=True)
class TickReport:
    """What `tick` did: where the clock ended, what fired, what was skipped, what was delivered."""

    moved_to: datetime
    fired: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    messages_delivered: int = 0
    events_appended: int = 0
    rounds: int = field(default=0, compare=False)

    @property
    def deadlines_fired(self) -> int:
        return len(self.fired)

    def as_dict(self) -> dict[str, Any]:
        return {
            "moved_to": self.moved_to.isoformat(),
            "deadlines_fired": self.deadlines_fired,
            "fired": list(self.fired),
            "skipped": list(self.skipped),
            "messages_delivered": self.messages_delivered,
            "events_appended": self.events_appended,
        }


async def fire_deadlines(app: App, due: list[DueDeadline], now: datetime) -> list[Fired]:
    """Start (or attach to) each deadline's workflow at `now` and wait for all of them."""
    gate = asyncio.Semaphore(MAX_CONCURRENT)
    moment = now.astimezone(UTC).isoformat()

    async def one(d: DueDeadline) -> Fired:
        async with gate:
            with bind_operation(deadline_id=d.deadline_id, trajectory_id=d.trajectory_id):
                try:
                    outcome = await engine.run_once(
                        deadline_workflow,
                        d.deadline_id,
                        deadline_input(d.deadline_id, d.trajectory_id, d.kind, d.due_at),
                        moment,
                        wait_seconds=app.settings.workflow_wait_seconds,
                    )
                except TimeoutError:  # still retrying (e.g. the database is away): it goes on by itself
                    log.info("deadline_still_running")
                    return Fired(d.deadline_id, None)
                except engine.WorkflowFailed as error:
                    log.warning("deadline_failed", error=str(error))
                    return Fired(d.deadline_id, None)
                return Fired(d.deadline_id, outcome)

    return list(await asyncio.gather(*(one(d) for d in due)))


async def fire_due_of(app: App, trajectory_id: str, until: datetime) -> list[Fired]:
    """Fire one trajectory's deadlines due up to `until`, earliest first and again as firing creates new
    ones; each at its due moment, or at the trajectory's last change when that is later (a deadline
    that fell due before the event that created it fires right after it, as `tick` would)."""
    from projections.deadlines import DueDeadline

    attempted: set[str] = set()
    results: list[Fired] = []
    while True:
        due, last_change = await app.service.due_deadlines(trajectory_id, until)
        fresh = [d for d in due if d.deadline_id not in attempted]
        if not fresh:
            return results
        first = fresh[0]
        attempted.add(first.deadline_id)
        moment = first.due_at if last_change is None else max(first.due_at, last_change)
        listed = DueDeadline(first.deadline_id, trajectory_id, first.kind.value, first.due_at)
        results += await fire_deadlines(app, [listed], moment)


async def dispatch_due(app: App, now: datetime) -> list[str]:
    """Fire every unfired deadline due at `now` (each once, whoever else dispatches); return their ids."""
    from projections.deadlines import due_deadlines

    due = await due_deadlines(app.pool, now)
    fired = await fire_deadlines(app, due, now)
    return [f.deadline_id for f in fired]


async def tick(app: App, to: datetime) -> TickReport:
    """Let the controlled clock run to `to`, firing each deadline at its own due moment on the way.

    Repeatedly: catch the read models up, take the earliest unfired deadline due at or before `to`,
    move the clock there, fire everything due then, deliver the messages that produced. A deadline that
    is still listed unfired after its workflow ran (refused, failed, or a read model that disagrees)
    is skipped and logged once, so a tick always ends. Finally the clock is moved to `to`.
    """
    from projections.deadlines import due_deadlines, next_due_at

    if app.settings.clock != "controlled":
        raise ValueError("clock: `tick` moves the controlled clock; this process reads the system clock (CBCT_CLOCK)")
    if to.tzinfo is None:
        raise ValueError("to: must carry a time zone")
    to = to.astimezone(UTC)
    current = await app.controlled_clock.peek()
    if current is not None and to < current:
        raise ValueError(f"to: the clock does not go back ({to.isoformat()} is before {current.isoformat()})")

    attempted: set[str] = set()
    skipped: list[str] = []
    fired: list[str] = []
    delivered = appended = rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        await app.projections.catch_up()
        delivered += await deliver_pending(app)
        upcoming = await next_due_at(app.pool, after_excluding=skipped)
        if upcoming is None or upcoming > to:
            break
        current = await app.controlled_clock.peek()
        moment = await app.controlled_clock.move_to(upcoming if current is None else max(upcoming, current))
        due = await due_deadlines(app.pool, moment)
        fresh = [d for d in due if d.deadline_id not in attempted]
        stale = [d.deadline_id for d in due if d.deadline_id in attempted and d.deadline_id not in skipped]
        for deadline_id in stale:
            log.warning("deadline_stays_unfired", deadline_id=deadline_id, at=moment.isoformat())
        skipped.extend(stale)
        if not fresh and not stale:
            log.error("tick_stalled", at=moment.isoformat(), listed=len(due))
            break
        attempted.update(d.deadline_id for d in fresh)
        for result in await fire_deadlines(app, fresh, moment):
            if result.fired:
                fired.append(result.deadline_id)
            appended += result.events_appended
    else:
        log.error("tick_round_limit", rounds=rounds)
        await app.projections.catch_up()
        delivered += await deliver_pending(app)
    # Every other way out of the loop comes right after a round that caught up and delivered, with
    # nothing fired since: catching up again here would only cost time (the demo ticks ~3,000 times).
    moved_to = await app.controlled_clock.move_to(to)
    report = TickReport(
        moved_to=moved_to,
        fired=tuple(fired),
        skipped=tuple(skipped),
        messages_delivered=delivered,
        events_appended=appended + delivered,
        rounds=rounds,
    )
    log.info("clock_ticked", **{k: v for k, v in report.as_dict().items() if k != "fired"})
    return report


# --- the worker's schedule ------------------------------------------------------------------------------


@DBOS.step(name="cbct.read_clock")
async def read_clock() -> str | None:
    """The process clock's now; None while draining or while a controlled clock is still unset."""
    if engine.draining():
        return None
    try:
        return (await engine.runtime().clock.now()).isoformat()
    except ClockNotSet:
        log.info("dispatch_skipped_clock_not_set")
        return None


@DBOS.step(name="cbct.list_due")
async def list_due(now: str) -> list[dict[str, Any]]:
    from projections.deadlines import due_deadlines

    due = await due_deadlines(engine.runtime().pool, datetime.fromisoformat(now))
    return [deadline_input(d.deadline_id, d.trajectory_id, d.kind, d.due_at) for d in due]


@DBOS.step(name="cbct.list_pending_messages")
async def list_pending_messages() -> list[dict[str, Any]]:
    from projections.messages import pending_messages

    return [
        {
            "message_id": m.message_id,
            "trajectory_id": m.trajectory_id,
            "kind": m.kind,
            "recipient": m.recipient,
            "subject": m.subject,
            "body": m.body,
            "created_at": m.created_at.isoformat(),
        }
        for m in await pending_messages(engine.runtime().pool, limit=500)
    ]


@DBOS.workflow(name="cbct.dispatch_scheduled")
async def scheduled_dispatch(scheduled_at: datetime, context: Any) -> None:
    """Every `dispatch_interval_cron`: start due deadlines' and pending messages' workflows.

    Everything it acts on comes from steps, so a replay starts the same children. It does not wait
    for them: each is durable on its own, and the next run attaches to any still running. A failed
    one is an ops matter (`cbct workflows failed` / `retry`), not retried here every minute.
    """
    now = await read_clock()
    if now is None:
        return
    due = await list_due(now)
    messages = await list_pending_messages()
    # Each child is started under its own id; one that exists (even failed) is left as it is.
    for d in due:
        with SetWorkflowID(d["deadline_id"]):
            await DBOS.start_workflow_async(deadline_workflow, d, now)
    for m in messages:
        with SetWorkflowID(workflow_id_for(m["message_id"])):
            await DBOS.start_workflow_async(deliver_workflow, m, now)
    if due or messages:
        log.info("dispatch_started", at=now, deadlines=len(due), messages=len(messages))


async def apply_schedule(cron: str) -> None:
    """Create or replace the worker's dispatch schedule (a row in DBOS's tables, shared by all workers)."""
    await DBOS.apply_schedules_async(
        [{"schedule_name": SCHEDULE_NAME, "workflow_fn": scheduled_dispatch, "schedule": cron}]
    )
