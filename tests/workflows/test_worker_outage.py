"""Issue 9, item 5 (worker level): a database restart of three seconds under a running worker process.

A real `python -m worker` on a real Temporal dev server, against an embedded cluster this test owns.
The server is stopped while a command is on its way and started again three seconds later. The worker
does not exit; the command is answered once the database is back; its events are stored once, its
e-mail is delivered once, and the read models (the timeline here) catch up with every event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from domain import SendAnnouncement
from infrastructure.database import with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.migrations import migrate_database
from tests.integration.test_outages import own_server
from tests.workflows.dev_server import DevServer, worker_cluster
from tests.workflows.support import SIGNER, Env, eml_files, wait_until
from tests.workflows.test_worker_processes import intake, opening
from workflows.client import TrajectoryClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

__all__ = ["own_server"]  # the cluster fixture, shared with the store-level outage tests


@pytest_asyncio.fixture(loop_scope="session")
async def database(own_server: EmbeddedPostgres) -> str:
    url = with_database(own_server.url("postgres"), "cbct_worker_outage")
    await migrate_database(url)
    return url


@pytest_asyncio.fixture(loop_scope="session")
async def cluster(database: str, tmp_path: Path) -> AsyncIterator[tuple[DevServer, Env]]:
    async with worker_cluster(database, tmp_path) as the_cluster:
        yield the_cluster


async def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


async def test_a_database_restart_under_the_worker_is_ridden_out_and_the_work_done_once(
    cluster: tuple[DevServer, Env], database: str, own_server: EmbeddedPostgres
) -> None:
    server, env = cluster
    client = TrajectoryClient(await server.client(), signer=SIGNER)
    worker = await env.worker("worker")
    await wait_until(lambda: any(e.get("event") == "worker_started" for e in worker.log_events()), "worker to start")
    assert (await client.submit(opening("t-o"))).accepted

    own_server._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(own_server.pgdata), timeout=60)
    try:
        announce = asyncio.create_task(
            client.submit(SendAnnouncement(command_id="t-o/aankondiging", trajectory_id="t-o", actor="test"))
        )
        await wait_until(
            lambda: (
                any(e.get("event") == "database_outage_retry" for e in worker.log_events())
                or "ConnectionRefused" in worker.stderr()
            ),
            "the worker to meet the outage",
        )
        await asyncio.sleep(3.0)  # the outage itself: the database stays down for three seconds
        assert worker.process.returncode is None, "the worker exited on the outage"
        assert not announce.done(), "the command was answered while its database was down"
    finally:
        own_server._launch()

    verdict = await asyncio.wait_for(announce, 90)
    assert verdict.accepted
    assert (await client.submit(intake("t-o"))).accepted
    assert worker.process.returncode is None

    stored = await _fetch(
        database, "SELECT stream_version, command_id FROM events WHERE stream_id = 'trajectory-t-o' ORDER BY 1"
    )
    assert [r["stream_version"] for r in stored] == list(range(1, len(stored) + 1))
    commands = [r["command_id"] for r in stored]
    assert commands.count("t-o/aankondiging") == 1 and commands.count("t-o/intake") == 1

    async def deliveries() -> dict[str, int]:
        rows = await _fetch(
            database, "SELECT stream_id, count(*) AS n FROM events WHERE event_type = 'MessageDelivered' GROUP BY 1"
        )
        return {r["stream_id"]: int(r["n"]) for r in rows}

    async def both_delivered() -> bool:  # the announcement and the intake's confirmation
        return len(await deliveries()) >= 2

    await wait_until(both_delivered, "both e-mails to be recorded delivered", 90)
    assert list((await deliveries()).values()) == [1, 1] and len(eml_files(env.outbox)) == 2

    async def caught_up() -> bool:  # the timeline read model has a line for every event of the trajectory
        rows = await _fetch(database, "SELECT max(stream_version) AS v FROM timeline WHERE trajectory_id = 't-o'")
        return bool(rows[0]["v"] == len(stored))

    await wait_until(caught_up, "the read models to catch up with every event", 90)
    assert worker.process.returncode is None
