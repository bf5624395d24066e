"""A worker killed with -9 in the middle of a command or an e-mail, on a real Temporal dev server and
real worker processes: another worker finishes it; nothing is lost, applied twice or sent twice.

No hook in shipped code stops the worker: the test adds a trigger to its own database that makes an
insert into the chosen streams wait for an advisory lock the test holds, so the activity blocks inside
its append (for an e-mail: after its file was written); the worker is killed there, the lock released,
and a second worker started.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from functools import partial
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from domain import OpenTrajectory, RecordIntake, RequestPostponement, SendAnnouncement
from infrastructure.database import drop_database
from tests.conftest import fresh_database
from tests.unit.driver import CONTACT
from tests.workflows.dev_server import DevServer, dev_server, worker_cluster
from tests.workflows.support import SIGNER, TEST_KEYS, Env, eml_files, wait_until
from workflows.client import TrajectoryClient
from workflows.contracts import TrajectoryStatus

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def one_database(server_urls: dict[str, str]) -> AsyncIterator[str]:
    """A fresh database on one Postgres server (these tests are about processes, not servers)."""
    url = await fresh_database(next(iter(server_urls.values())))
    yield url
    await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def cluster(one_database: str, tmp_path: Path) -> AsyncIterator[tuple[DevServer, Env]]:
    async with worker_cluster(one_database, tmp_path) as the_cluster:
        yield the_cluster


def opening(tid: str) -> OpenTrajectory:
    return OpenTrajectory(
        command_id=f"{tid}/open",
        trajectory_id=tid,
        actor="test",
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2029, 6, 30),
        contact_email="an@bibliotheekhengelo.example",
    )


def intake(tid: str) -> RecordIntake:
    return RecordIntake(
        command_id=f"{tid}/intake",
        trajectory_id=tid,
        actor="test",
        contacts=(CONTACT,),
        locations=("Centrale",),
        employees=40,
    )


async def held_appends(url: str, streams: str) -> asyncpg.Connection:
    """A connection that holds back every insert into streams LIKE `streams` until it closes."""
    conn = await asyncpg.connect(url)
    await conn.execute(
        f"""CREATE OR REPLACE FUNCTION test_hold_appends() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.stream_id LIKE '{streams}' THEN PERFORM pg_advisory_xact_lock(4242); END IF;
              RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER test_hold_appends BEFORE INSERT ON events
              FOR EACH ROW EXECUTE FUNCTION test_hold_appends();
            SELECT pg_advisory_lock(4242);"""
    )
    return conn


async def waiting_on_lock(url: str) -> bool:
    conn = await asyncpg.connect(url)
    try:
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    finally:
        await conn.close()
    return bool(waiting)


async def test_a_worker_killed_mid_command_leaves_it_to_another_that_applies_it_once(
    cluster: tuple[DevServer, Env], one_database: str
) -> None:
    server, env = cluster
    client = TrajectoryClient(await server.client(), signer=SIGNER)
    first = await env.worker("worker-1")
    assert (await client.submit(opening("t-k"))).accepted
    lock = await held_appends(one_database, "trajectory-%")
    asked = RequestPostponement(
        command_id="t-k/uitstel", trajectory_id="t-k", actor="test", ground="overmacht", reason="brand"
    )
    pending = asyncio.create_task(client.submit(asked))
    await wait_until(lambda: waiting_on_lock(one_database), "the command's append to wait for the lock")
    await first.kill9()
    await lock.close()
    await env.worker("worker-2")
    verdict = await asyncio.wait_for(pending, 90)
    assert verdict.accepted and verdict.events[0].type == "PostponementRequested"
    rows = await asyncpg.connect(one_database)
    try:
        stored = await rows.fetch(
            "SELECT stream_version, command_id FROM events WHERE stream_id = 'trajectory-t-k' ORDER BY stream_version"
        )
    finally:
        await rows.close()
    assert [r["stream_version"] for r in stored] == list(range(1, len(stored) + 1))
    assert [r["command_id"] for r in stored].count("t-k/uitstel") == 1


async def test_a_worker_killed_mid_email_leaves_one_file_and_one_delivery(
    cluster: tuple[DevServer, Env], one_database: str
) -> None:
    server, env = cluster
    client = TrajectoryClient(await server.client(), signer=SIGNER)
    first = await env.worker("worker-1")
    assert (await client.submit(opening("t-m"))).accepted
    lock = await held_appends(one_database, "message-%")
    # The announcement is appended; its e-mail is written, then its delivery record waits (and with it
    # the answer: a decision answers once the e-mails it handed over are recorded).
    announce = SendAnnouncement(command_id="t-m/aankondiging", trajectory_id="t-m", actor="test")
    pending = asyncio.create_task(client.submit(announce))
    await wait_until(lambda: waiting_on_lock(one_database), "the e-mail's delivery to wait for the lock")
    assert len(eml_files(env.outbox)) == 1
    await first.kill9()
    await lock.close()
    await env.worker("worker-2")
    assert (await asyncio.wait_for(pending, 90)).accepted
    assert (await client.submit(intake("t-m"))).accepted

    async def delivered() -> int:
        conn = await asyncpg.connect(one_database)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM events WHERE event_type = 'MessageDelivered'"))
        finally:
            await conn.close()

    await wait_until(lambda: _at_least(delivered, 2), "both e-mails to be recorded delivered", 90)
    assert await delivered() == 2
    assert len(eml_files(env.outbox)) == 2


async def _at_least(count: Callable[[], Awaitable[int]], n: int) -> bool:
    return await count() >= n


async def test_sigterm_stops_the_worker_gracefully(cluster: tuple[DevServer, Env]) -> None:
    _server, env = cluster
    worker = await env.worker("worker")
    await wait_until(lambda: any(e.get("event") == "worker_started" for e in worker.log_events()), "worker to start")
    started = next(e for e in worker.log_events() if e.get("event") == "worker_started")
    assert started["task_queue"] and "web_ui" in started
    worker.terminate()
    assert await worker.exit_code() == 0
    assert any(e.get("event") == "worker_stopped" for e in worker.log_events())


async def test_reconcile_after_temporal_lost_its_data_restarts_every_open_trajectory(
    one_database: str, tmp_path: Path
) -> None:
    """Trajectories opened on one Temporal server; that server's data is gone (a fresh server): reconcile
    starts a workflow for each open one — once, however often it runs — each with its next timer."""
    from activities.sender import FileSender
    from application.trajectories import TrajectoryService
    from infrastructure.database import open_pool
    from infrastructure.postgres_event_store import PostgresEventStore
    from interfaces.workflow_ops import reconcile
    from workflows.worker_factory import trajectory_worker

    async with open_pool(one_database) as pool:
        store = PostgresEventStore(pool)
        service = TrajectoryService(store)
        for directory in ("first", "second"):
            async with dev_server(tmp_path / directory) as server:
                client = await server.client()
                worker = trajectory_worker(
                    client, store=store, service=service, sender=FileSender(tmp_path / "out"), signing_keys=TEST_KEYS
                )
                async with worker:
                    trajectories = TrajectoryClient(client, signer=SIGNER)
                    if directory == "first":
                        for tid in ("t-a", "t-b"):
                            assert (await trajectories.submit(opening(tid))).accepted
                        continue
                    assert sorted(await reconcile(pool, service, trajectories)) == ["t-a", "t-b"]
                    assert await reconcile(pool, service, trajectories) == []
                    for tid in ("t-a", "t-b"):
                        status = await wait_until(partial(_scheduled, trajectories, tid), f"{tid} to plan")
                        assert status.next_deadline.deadline_id.startswith(f"{tid}:announcement:")


async def _scheduled(trajectories: TrajectoryClient, tid: str) -> TrajectoryStatus | None:
    status = await trajectories.status(tid)
    return status if status.next_deadline is not None else None


async def test_a_sender_that_is_down_delays_emails_shows_them_failing_and_never_drops_or_doubles_them(
    cluster: tuple[DevServer, Env], one_database: str
) -> None:
    """The outbox is unwritable: the e-mail activity keeps failing and retrying (listed for ops as
    failing, not lost); a worker with the outbox back sends each e-mail once."""
    from interfaces.workflow_ops import failing_activities

    server, env = cluster
    temporal = await server.client()
    client = TrajectoryClient(temporal, signer=SIGNER)
    blocked = env.root / "blocked"
    blocked.write_text("a file where the outbox directory should be")
    down = await env.worker("worker-down", CBCT_OUTBOX_DIR=str(blocked / "outbox"))
    assert (await client.submit(opening("t-s"))).accepted
    announced = SendAnnouncement(command_id="t-s/aankondiging", trajectory_id="t-s", actor="test")
    assert (await client.submit(announced)).accepted
    failing = await wait_until(lambda: failing_activities(temporal), "the e-mail activity to be listed failing", 90)
    assert [(f.trajectory_id, f.activity) for f in failing] == [("t-s", "email.send")]
    assert failing[0].last_failure and "outbox" in failing[0].last_failure
    down.terminate()
    assert await down.exit_code() == 0
    await env.worker("worker-up")
    await wait_until(lambda: len(eml_files(env.outbox)) == 1 and _no_failing(temporal), "the e-mail to go out", 120)
    conn = await asyncpg.connect(one_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE event_type = 'MessageDelivered'") == 1
    finally:
        await conn.close()


async def _no_failing(temporal: object) -> bool:
    from interfaces.workflow_ops import failing_activities

    return not await failing_activities(temporal)  # type: ignore[arg-type]
