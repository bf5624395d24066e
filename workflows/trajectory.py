"""`TrajectoryWorkflow`: one long-lived workflow per trajectory, from its opening to its end.

- **Commands** arrive as the update `submit` (`CommandSubmission` → `Verdict`). The validator rejects
  malformed input, a command for another trajectory and a command only the workflow makes itself
  (`FireDeadline`) before anything is written (nothing in the history, nothing in the store). Each
  submission is signed by its sender; the decide activity verifies the signature (no I/O or keys here).
  Accepted updates run one at a time, in arrival order (an `asyncio.Lock`): each is one local
  activity — load → decide → append, idempotent by command id — whose verdict is the answer
  (accepted with its events, or refused with the rule and CBCT's explanation); local, so a command
  costs one workflow task, not three.
- **Deadlines** are durable timers: after every change the workflow knows (from the activity) the
  trajectory's unfired deadlines, keeps one timer for the earliest and fires it as `FireDeadline`
  through the same activity (command id = deadline id, so it appends at most once); one whose local
  attempts keep failing goes on as a regular activity, retried patiently where ops see it failing.
  A deadline met or moved meanwhile is simply no longer listed, or fires nothing. The previous
  certificate's expiry reminders, its expiry (*hercertificering loopt*), the interim limit and the next
  cycle's announcement are deadlines of the trajectory like any other (`domain/deadlines.py`).
- **E-mails** the events cause go out within the decision, right after its events are committed, each
  recorded delivered as an event; any the sender could not take come back pending and are sent by the
  `email.send` activity (retried until it succeeds; the Message-ID keeps it one e-mail outside);
  unsent ones are carried across continue-as-new, and a new run asks the store for any the previous
  one did not know of.
- **Time**: the domain's `now` is `workflow.now() + world_offset` (zero in production). The activities
  get the world (`simulated`, `world_offset`) with every request: a production worker refuses a
  simulated one (only the skipped-time worlds of the demo and the scenario runner accept it).
- The workflow **ends** when the trajectory is closed (or was never opened) and nothing is left to
  send; a later command starts a new run (update-with-start), which decides it against the store.
- **continue-as-new** when Temporal suggests it, after the running handlers have finished.
- **Following the store** (patch `follow-store`): every schedule carries the stream version it was read
  at. When a decision finds the stream further than this run's own changes explain (an event appended
  outside its history: an update the server lost in a crash, a correction), the workflow reads its
  whole schedule again (`trajectory.survey`: with every undelivered e-mail). The update `refresh` does
  the same on request: `reconcile` sends it to a workflow whose `status` version is behind the store's.

Only orchestration lives here: every decision and all I/O run in activities (`activities/`), so a
change to a rule file never breaks the replay of a running workflow. Change this file only behind
`workflow.patched(...)` (README, "Changing workflow code").
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

from domain import FireDeadline
from workflows.contracts import (
    COMMAND_FAILED,
    EMAIL_REFUSED,
    EMAIL_UNKNOWN,
    NEXT_DEADLINE_ATTRIBUTE,
    ORGANISATION_ATTRIBUTE,
    PHASE_ATTRIBUTE,
    REFRESH,
    STATUS,
    SUBMIT,
    WORKFLOW_COMMANDS,
    WORKFLOW_TYPE,
    CommandSubmission,
    DecideRequest,
    Decision,
    Delivery,
    NextDeadline,
    PendingEmail,
    RefreshRequest,
    Schedule,
    SendRequest,
    Snapshot,
    SurveyRequest,
    TrajectoryEnded,
    TrajectoryInput,
    TrajectoryStatus,
    Verdict,
)

_R = TypeVar("_R")

DEADLINE_ACTOR = "system:deadlines"
# Patches (README, "Changing workflow code"): histories recorded before them replay the old path.
LOCAL_DECIDE = "local-decide"  # decide and survey as local activities: one workflow task per command
STEADY_TIMER = "steady-timer"  # one timer per deadline, kept while other things change
FOLLOW_STORE = "follow-store"  # a decision that finds the stream moved past this run's changes reloads

PHASE = SearchAttributeKey.for_keyword(PHASE_ATTRIBUTE)
ORGANISATION = SearchAttributeKey.for_keyword(ORGANISATION_ATTRIBUTE)
NEXT_DEADLINE = SearchAttributeKey.for_datetime(NEXT_DEADLINE_ATTRIBUTE)

# A person waits for a command's answer: retry a lost connection or a busy stream for about a minute.
COMMAND_TIMEOUT = timedelta(seconds=10)  # a decide takes milliseconds; a dead worker is noticed by this
COMMAND_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10), maximum_attempts=10
)
# Nobody waits on a deadline or an e-mail: retry until it succeeds (ops see the failing attempts).
PATIENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=10))
# A deadline's or a start's local attempts before it moves to a regular, patiently retried activity.
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=2), maximum_attempts=4
)
EMAIL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(hours=1))
EMAIL_TIMEOUT = timedelta(seconds=20)


# Not sandboxed: the sandbox re-imports and proxies per workflow task, which cost 15 % of the demo's
# time; this module only orchestrates (no clock, no I/O, no randomness: the layering contract keeps
# `domain` decisions and all I/O in activities), and the replay tests catch a non-deterministic change.
@workflow.defn(name=WORKFLOW_TYPE, sandboxed=False)
class TrajectoryWorkflow:
    @workflow.init
    def __init__(self, start: TrajectoryInput) -> None:
        self._input = start
        self._lock = asyncio.Lock()
        self._schedule: Schedule | None = start.snapshot.schedule if start.snapshot is not None else None
        carried = start.snapshot.emails if start.snapshot is not None else ()
        self._emails: dict[str, PendingEmail] = {e.message_id: e for e in carried}
        self._sending: set[str] = set()
        self._attempted: set[str] = set()  # deadlines fired in this run that are still listed unfired
        self._changed = False
        self._handled = start.snapshot.commands_handled if start.snapshot is not None else 0
        self._published: dict[str, object] = {}
        self._timer: asyncio.Task[None] | None = None
        self._timer_due: datetime | None = None

    # --- time ----------------------------------------------------------------------------------------

    def _world_now(self) -> datetime:
        return workflow.now() + self._input.world_offset

    # --- the update ----------------------------------------------------------------------------------

    @workflow.update(name=SUBMIT)
    async def submit(self, submission: CommandSubmission) -> Verdict:
        """Decide one command (in arrival order) and answer with the explained verdict."""
        async with self._lock:
            now = submission.at if submission.at is not None else self._world_now()
            decision = await self._decide(submission, now, COMMAND_RETRY)
            self._handled += 1
            return decision.verdict

    @submit.validator
    def _validate(self, submission: CommandSubmission) -> None:
        if submission.command_type in WORKFLOW_COMMANDS:
            raise ValueError(
                f"command_type: {submission.command_type} is decided by the workflow itself, not submitted"
            )
        if submission.command.trajectory_id != self._input.trajectory_id:
            raise ValueError(
                f"trajectory_id: {submission.command.trajectory_id!r} is not this workflow's trajectory "
                f"({self._input.trajectory_id!r})"
            )
        if submission.at is not None and not self._input.simulated:
            raise ValueError("at: only a simulated world may name the moment a command is decided at")

    @workflow.update(name=REFRESH)
    async def refresh(self, request: RefreshRequest) -> TrajectoryStatus:
        """Read the schedule from the store again: events were appended that this history never saw."""
        async with self._lock:
            known = None if self._schedule is None else self._schedule.version
            if known is None or request.store_version is None or known < request.store_version:
                await self._reload()
            return self.status()

    @workflow.query(name=STATUS)
    def status(self) -> TrajectoryStatus:
        schedule = self._schedule
        return TrajectoryStatus(
            trajectory_id=self._input.trajectory_id,
            open=None if schedule is None else schedule.open,
            phase=None if schedule is None else schedule.phase,
            next_deadline=self._next_deadline(),
            emails_pending=len(self._emails),
            commands_handled=self._handled,
            world_now=self._world_now(),
            version=None if schedule is None else schedule.version,
        )

    # --- the run -------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: TrajectoryInput) -> TrajectoryEnded:
        async with self._lock:
            await self._reload()
        while True:
            self._send_pending()
            if self._finished():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._finished():
                    break
                continue
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    TrajectoryInput(
                        trajectory_id=start.trajectory_id,
                        world_offset=start.world_offset,
                        simulated=start.simulated,
                        snapshot=Snapshot(
                            emails=tuple(self._emails.values()),
                            schedule=None
                            if self._schedule is None
                            else self._schedule.model_copy(update={"emails": ()}),
                            commands_handled=self._handled,
                        ),
                    )
                )
            deadline = self._next_deadline()
            self._changed = False
            if deadline is not None:
                wait = deadline.due_at - self._world_now()
                if wait <= timedelta(0):
                    await self._fire(deadline)
                    continue
                if workflow.patched(STEADY_TIMER):
                    timer = self._timer_for(deadline.due_at, wait)
                    await workflow.wait_condition(lambda t=timer: self._changed or t.done())  # type: ignore[misc]
                    continue  # the timer fired (the deadline is due now) or something changed: look again
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=wait)
                except TimeoutError:
                    await self._fire(deadline)
            else:
                self._drop_timer()
                await workflow.wait_condition(lambda: self._changed)
        schedule = self._schedule
        return TrajectoryEnded(
            trajectory_id=start.trajectory_id,
            existed=schedule is not None and schedule.exists,
            phase=None if schedule is None else schedule.phase,
            commands_handled=self._handled,
        )

    def _timer_for(self, due: datetime, wait: timedelta) -> asyncio.Task[None]:
        """The timer for the next deadline: kept while only other things change (a command, an e-mail
        delivered), replaced when the deadline moves."""
        if self._timer is not None and self._timer_due != due:
            self._drop_timer()
        if self._timer is None:
            self._timer = asyncio.ensure_future(workflow.sleep(wait))
            self._timer_due = due
        return self._timer

    def _drop_timer(self) -> None:
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer = self._timer_due = None

    def _finished(self) -> bool:
        schedule = self._schedule
        return schedule is not None and not schedule.open and not self._emails and not self._sending

    def _next_deadline(self) -> NextDeadline | None:
        if self._schedule is None:
            return None
        for deadline in self._schedule.deadlines:
            if deadline.deadline_id in self._attempted and deadline.due_at <= self._world_now():
                continue  # fired, and still listed unfired: it will not fire; wait for the next change
            return deadline
        return None

    async def _fire(self, deadline: NextDeadline) -> None:
        async with self._lock:
            if deadline != self._next_deadline():
                return  # a command moved it while we waited for the lock
            now = self._world_now()
            if self._input.simulated:  # decided at its due moment, as the pure simulation does
                last = self._schedule.last_change if self._schedule is not None else None
                now = deadline.due_at if last is None else max(deadline.due_at, last)
            self._attempted.add(deadline.deadline_id)
            command = FireDeadline(
                command_id=deadline.deadline_id,
                trajectory_id=self._input.trajectory_id,
                actor=DEADLINE_ACTOR,
                deadline_id=deadline.deadline_id,
            )
            decision = await self._decide(CommandSubmission.of(command), now, PATIENT_RETRY)
            if not decision.verdict.accepted:
                workflow.logger.warning("deadline %s refused: %s", deadline.deadline_id, decision.verdict.rule)

    async def _decide(self, submission: CommandSubmission, now: datetime, retry: RetryPolicy) -> Decision:
        request = DecideRequest(
            submission=submission, now=now, simulated=self._input.simulated, world_offset=self._input.world_offset
        )
        known = None if self._schedule is None else self._schedule.version
        decision = await self._activity("trajectory.decide", request, Decision, retry)
        self._apply(decision.schedule)
        if _moved_past(known, decision) and workflow.patched(FOLLOW_STORE):
            workflow.logger.info("stream moved past this history (%s → %s): reloaded", known, decision.schedule.version)
            await self._reload()
        return decision

    async def _reload(self) -> None:
        """The schedule as the store has it, with every e-mail not delivered yet."""
        survey = SurveyRequest(
            trajectory_id=self._input.trajectory_id,
            simulated=self._input.simulated,
            world_offset=self._input.world_offset,
        )
        self._apply(await self._activity("trajectory.survey", survey, Schedule, PATIENT_RETRY))

    async def _activity(self, name: str, request: object, result: type[_R], retry: RetryPolicy) -> _R:
        """Run a decision activity. Locally, in the workflow task (one task per command instead of three):
        a command's with its own retries (its sender waits for the answer); a deadline's or a start's
        briefly, then — when it keeps failing — as a regular activity retried patiently, where ops see
        it failing (`cbct workflows failed`, `cbct stuck`)."""
        if not workflow.patched(LOCAL_DECIDE):  # histories recorded before: regular activities
            old: _R = await workflow.execute_activity(
                name, request, result_type=result, start_to_close_timeout=COMMAND_TIMEOUT, retry_policy=retry
            )
            return old
        patient = retry is PATIENT_RETRY
        try:
            local: _R = await workflow.execute_local_activity(
                name,
                request,
                result_type=result,
                start_to_close_timeout=COMMAND_TIMEOUT,
                retry_policy=LOCAL_RETRY if patient else retry,
            )
            return local
        except FailureError as error:
            if isinstance(error, CancelledError):
                raise
            if not patient:  # the update fails; the workflow goes on
                raise ApplicationError(error.message or name, type=COMMAND_FAILED, non_retryable=True) from error
        workflow.logger.warning("%s keeps failing locally: retried as an activity", name)
        patiently: _R = await workflow.execute_activity(
            name, request, result_type=result, start_to_close_timeout=COMMAND_TIMEOUT, retry_policy=retry
        )
        return patiently

    def _apply(self, schedule: Schedule) -> None:
        self._schedule = schedule
        for email in schedule.emails:
            self._emails.setdefault(email.message_id, email)
        listed = {d.deadline_id for d in schedule.deadlines}
        self._attempted &= listed
        self._changed = True
        self._publish()

    def _publish(self) -> None:
        """Phase, organisation and next deadline as search attributes, for `cbct workflows list` and the
        Web UI; upserted only when they change (each upsert is a history event)."""
        schedule = self._schedule
        if schedule is None or not schedule.exists:
            return
        upcoming = self._next_deadline()
        values: dict[str, object] = {
            PHASE_ATTRIBUTE: schedule.phase,
            ORGANISATION_ATTRIBUTE: schedule.organisation,
            NEXT_DEADLINE_ATTRIBUTE: None if upcoming is None else upcoming.due_at - self._input.world_offset,
        }
        if values == self._published:
            return
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, name in ((PHASE, PHASE_ATTRIBUTE), (ORGANISATION, ORGANISATION_ATTRIBUTE)):
            value = values[name]
            updates.append(key.value_unset() if value is None else key.value_set(value))  # type: ignore[arg-type]
        due = values[NEXT_DEADLINE_ATTRIBUTE]
        updates.append(NEXT_DEADLINE.value_unset() if due is None else NEXT_DEADLINE.value_set(due))  # type: ignore[arg-type]
        workflow.upsert_search_attributes(updates)
        self._published = values

    # --- e-mails -------------------------------------------------------------------------------------

    def _send_pending(self) -> None:
        for message_id, email in list(self._emails.items()):
            if message_id not in self._sending:
                self._sending.add(message_id)
                asyncio.create_task(self._send(email))  # noqa: RUF006 (the workflow's loop keeps it)

    async def _send(self, email: PendingEmail) -> None:
        try:
            await workflow.execute_activity(
                "email.send",
                SendRequest(email=email, now=self._world_now()),
                result_type=Delivery,
                start_to_close_timeout=EMAIL_TIMEOUT,
                retry_policy=EMAIL_RETRY,
            )
            self._emails.pop(email.message_id, None)
        except ActivityError as error:
            cause = error.cause.type if isinstance(error.cause, ApplicationError) else None
            if cause not in (EMAIL_UNKNOWN, EMAIL_REFUSED):
                raise
            # Settled without a delivery (no history before had these): not the store's (a forged input),
            # nothing was sent; or the mail server refused it for good, recorded as MessageRefused for ops.
            if cause == EMAIL_UNKNOWN:
                workflow.logger.warning("e-mail %s refused: no stored event causes it", email.message_id)
            else:
                workflow.logger.warning("e-mail %s refused by the mail server", email.message_id)
            self._emails.pop(email.message_id, None)
        finally:
            self._sending.discard(email.message_id)
            self._changed = True


def _moved_past(known: int | None, decision: Decision) -> bool:
    """Whether the stream the decision read is further than `known` plus the decision's own events:
    someone appended outside this history. Unknown versions (histories recorded before) never move."""
    seen = decision.schedule.version
    if known is None or seen is None:
        return False
    verdict = decision.verdict
    own = len(verdict.events) if verdict.accepted and not verdict.duplicate else 0
    return seen != known + own
