"""Issue 18, case 2: only the system's own processes may steer a trajectory, and only in the real world.

The embedded Temporal server lets anyone on the machine send the `submit` update. So every submission
is signed (HMAC-SHA256 over its command id, type, trajectory, payload, actor and moment, under a key
named by its id), and the decide activity refuses one that is unsigned, signed with another key, or
changed after signing — with a rule, storing nothing. A production worker decides nothing in a
simulated world (`simulated=True` or a `world_offset`): only the demo's and the scenario runner's
skipped-time workers do.

First the activity on its own (every case, fast, on the in-memory store), then the same through the
real workflow on the time-skipping server, sent raw as an intruder would.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.sender import FileSender
from activities.trajectory import SIMULATED_REFUSED, TrajectoryActivities
from application.command_signature import (
    SIGNATURE_INVALID,
    UNKNOWN_KEY,
    UNSIGNED,
    CommandSigner,
    SignedFields,
    sign,
    verify,
)
from application.trajectories import TrajectoryService, stream_id
from domain import Command, FireDeadline, OpenTrajectory, RecordIntake, WithdrawParticipation
from domain.commands import Contact
from infrastructure.database import open_pool
from infrastructure.keyring import KEY_BYTES, KeySet
from infrastructure.memory_event_store import InMemoryEventStore
from infrastructure.postgres_event_store import PostgresEventStore
from tests.workflows.support import SIGNER, TEST_KEYS, eml_files
from workflows.client import TrajectoryClient, rejection_text
from workflows.contracts import (
    SUBMIT,
    WORKFLOW_TYPE,
    CommandSubmission,
    DecideRequest,
    PendingEmail,
    Snapshot,
    SurveyRequest,
    TrajectoryEnded,
    TrajectoryInput,
    Verdict,
    trajectory_workflow_id,
)
from workflows.worker_factory import trajectory_worker

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SEVEN_YEARS_BACK = -timedelta(days=7 * 365 + 2)  # "-P7Y"
SIGNATURE_RULES = {UNSIGNED, SIGNATURE_INVALID, UNKNOWN_KEY}


def opening(tid: str, *, actor: str = "planner:anna") -> OpenTrajectory:
    return OpenTrajectory(
        command_id=f"{tid}/open",
        trajectory_id=tid,
        actor=actor,
        organisation="Bibliotheek Hengelo",
        certificate_number=f"10{secrets.randbelow(10_000)}",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2029, 6, 30),
        contact_email="an@bibliotheekhengelo.example",
    )


def withdrawal(tid: str, *, actor: str = "director:CBCT") -> WithdrawParticipation:
    return WithdrawParticipation(command_id=f"{tid}/withdraw", trajectory_id=tid, actor=actor, reason="geen deelname")


def other_keys(key_id: str = "test") -> KeySet:
    return KeySet(current=key_id, keys={key_id: secrets.token_bytes(KEY_BYTES)})


def signed(command: Command, signer: CommandSigner = SIGNER, at: datetime | None = None) -> CommandSubmission:
    return CommandSubmission.of(command, at=at).signed(signer)


def altered(submission: CommandSubmission, **changes: object) -> CommandSubmission:
    """The submission with its command changed after signing (the signature kept)."""
    return submission.model_copy(update={"command": submission.command.model_copy(update=changes)})


def causes(error: BaseException) -> str:
    """The messages of an error and its causes."""
    parts = []
    cause: BaseException | None = error
    while cause is not None:
        parts.append(str(getattr(cause, "message", None) or cause))
        cause = cause.__cause__
    return " — ".join(parts)


# --- the signature on its own ----------------------------------------------------------------------------


def test_a_signature_covers_every_field_and_names_its_key() -> None:
    fields = SignedFields.of("OpenTrajectory", opening("t-1"), None)
    signature = sign(fields, "test", TEST_KEYS.current_key)
    assert verify(fields, "test", signature, TEST_KEYS) is None
    for changed in (
        SignedFields.of("OpenTrajectory", opening("t-1", actor="director:CBCT"), None),
        SignedFields.of("OpenTrajectory", opening("t-2"), None),
        SignedFields.of("OpenTrajectory", opening("t-1"), NOW),
        SignedFields(**{**fields.__dict__, "command_type": "WithdrawParticipation"}),
        SignedFields(**{**fields.__dict__, "command_id": "t-1/other"}),
    ):
        refused = verify(changed, "test", signature, TEST_KEYS)
        assert refused is not None and refused.rule == SIGNATURE_INVALID
    assert verify(fields, None, None, TEST_KEYS).rule == UNSIGNED  # type: ignore[union-attr]
    assert verify(fields, "test", "", TEST_KEYS).rule == UNSIGNED  # type: ignore[union-attr]
    assert verify(fields, "gone", signature, TEST_KEYS).rule == UNKNOWN_KEY  # type: ignore[union-attr]
    assert verify(fields, "test", "ab" * 32, TEST_KEYS).rule == SIGNATURE_INVALID  # type: ignore[union-attr]
    assert verify(fields, "test", "é" * 64, TEST_KEYS).rule == SIGNATURE_INVALID  # type: ignore[union-attr]


def test_a_signed_submission_still_verifies_after_the_trip_through_temporal() -> None:
    """The worker re-parses the JSON the client sent: the canonical payload must come out the same."""
    intake = RecordIntake(
        command_id="t-1/intake",
        trajectory_id="t-1",
        actor="  planner:anna ",
        locations=("Centrale", "Oost"),
        employees=12,
        contacts=(Contact(name="An", email="an@bibliotheekhengelo.example", role="directeur"),),
    )
    amsterdam_at = datetime.fromisoformat("2026-03-01T10:00:00+01:00")
    for command, at in ((opening("t-1"), None), (intake, amsterdam_at)):
        sent = signed(command, at=at)
        received = CommandSubmission.model_validate_json(sent.model_dump_json())
        assert verify(received.signed_fields(), received.key_id, received.signature, TEST_KEYS) is None


# --- the decide activity on its own -------------------------------------------------------------------------


@dataclass
class Activities:
    store: InMemoryEventStore
    activities: TrajectoryActivities

    async def decide(self, submission: CommandSubmission, *, offset: timedelta = timedelta(0), simulated: bool = False):  # type: ignore[no-untyped-def]
        request = DecideRequest(submission=submission, now=NOW, simulated=simulated, world_offset=offset)
        return (await self.activities.decide(request)).verdict

    async def stored(self, tid: str) -> list[str]:
        return [r.event_type for r in await self.store.read_stream(stream_id(tid))]


def activities(keys: KeySet = TEST_KEYS, *, allow_simulated: bool = False) -> Activities:
    store = InMemoryEventStore()
    built = TrajectoryActivities(store, TrajectoryService(store), signing_keys=keys, allow_simulated=allow_simulated)
    return Activities(store, built)


async def test_the_decide_activity_refuses_unsigned_foreign_and_altered_submissions_and_stores_nothing() -> None:
    worker = activities()
    cases = {
        "unsigned": (CommandSubmission.of(opening("t-1")), UNSIGNED),
        "another key": (signed(opening("t-1"), CommandSigner(other_keys())), SIGNATURE_INVALID),
        "actor changed": (altered(signed(opening("t-1")), actor="director:CBCT"), SIGNATURE_INVALID),
        "payload changed": (altered(signed(opening("t-1")), organisation="Elders"), SIGNATURE_INVALID),
        "unknown key id": (signed(opening("t-1"), CommandSigner(other_keys("k-elders"))), UNKNOWN_KEY),
    }
    for name, (submission, rule) in cases.items():
        verdict = await worker.decide(submission)
        assert not verdict.accepted and verdict.rule == rule, name
        assert verdict.message and "geweigerd" in verdict.message.lower(), name
        assert await worker.stored("t-1") == [], name
    assert (await worker.decide(signed(opening("t-1")))).accepted


async def test_after_a_key_rotation_a_command_signed_with_the_older_key_still_verifies() -> None:
    rotated = KeySet(current="k-new", keys={"k-new": secrets.token_bytes(KEY_BYTES), **TEST_KEYS.keys})
    worker = activities(rotated)
    assert (await worker.decide(signed(opening("t-1"), SIGNER))).accepted  # the old key, still in the ring
    newer = signed(withdrawal("t-1", actor="planner:anna"), CommandSigner(rotated))
    assert newer.key_id == "k-new"
    assert (await worker.decide(newer)).accepted
    retired = activities(KeySet(current="k-new", keys={"k-new": rotated.keys["k-new"]}))
    verdict = await retired.decide(signed(opening("t-2"), SIGNER))
    assert verdict.rule == UNKNOWN_KEY and await retired.stored("t-2") == []


async def test_the_workflows_own_deadline_needs_no_signature() -> None:
    worker = activities()
    assert (await worker.decide(signed(opening("t-1")))).accepted
    fire = FireDeadline(command_id="t-1:nope", trajectory_id="t-1", actor="system:deadlines", deadline_id="t-1:nope")
    verdict = await worker.decide(CommandSubmission.of(fire))
    assert verdict.rule not in SIGNATURE_RULES  # decided by the domain (no such deadline), not refused unsigned


async def test_a_production_worker_refuses_a_simulated_world_and_the_demo_worker_accepts_it() -> None:
    production = activities()
    for simulated, offset in ((True, timedelta(0)), (False, SEVEN_YEARS_BACK), (True, SEVEN_YEARS_BACK)):
        verdict = await production.decide(signed(opening("t-1")), simulated=simulated, offset=offset)
        assert not verdict.accepted and verdict.rule == SIMULATED_REFUSED
        assert verdict.message and "gesimuleerde" in verdict.message
        fire = FireDeadline(command_id="t-1:x", trajectory_id="t-1", actor="system:deadlines", deadline_id="t-1:x")
        with pytest.raises(ApplicationError) as deadline:
            await production.decide(CommandSubmission.of(fire), simulated=simulated, offset=offset)
        assert deadline.value.non_retryable
        with pytest.raises(ApplicationError) as survey:
            await production.activities.survey(
                SurveyRequest(trajectory_id="t-1", simulated=simulated, world_offset=offset)
            )
        assert survey.value.non_retryable
    assert await production.stored("t-1") == []
    demo = activities(allow_simulated=True)
    assert (await demo.decide(signed(opening("t-1")), simulated=True, offset=SEVEN_YEARS_BACK)).accepted


# --- through the workflow, sent raw -------------------------------------------------------------------------


@dataclass
class Production:
    """A production worker (real world only, the test keys rotated: `k-new` current, `test` older) on
    the time-skipping server, against a fresh database."""

    env: WorkflowEnvironment
    pool: asyncpg.Pool
    task_queue: str
    outbox: Path
    keys: KeySet

    def client(self, signer: CommandSigner | None = SIGNER) -> TrajectoryClient:
        return TrajectoryClient(self.env.client, signer=signer, task_queue=self.task_queue)

    async def raw(self, submission: CommandSubmission | dict[str, object], start: TrajectoryInput) -> Verdict:
        """What anyone who reaches the server can send: update-with-start, with input of their choosing."""
        verdict: Verdict = await self.env.client.execute_update_with_start_workflow(
            SUBMIT,
            submission,
            start_workflow_operation=WithStartWorkflowOperation(
                WORKFLOW_TYPE,
                start,
                id=trajectory_workflow_id(start.trajectory_id),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                task_queue=self.task_queue,
                result_type=object,
            ),
            result_type=Verdict,
        )
        return verdict

    async def events(self, tid: str | None = None) -> list[str]:
        if tid is None:
            rows = await self.pool.fetch("SELECT event_type FROM events ORDER BY position")
        else:
            rows = await self.pool.fetch(
                "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version", stream_id(tid)
            )
        return [r["event_type"] for r in rows]


@pytest_asyncio.fixture(loop_scope="session")
async def production(temporal: WorkflowEnvironment, database_url: str, tmp_path: Path) -> AsyncIterator[Production]:
    keys = KeySet(current="k-new", keys={"k-new": secrets.token_bytes(KEY_BYTES), **TEST_KEYS.keys})
    async with open_pool(database_url) as pool:
        store = PostgresEventStore(pool)
        task_queue = f"prod-{uuid.uuid4().hex[:10]}"
        world = Production(temporal, pool, task_queue, tmp_path / "outbox", keys)
        worker = trajectory_worker(
            temporal.client,
            store=store,
            service=TrajectoryService(store),
            sender=FileSender(world.outbox),
            signing_keys=keys,
            task_queue=task_queue,
        )
        async with worker:
            try:
                yield world
            finally:
                rows = await pool.fetch("SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'trajectory-%'")
                for row in rows:  # a workflow left running would hold skipped time for the next test
                    try:
                        handle = temporal.client.get_workflow_handle(
                            trajectory_workflow_id(row["stream_id"].removeprefix("trajectory-"))
                        )
                        await handle.terminate("test over")
                    except RPCError:
                        pass


async def test_raw_submissions_that_are_unsigned_foreign_or_altered_are_refused_and_nothing_is_stored(
    production: Production,
) -> None:
    start = TrajectoryInput(trajectory_id="t-1")
    unsigned = await production.raw(CommandSubmission.of(opening("t-1")), start)
    assert (unsigned.accepted, unsigned.rule) == (False, UNSIGNED)
    as_json: dict[str, object] = {"command_type": "OpenTrajectory", "command": opening("t-1").model_dump(mode="json")}
    assert (await production.raw(as_json, start)).rule == UNSIGNED  # what the `temporal` CLI sends
    foreign = await production.raw(signed(opening("t-1"), CommandSigner(other_keys())), start)
    assert (foreign.accepted, foreign.rule) == (False, SIGNATURE_INVALID)
    unknown = await production.raw(signed(opening("t-1"), CommandSigner(other_keys("k-old"))), start)
    assert (unknown.accepted, unknown.rule) == (False, UNKNOWN_KEY)
    assert await production.events() == []

    opened = await production.client().submit(opening("t-1"))  # signed with the older key, still in the ring
    assert opened.accepted
    before = await production.events("t-1")
    mails_before = eml_files(production.outbox)  # a deadline that fell due in skipped time may have sent one
    director = altered(signed(withdrawal("t-1", actor="planner:anna")), actor="director:CBCT")
    changed = await production.raw(director, start)
    assert (changed.accepted, changed.rule) == (False, SIGNATURE_INVALID)
    assert await production.events("t-1") == before
    assert eml_files(production.outbox) == mails_before  # the refusal sent none


async def test_an_outside_fire_deadline_is_refused_by_the_validator(production: Production) -> None:
    assert (await production.client().submit(opening("t-1"))).accepted
    before = await production.events("t-1")
    status = await production.client().status("t-1")
    assert status.next_deadline is not None
    due = status.next_deadline.deadline_id
    fire = FireDeadline(command_id=due, trajectory_id="t-1", actor="system:deadlines", deadline_id=due)
    for submission in (CommandSubmission.of(fire), signed(fire)):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await production.raw(submission, TrajectoryInput(trajectory_id="t-1"))
        assert "FireDeadline" in rejection_text(refused.value)
    assert await production.events("t-1") == before


@pytest.mark.parametrize(
    "world",
    [{"simulated": True}, {"world_offset": SEVEN_YEARS_BACK}, {"simulated": True, "world_offset": SEVEN_YEARS_BACK}],
    ids=["simulated", "offset", "both"],
)
async def test_a_simulated_start_on_a_production_worker_writes_nothing_and_the_workflow_fails(
    production: Production, world: dict[str, object]
) -> None:
    start = TrajectoryInput(trajectory_id="t-sim", **world)
    try:  # even a properly signed command: the world itself is refused
        verdict = await production.raw(signed(opening("t-sim")), start)
        assert not verdict.accepted
    except (WorkflowUpdateFailedError, RPCError):
        pass  # the run failed (its first survey refused the world) before the update was decided
    handle = production.env.client.get_workflow_handle(trajectory_workflow_id("t-sim"))
    with pytest.raises(WorkflowFailureError) as failed:
        await handle.result()
    assert "gesimuleerde" in causes(failed.value)
    assert await production.events() == []
    assert eml_files(production.outbox) == []


async def test_a_forged_snapshot_cannot_make_the_worker_send_an_email(production: Production) -> None:
    """A workflow's input comes from whoever starts it: e-mails carried in a (forged) continue-as-new
    snapshot are sent only when the store's events cause them; these are dropped, nothing is sent or stored."""
    forged = PendingEmail(
        message_id=str(uuid.uuid4()),
        trajectory_id="t-mail",
        kind="announcement",
        recipient="slachtoffer@example.org",
        subject="Uw certificaat is ingetrokken",
        body="Klik hier.",
        created_at=NOW,
    )
    start = TrajectoryInput(trajectory_id="t-mail", snapshot=Snapshot(emails=(forged,)))
    handle = await production.env.client.start_workflow(
        WORKFLOW_TYPE,
        start,
        id=trajectory_workflow_id("t-mail"),
        task_queue=production.task_queue,
        result_type=TrajectoryEnded,
    )
    ended = await handle.result()
    assert not ended.existed
    assert eml_files(production.outbox) == []
    assert await production.events() == []
