"""E-mail over SMTP end to end: the trajectory workflow on a real Temporal dev server, its activities in
this process with the SMTP sender, and a real SMTP server on loopback (aiosmtpd).

- every e-mail of a short trajectory arrives exactly once (counted by Message-ID);
- with the SMTP server stopped mid-run, the e-mails wait (retried) and arrive once when it is back;
- a 5xx refusal is recorded once as `MessageRefused`, counted in the metrics, listed by `cbct stuck`,
  and neither fails the decision nor loops: the workflow lets the e-mail go.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from activities.outbox import emails_of
from application.calendar_ids import audit_uid
from application.mail import message_id_header
from application.trajectories import stream_id
from domain import CancelAudit, Command, OpenTrajectory, RecordIntake, ScheduleAudit, SendAnnouncement
from infrastructure.database import drop_database, open_pool
from infrastructure.metrics import REGISTRY
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.smtp_sender import SmtpSender
from tests.conftest import fresh_database
from tests.email.smtp_server import Mailbox, SmtpServer
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.unit.driver import CONTACT
from tests.workflows.conftest import settings_url
from tests.workflows.dev_server import DevServer, dev_server
from tests.workflows.support import REPO, SIGNER, TEST_KEYS, signing_setting, wait_until
from workflows.client import TrajectoryClient
from workflows.worker_factory import trajectory_worker

pytestmark = pytest.mark.asyncio(loop_scope="session")

AUDITORS = {"expert_auditor": "Ellen Expert", "peer_auditor": "Peer Bakker"}
REFUSAL = "550 5.1.1 <anna@bibliotheek.example>: Recipient address rejected: User unknown"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def temporal(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    async with dev_server(tmp_path_factory.mktemp("temporal")) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def database(server_urls: dict[str, str]) -> AsyncIterator[str]:
    """A fresh database on one Postgres server (these tests are about the e-mail path, not the store)."""
    url = await fresh_database(next(iter(server_urls.values())))
    yield url
    await drop_database(url)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox()).start()
    try:
        yield server
    finally:
        server.stop()


class Rig:
    """Submits commands to the trajectory workflows that this process's worker runs."""

    def __init__(self, client: TrajectoryClient, pool: asyncpg.Pool) -> None:
        self.client = client
        self.pool = pool
        self.count = 0

    async def send(self, cls: type[Command], tid: str, **fields: Any) -> None:
        self.count += 1
        verdict = await self.client.submit(
            cls(command_id=f"{tid}/c{self.count}", trajectory_id=tid, actor="test", **fields)
        )
        assert verdict.accepted, verdict

    async def events(self, event_type: str) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM events WHERE event_type = $1", event_type))

    async def expected_message_ids(self, tid: str) -> list[str]:
        records = await PostgresEventStore(self.pool).read_stream(stream_id(tid))
        return [e.message_id for e in emails_of(records)]

    async def quiet(self, tid: str) -> bool:
        return (await self.client.status(tid)).emails_pending == 0


@contextlib.asynccontextmanager
async def worker(temporal: DevServer, database: str, smtp: SmtpServer) -> AsyncIterator[Rig]:
    """This process's worker on a task queue of its own, sending through `smtp` (plain, loopback)."""
    client = await temporal.client()
    task_queue = f"smtp-{uuid.uuid4().hex[:8]}"
    async with open_pool(database) as pool:
        store = PostgresEventStore(pool)
        from application.trajectories import TrajectoryService

        sender = SmtpSender("127.0.0.1", port=smtp.port, security="none", timeout=5)
        the_worker = trajectory_worker(
            client,
            store=store,
            service=TrajectoryService(store),
            sender=sender,
            signing_keys=TEST_KEYS,
            task_queue=task_queue,
        )
        async with the_worker:
            yield Rig(TrajectoryClient(client, signer=SIGNER, task_queue=task_queue), pool)


def opening(tid: str) -> dict[str, Any]:
    return {
        "organisation": "Bibliotheek Hengelo",
        "certificate_number": "1002",
        "association": "VOB",
        "framework_version": "kib-ii-2023",
        "previous_certificate_expiry": date(2029, 6, 30),
        "contact_email": "info@bibliotheekhengelo.example",
    }


def intake() -> dict[str, Any]:
    return {"contacts": (CONTACT,), "locations": ("Centrale",), "employees": 40}


def emails_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("cbct_emails_total", {"transport": "smtp", "outcome": outcome}) or 0.0


async def test_every_email_of_a_short_trajectory_arrives_exactly_once(
    temporal: DevServer, database: str, smtp: SmtpServer
) -> None:
    tid = "t-once"
    sent_before = emails_counted("sent")
    async with worker(temporal, database, smtp) as rig:
        await rig.send(OpenTrajectory, tid, **opening(tid))
        await rig.send(SendAnnouncement, tid)
        await rig.send(RecordIntake, tid, **intake())
        await rig.send(ScheduleAudit, tid, audit_dates=[date(2029, 4, 17)], **AUDITORS)
        await rig.send(ScheduleAudit, tid, audit_dates=[date(2029, 5, 15), date(2029, 5, 16)], **AUDITORS)
        await rig.send(CancelAudit, tid, reason="verbouwing")
        expected = await rig.expected_message_ids(tid)
        assert len(expected) == 5  # announcement, intake, scheduled, moved, cancelled
        await wait_until(lambda: len(smtp.mailbox.received) >= 5 and rig.quiet(tid), "the five e-mails", 60)
        assert await rig.events("MessageDelivered") == 5
    arrived = smtp.mailbox.by_message_id()
    assert sorted(arrived) == sorted(f"<{m}@cbct-trajectories>" for m in expected)
    assert set(arrived.values()) == {1}
    assert emails_counted("sent") - sent_before == 5
    invites = [r.message for r in smtp.mailbox.received if r.message.get_content_type() == "multipart/mixed"]
    assert len(invites) == 3
    for message in invites:
        [ics] = list(message.iter_attachments())
        text = ics.get_content()
        assert f"UID:{audit_uid(tid, 0)}" in text.replace("\r\n ", "")
    assert all(r.recipients in {("info@bibliotheekhengelo.example",), (CONTACT.email,)} for r in smtp.mailbox.received)


async def test_with_the_smtp_server_down_mid_run_the_waiting_emails_arrive_once_when_it_is_back(
    temporal: DevServer, database: str, smtp: SmtpServer
) -> None:
    tid = "t-down"
    async with worker(temporal, database, smtp) as rig:
        await rig.send(OpenTrajectory, tid, **opening(tid))
        await rig.send(SendAnnouncement, tid)
        await wait_until(lambda: len(smtp.mailbox.received) == 1, "the announcement")
        smtp.stop()
        failed_before = emails_counted("failed")
        await rig.send(RecordIntake, tid, **intake())  # the decision stands; its e-mails wait
        await rig.send(ScheduleAudit, tid, audit_dates=[date(2029, 4, 17)], **AUDITORS)
        # Tried inline (two), then by the e-mail activity and retried: the server is away, nothing is dropped.
        await wait_until(lambda: emails_counted("failed") - failed_before >= 4, "the e-mails to be retried", 60)
        assert (await rig.client.status(tid)).emails_pending == 2
        assert await rig.events("MessageDelivered") == 1
        failing = await wait_until(lambda: _failing(temporal, tid), "ops to see the e-mail activities failing", 60)
        assert {f.activity for f in failing} == {"email.send"} and all(
            "Connect" in (f.last_failure or "") for f in failing
        )
        smtp.start()
        await wait_until(lambda: len(smtp.mailbox.received) >= 3 and rig.quiet(tid), "the waiting e-mails", 90)
        assert await rig.events("MessageDelivered") == 3
    arrived = smtp.mailbox.by_message_id()
    assert len(arrived) == 3 and set(arrived.values()) == {1}
    assert sorted(arrived) == sorted(f"<{m}@cbct-trajectories>" for m in await expected_ids(database, tid))


async def _failing(temporal: DevServer, tid: str) -> list[Any]:
    from interfaces.workflow_ops import failing_activities

    return [f for f in await failing_activities(await temporal.client()) if f.trajectory_id == tid]


async def expected_ids(database: str, tid: str) -> list[str]:
    async with open_pool(database) as pool:
        records = await PostgresEventStore(pool).read_stream(stream_id(tid))
    return [e.message_id for e in emails_of(records)]


async def test_a_permanent_refusal_is_recorded_once_counted_and_listed_by_cbct_stuck_without_a_retry_loop(
    temporal: DevServer, database: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    """The intake's contact is refused with 550: once while the decision sends (inline), once by the
    e-mail activity (the server was away when the audit was scheduled). Both decisions stand; each
    e-mail is recorded refused once; the activity is not retried; `cbct stuck` lists both."""
    tid = "t-refused"
    smtp.mailbox.refuse[CONTACT.email] = REFUSAL
    refused_before = emails_counted("refused")
    async with worker(temporal, database, smtp) as rig:
        await rig.send(OpenTrajectory, tid, **opening(tid))
        await rig.send(SendAnnouncement, tid)  # to the opening's address: accepted
        await rig.send(RecordIntake, tid, **intake())  # to the intake's contact: refused inline
        assert await rig.events("MessageRefused") == 1
        smtp.stop()
        await rig.send(ScheduleAudit, tid, audit_dates=[date(2029, 4, 17)], **AUDITORS)
        assert (await rig.client.status(tid)).emails_pending == 1  # waits for the server
        smtp.start()
        await wait_until(lambda: _refused(rig, 2), "the e-mail activity to record the refusal", 90)
        await wait_until(lambda: rig.quiet(tid), "the workflow to let the refused e-mail go", 30)
        status = await rig.client.status(tid)
        assert status.phase == "audit gepland"  # the decisions stood
        assert await rig.events("MessageRefused") == 2 and await rig.events("MessageDelivered") == 1
        handle = rig.client.handle(tid)
        description = await handle.describe()
        assert description.status is not None and description.status.name == "RUNNING"
        history = [e async for e in handle.fetch_history_events()]
        scheduled = [e for e in history if e.HasField("activity_task_scheduled_event_attributes")]
        failed = [e for e in history if e.HasField("activity_task_failed_event_attributes")]
        email_sends = [
            e for e in scheduled if e.activity_task_scheduled_event_attributes.activity_type.name == "email.send"
        ]
        assert len(email_sends) == 1 and len(failed) == 1  # one attempt that failed for good: no retry loop
        assert failed[0].activity_task_failed_event_attributes.failure.application_failure_info.non_retryable
    assert emails_counted("refused") - refused_before == 2
    assert [r.recipients for r in smtp.mailbox.received] == [("info@bibliotheekhengelo.example",)]
    stuck = await cbct_stuck(temporal, database, tmp_path)
    rows = stuck["refused_emails"]
    assert sorted(r["kind"] for r in rows) == ["audit_scheduled", "intake_received"]
    assert all(r["recipient"] == CONTACT.email and r["failure"].startswith("550 5.1.1") for r in rows)
    table = await cbct_stuck(temporal, database, tmp_path, json_output=False)
    assert "E-mails geweigerd door de mailserver (2)" in table and "User unknown" in table
    assert "cbct email save" in table

    refused = next(r for r in rows if r["kind"] == "intake_received")
    saved = tmp_path / "doorsturen.eml"
    said = await cbct(temporal, database, tmp_path, "email", "save", refused["message_id"], "-o", str(saved))
    assert "E-mail opgeslagen in" in said and "status: refused" in said
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # names and addresses: this user's only
    email = BytesParser(policy=policy.default).parsebytes(saved.read_bytes())
    assert (email["To"], email["Message-ID"]) == (CONTACT.email, message_id_header(refused["message_id"]))
    assert email.get_body(preferencelist=("plain",)) is not None


async def _refused(rig: Rig, n: int) -> bool:
    return await rig.events("MessageRefused") >= n


async def cbct_stuck(temporal: DevServer, database: str, root: Path, *, json_output: bool = True) -> Any:
    """`cbct stuck` as ops run it, against the test's database and Temporal server."""
    out = await cbct(temporal, database, root, "stuck", *(["--format", "json"] if json_output else []))
    return json.loads(out) if json_output else out


async def cbct(temporal: DevServer, database: str, root: Path, *argv: str) -> str:
    """A `cbct` command as ops run it, against the test's database and Temporal server; its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    env.update(
        CBCT_DATABASE_URL=settings_url(database),
        CBCT_TEMPORAL_ADDRESS=temporal.address,
        CBCT_TEMPORAL_NAMESPACE="cbct",
        CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
        CBCT_SIGNING_KEYS=signing_setting(),
        CBCT_DATA_DIR=str(root / "data"),
        CBCT_OUTBOX_DIR=str(root / "outbox"),
        CBCT_LOG_LEVEL="error",
        COLUMNS="250",
        PYTHONPATH=str(REPO),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "interfaces.cli.app", *argv, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()[-3000:]
    return out.decode()


async def test_a_worker_killed_after_the_server_accepted_an_email_resends_it_once_byte_identical(
    database: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    """The documented window, in worker processes: the server accepted the announcement, the worker is
    killed before its delivery is recorded; the next worker sends it at most once more — the same
    bytes, the same Message-ID, for the receiver to de-duplicate — records it once, and sends the next
    e-mail once."""
    from tests.workflows.dev_server import worker_cluster
    from tests.workflows.test_worker_processes import held_appends, waiting_on_lock

    smtp_env = {"CBCT_SMTP_HOST": "127.0.0.1", "CBCT_SMTP_PORT": str(smtp.port), "CBCT_SMTP_SECURITY": "none"}
    async with worker_cluster(database, tmp_path) as (server, env):
        client = TrajectoryClient(await server.client(), signer=SIGNER)
        first = await env.worker("worker-1", **smtp_env)
        tid = "t-killed"
        assert (
            await client.submit(
                OpenTrajectory(command_id=f"{tid}/open", trajectory_id=tid, actor="test", **opening(tid))
            )
        ).accepted
        lock = await held_appends(database, "message-%")
        announce = SendAnnouncement(command_id=f"{tid}/aankondiging", trajectory_id=tid, actor="test")
        pending = asyncio.create_task(client.submit(announce))  # answered once its e-mail is recorded
        await wait_until(lambda: waiting_on_lock(database), "the e-mail's delivery record to wait for the lock")
        assert len(smtp.mailbox.received) == 1  # the server has it; the record does not exist yet
        await first.kill9()
        await lock.close()
        await env.worker("worker-2", **smtp_env)
        assert (await asyncio.wait_for(pending, 90)).accepted
        recorded = RecordIntake(command_id=f"{tid}/intake", trajectory_id=tid, actor="test", **intake())
        assert (await client.submit(recorded)).accepted
        async with open_pool(database) as pool:
            rig = Rig(client, pool)
            await wait_until(lambda: _delivered(rig, 2), "both e-mails to be recorded delivered", 90)
            assert await rig.events("MessageDelivered") == 2
    arrived = smtp.mailbox.by_message_id()
    announcement, intake_mail = await expected_ids(database, tid)
    # Twice when the killed worker's record was lost; once when its blocked insert still committed after
    # the kill (the server ends the session only when it next talks to the client). Never more.
    assert arrived[f"<{intake_mail}@cbct-trajectories>"] == 1
    assert arrived[f"<{announcement}@cbct-trajectories>"] in (1, 2) and len(arrived) == 2
    copies = {r.data for r in smtp.mailbox.received if announcement in r.message_id}
    assert len(copies) == 1  # byte-identical: the receiver de-duplicates on the Message-ID


async def _delivered(rig: Rig, n: int) -> bool:
    return await rig.events("MessageDelivered") >= n
