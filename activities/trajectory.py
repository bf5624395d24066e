"""The trajectory's activities: every domain decision its workflow needs, and the I/O around it.

`decide` is the one path by which a command — a person's, or a deadline the workflow's timer fired
(`FireDeadline`, command id = deadline id) — reaches a trajectory: load → `domain.decide` → append,
idempotent by command id (`application/command_handler.py`), so an activity retried after a lost
worker appends nothing twice and answers with the events of the first attempt. With the verdict it
returns the schedule after it: the next deadline, the e-mails this command's events caused, and the
stream version it was read at (the workflow reloads when that moved past what it knew: an event was
appended outside its history, e.g. by an update the server lost in a crash).
`survey` gives the same schedule from the store alone (at workflow start: every undelivered e-mail).

Before anything is decided, `decide` checks who asks (the embedded Temporal server lets anyone on the
machine send an update): a submission must be signed with one of the worker's signing keys
(`application/command_signature.py`), else it is refused with the rule `command.unsigned`,
`command.signature_invalid` or `command.signing_key_unknown` and nothing is stored or sent. And a
production worker (`allow_simulated=False`) decides nothing in a simulated world (`simulated`, or a
non-zero `world_offset`): a person's command is refused (`world.simulated_refused`); the workflow's own
deadline, and every run's first `survey`, fail without retry, so the workflow fails where ops see it.

The e-mails a decision causes are handed to the sender right after its events are committed, within
a short budget: the workflow then has nothing left to send (one workflow task per command, no e-mail
activity per message). Any the sender could not take in time are returned as pending, and the
workflow's `email.send` activity retries them until they go out. One the mail server refuses for good
is recorded refused (`activities.email`) and left alone: the decision stands.

Domain decisions run here, never in the workflow: a change to a rule file then never breaks the replay
of a running workflow.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.email import deliver
from activities.outbox import emails_of, undelivered
from activities.sender import MessageSender, SendRefused
from application.command_handler import Accepted, ConflictPersisted, Outcome
from application.command_signature import Refusal, SigningKeys, verify
from application.event_store import EventStore
from application.trajectories import TrajectoryService, stream_id
from infrastructure.logging import bind_operation, get_logger
from projections.message_texts import may_cause_email
from workflows.contracts import (
    WORKFLOW_COMMANDS,
    DecideRequest,
    Decision,
    NextDeadline,
    PendingEmail,
    RecordedChange,
    Schedule,
    SurveyRequest,
    Verdict,
)

log = get_logger(__name__)

SIMULATED_REFUSED = "world.simulated_refused"
SIMULATED_REFUSED_TYPE = "SimulatedWorldRefused"
SIMULATED_MESSAGE = (
    "Geweigerd: deze worker beslist alleen in de echte tijd. Een gesimuleerde wereld (simulated of een"
    " world_offset) hoort bij cbct demo en cbct scenario run, niet bij de echte trajecten."
)

SEND_AT_ONCE_BUDGET = timedelta(seconds=2)
"""How long a decision may spend handing its e-mails to the sender; the rest waits for `email.send`."""


def verdict_of(outcome: Outcome, trajectory_id: str) -> Verdict:
    if isinstance(outcome, Accepted):
        return Verdict(
            command_id=outcome.command_id,
            trajectory_id=trajectory_id,
            accepted=True,
            duplicate=outcome.duplicate,
            stream_version=outcome.stream_version,
            events=tuple(RecordedChange(type=e["type"], version=e["version"], data=e["data"]) for e in outcome.events),
        )
    return Verdict(
        command_id=outcome.command_id,
        trajectory_id=trajectory_id,
        accepted=False,
        rule=outcome.rule,
        message=outcome.message,
    )


def simulated_world(simulated: bool, world_offset: timedelta) -> bool:
    """A world whose clock is not the real one: the demo's and the scenario runner's."""
    return simulated or world_offset != timedelta(0)


class TrajectoryActivities:
    """Activities on one trajectory's stream; built once per worker with the store, the service, the
    keys that verify submissions' signatures and whether simulated worlds are allowed (only the
    skipped-time worlds of the demo and the scenario runner allow them; production workers refuse)."""

    def __init__(
        self,
        store: EventStore,
        service: TrajectoryService,
        sender: MessageSender | None = None,
        *,
        signing_keys: SigningKeys,
        allow_simulated: bool = False,
    ) -> None:
        self._store = store
        self._service = service
        self._sender = sender
        self._keys = signing_keys
        self._allow_simulated = allow_simulated

    def _refuse_simulated(self, simulated: bool, world_offset: timedelta) -> bool:
        return not self._allow_simulated and simulated_world(simulated, world_offset)

    def _refusal(self, request: DecideRequest) -> Refusal | None:
        """Why this worker will not decide the submission at all, before the store is touched."""
        submission = request.submission
        if self._refuse_simulated(request.simulated, request.world_offset):
            if submission.command_type in WORKFLOW_COMMANDS:  # nobody waits on it: ops see the workflow fail
                raise ApplicationError(SIMULATED_MESSAGE, type=SIMULATED_REFUSED_TYPE, non_retryable=True)
            return Refusal(SIMULATED_REFUSED, SIMULATED_MESSAGE)
        if submission.command_type in WORKFLOW_COMMANDS:
            return None  # the workflow's own (its validator refuses these from outside): not signed
        return verify(submission.signed_fields(), submission.key_id, submission.signature, self._keys)

    @activity.defn(name="trajectory.decide")
    async def decide(self, request: DecideRequest) -> Decision:
        command = request.submission.command
        with bind_operation(
            command_id=command.command_id, trajectory_id=command.trajectory_id, command_type=type(command).__name__
        ):
            refusal = self._refusal(request)
            if refusal is not None:
                log.warning("command_refused", rule=refusal.rule, actor=command.actor, key_id=request.submission.key_id)
                verdict = Verdict(
                    command_id=command.command_id,
                    trajectory_id=command.trajectory_id,
                    accepted=False,
                    rule=refusal.rule,
                    message=refusal.message,
                )
                return Decision(verdict=verdict, schedule=await self._schedule(command.trajectory_id, set()))
            try:
                outcome = await self._service.handle(command, request.now)
            except ConflictPersisted as error:  # a busy stream: Temporal retries the activity with backoff
                raise ApplicationError(str(error), type="ConflictPersisted") from error
            verdict = verdict_of(outcome, command.trajectory_id)
            log.info(
                "command_handled",
                accepted=verdict.accepted,
                rule=verdict.rule,
                events=len(verdict.events),
                duplicate=verdict.duplicate,
            )
            # Only a command whose events can cause an e-mail needs the stream read again for its e-mails.
            mails = verdict.accepted and any(may_cause_email(e.type) for e in verdict.events)
            caused = {command.command_id} if mails else set()
            schedule = await self._schedule(command.trajectory_id, caused, fresh=not verdict.duplicate)
            if schedule.emails:
                left = await self._send_at_once(schedule.emails, request.now)
                schedule = schedule.model_copy(update={"emails": left})
            return Decision(verdict=verdict, schedule=schedule)

    async def _send_at_once(self, emails: tuple[PendingEmail, ...], now: datetime) -> tuple[PendingEmail, ...]:
        """Deliver what the sender takes within the budget; return the e-mails left for `email.send`.

        The budget bounds the handing over only, never the record after it: an e-mail the server
        accepted is recorded before the decision answers, so `email.send` does not send it again."""
        if self._sender is None:
            return emails
        left = list(emails)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SEND_AT_ONCE_BUDGET.total_seconds()
        try:
            while left:
                if (remaining := deadline - loop.time()) <= 0:
                    raise TimeoutError(f"{len(left)} e-mail(s) left after {SEND_AT_ONCE_BUDGET.total_seconds():.0f} s")
                # A refusal is recorded as MessageRefused by `deliver`: settled, for ops, not retried.
                with contextlib.suppress(SendRefused):
                    await deliver(self._sender, self._store, left[0], now, send_within=remaining)
                left.pop(0)
        except Exception as error:  # any failure: the patient path takes over
            log.warning(
                "email_deferred",
                message_id=left[0].message_id if left else None,
                error=str(error) or type(error).__name__,
            )
        return tuple(left)

    @activity.defn(name="trajectory.survey")
    async def survey(self, request: SurveyRequest) -> Schedule:
        with bind_operation(trajectory_id=request.trajectory_id):
            if self._refuse_simulated(request.simulated, request.world_offset):  # every run starts here
                log.warning("simulated_world_refused", world_offset=str(request.world_offset))
                raise ApplicationError(SIMULATED_MESSAGE, type=SIMULATED_REFUSED_TYPE, non_retryable=True)
            return await self._schedule(request.trajectory_id, None)

    async def _schedule(self, trajectory_id: str, caused_by: set[str] | None, *, fresh: bool = False) -> Schedule:
        """`fresh`: a command was just decided (its e-mails' events, appended just now, cannot be
        delivered yet; the service's fold of the stream is current)."""
        state, pending, last_change, version = await self._service.outlook(trajectory_id, just_handled=fresh)
        if state is None:
            return Schedule(exists=False, open=False)
        emails = []
        if caused_by is None or caused_by:
            records = await self._store.read_stream(stream_id(trajectory_id))
            caused = emails_of(records, caused_by)
            emails = caused if fresh else await undelivered(self._store, caused)
        return Schedule(
            exists=True,
            open=state.is_open,
            phase=state.phase.value,
            organisation=state.organisation,
            deadlines=tuple(
                NextDeadline(deadline_id=d.deadline_id, kind=d.kind.value, due_at=d.due_at)
                for d in pending
                if not d.fired
            ),
            last_change=last_change,
            emails=tuple(emails),
            version=version,
        )
