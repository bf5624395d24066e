"""The typed messages that cross the `TrajectoryWorkflow` boundary: its input, its update, its activities.

One input and one result model per message, all pydantic (the client, worker and replayer use
`pydantic_data_converter`). Commands travel as the domain's own command models, chosen by their type
name, so a malformed command fails to parse with the field named — before the workflow's history or
the store is touched.

Public API (for the CLI, the demo and scenario rehearsals):
- workflow type `TrajectoryWorkflow`, id `trajectory_workflow_id(trajectory_id)`, task queue `TASK_QUEUE`;
- start input `TrajectoryInput(trajectory_id, world_offset=timedelta(0), simulated=False)`;
- update `submit` (`SUBMIT`): `CommandSubmission(command_type, command, at=None, key_id, signature)` → `Verdict`
  (signed: `application/command_signature.py`; the decide activity refuses an unsigned one);
- update `refresh` (`REFRESH`): `RefreshRequest(store_version)` → `TrajectoryStatus`: reload the schedule
  from the store (events were appended that the workflow's history never saw: `reconcile` sends it);
- query `status` (`STATUS`): `TrajectoryStatus` (with the stream `version` its schedule was read at).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, SerializeAsAny, model_validator

from application.audit_invite import AuditInvite
from application.command_signature import CommandSigner, SignedFields
from application.trajectories import parse_command
from domain import COMMAND_TYPES, Command

TASK_QUEUE = "cbct-trajectories"
WORKFLOW_TYPE = "TrajectoryWorkflow"
SUBMIT = "submit"
STATUS = "status"
REFRESH = "refresh"
COMMAND_FAILED = "CommandFailed"
"""The failure type of an update whose decision kept failing until its retries ran out."""
EMAIL_UNKNOWN = "EmailUnknown"
"""The failure type of `email.send` for an e-mail no stored event causes (a forged workflow input)."""
EMAIL_REFUSED = "EmailRefused"
"""The failure type of `email.send` for an e-mail the mail server refused for good (recorded `MessageRefused`)."""
WORKFLOW_ID_PREFIX = "trajectory:"

# Search attributes (registered on the dev server at start; see infrastructure/temporal_server.py).
PHASE_ATTRIBUTE = "TrajectoryPhase"
ORGANISATION_ATTRIBUTE = "Organisation"
NEXT_DEADLINE_ATTRIBUTE = "NextDeadline"


def trajectory_workflow_id(trajectory_id: str) -> str:
    """The id of a trajectory's workflow: one per trajectory, derived from its id."""
    return f"{WORKFLOW_ID_PREFIX}{trajectory_id}"


def trajectory_id_of_workflow(workflow_id: str) -> str | None:
    return workflow_id.removeprefix(WORKFLOW_ID_PREFIX) if workflow_id.startswith(WORKFLOW_ID_PREFIX) else None


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- the workflow's input -------------------------------------------------------------------------------


class PendingEmail(_Message):
    """An e-mail the trajectory's events caused and that is not recorded delivered yet."""

    message_id: str
    trajectory_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: AwareDatetime
    invite: AuditInvite | None = None  # added later: histories from before carry none


class Snapshot(_Message):
    """What a run hands the next one at continue-as-new: only what scheduling needs (the store has the rest)."""

    emails: tuple[PendingEmail, ...] = ()
    schedule: Schedule | None = None
    commands_handled: int = 0


class TrajectoryInput(_Message):
    """How a trajectory's workflow is started.

    `world_offset` is added to Temporal's clock to form the domain's `now`: zero in production; a
    simulated world (the demo, a rehearsal) that starts in the past passes `moment - workflow start`.
    `simulated` allows a submission to name its own decision moment (`CommandSubmission.at`) and
    decides a deadline at its due moment (or at the trajectory's last change, when later) rather than
    the moment the timer woke: in skipped time the two differ only by the test server's real-time drift.
    """

    trajectory_id: str = Field(min_length=1)
    world_offset: timedelta = timedelta(0)
    simulated: bool = False
    snapshot: Snapshot | None = None


# --- the update ------------------------------------------------------------------------------------------


class CommandSubmission(_Message):
    """Update `submit`: one domain command, by its type name; `at` only in a simulated world.

    `key_id` and `signature` authenticate it (`application/command_signature.py`): the decide activity
    refuses a submission without a valid signature. Only the workflow's own commands (`WORKFLOW_COMMANDS`,
    which the `submit` validator refuses from outside) go unsigned. Optional, so that histories recorded
    before signing still decode and replay.
    """

    command_type: str
    command: SerializeAsAny[Command]
    at: AwareDatetime | None = None
    key_id: str | None = Field(default=None, max_length=40)
    signature: str | None = Field(default=None, max_length=128)

    @model_validator(mode="before")
    @classmethod
    def _command_by_type(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kind, raw = data.get("command_type"), data.get("command")
        if not isinstance(kind, str):
            raise ValueError("command_type: required, the name of a command (e.g. RecordIntake)")
        if isinstance(raw, dict):
            data = {**data, "command": parse_command(kind, raw)}
        elif isinstance(raw, Command) and type(raw) is not COMMAND_TYPES.get(kind):
            raise ValueError(f"command_type: {kind!r} does not match the command ({type(raw).__name__})")
        return data

    @classmethod
    def of(cls, command: Command, *, at: datetime | None = None) -> CommandSubmission:
        """An unsigned submission (the workflow's own commands; a client signs it with `signed`)."""
        return cls(command_type=type(command).__name__, command=command, at=at)

    def signed_fields(self) -> SignedFields:
        return SignedFields.of(self.command_type, self.command, self.at)

    def signed(self, signer: CommandSigner) -> CommandSubmission:
        key_id, signature = signer.sign(self.signed_fields())
        return self.model_copy(update={"key_id": key_id, "signature": signature})


WORKFLOW_COMMANDS = frozenset({"FireDeadline"})
"""Command types the workflow makes itself (from its timers): never accepted from outside, never signed."""


class RecordedChange(_Message):
    """One event a command appended (or had appended, for a retried command id)."""

    type: str
    version: int
    data: dict[str, JsonValue]


class Verdict(_Message):
    """The explained answer to a command: accepted with its events, or refused with the rule and CBCT's why."""

    command_id: str
    trajectory_id: str
    accepted: bool
    duplicate: bool = False
    stream_version: int | None = None
    events: tuple[RecordedChange, ...] = ()
    rule: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints (the shape it printed before the move to Temporal)."""
        return self.model_dump(mode="json")


# --- the query -------------------------------------------------------------------------------------------


class NextDeadline(_Message):
    """A deadline of the trajectory that has not fired yet."""

    deadline_id: str
    kind: str
    due_at: AwareDatetime


class TrajectoryStatus(_Message):
    """Query `status`: what the workflow is waiting for."""

    trajectory_id: str
    open: bool | None
    phase: str | None
    next_deadline: NextDeadline | None
    emails_pending: int
    commands_handled: int
    world_now: AwareDatetime
    version: int | None = None
    """The trajectory's stream version its schedule was read at (None: not read yet, or read before
    schedules carried it); behind the store's, the workflow missed an event (`reconcile` refreshes it)."""


class RefreshRequest(_Message):
    """Update `refresh`: read the schedule from the store again unless it was read at `store_version` or later."""

    store_version: int | None = None


# --- activities ------------------------------------------------------------------------------------------


class TrajectoryEnded(_Message):
    """The workflow's result: the trajectory is closed (or was never opened) and nothing is left to send."""

    trajectory_id: str
    existed: bool
    phase: str | None
    commands_handled: int


class DecideRequest(_Message):
    """Activity `trajectory.decide`: load → decide → append `submission.command` at `now`.

    `simulated` and `world_offset` are the workflow's (its `TrajectoryInput`): a production worker
    refuses to decide in a simulated world."""

    submission: CommandSubmission
    now: AwareDatetime
    simulated: bool = False
    world_offset: timedelta = timedelta(0)


class Schedule(_Message):
    """What the workflow needs to plan its next moves, computed by the domain in an activity."""

    exists: bool
    open: bool
    phase: str | None = None
    organisation: str | None = None
    deadlines: tuple[NextDeadline, ...] = ()  # not fired yet, earliest first
    last_change: AwareDatetime | None = None
    emails: tuple[PendingEmail, ...] = ()
    version: int | None = None  # the stream version it was read at (None in histories recorded before)


class Decision(_Message):
    """Result of `trajectory.decide`: the verdict, and the schedule after it (with the e-mails it caused)."""

    verdict: Verdict
    schedule: Schedule


class SurveyRequest(_Message):
    """Activity `trajectory.survey`: the schedule as the store has it, with every undelivered e-mail.

    `simulated`, `world_offset`: the workflow's world (a production worker refuses a simulated one)."""

    trajectory_id: str
    simulated: bool = False
    world_offset: timedelta = timedelta(0)


class SendRequest(_Message):
    """Activity `email.send`: send once (stable Message-ID), then record the delivery at `now`."""

    email: PendingEmail
    now: AwareDatetime


class Delivery(_Message):
    """Result of `email.send`."""

    message_id: str
    transport: str
    message_id_header: str
    already_sent: bool
    recorded_before: bool


Snapshot.model_rebuild()
TrajectoryInput.model_rebuild()


def fingerprint(submission: CommandSubmission) -> str:
    """What makes a resend the same command: its type and payload."""
    text = submission.command_type + "\n" + submission.command.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()
