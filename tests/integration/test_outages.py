"""Issue 9, item 5 (store level): the event store and the projections ride out short outages.

On an embedded cluster this test owns: connections terminated under the writers and the projection
runner, and a restart of the server with three seconds of downtime. The work completes exactly once:
every append is stored once, in order, and every event is applied to the read model once.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from application.event_store import NewEvent
from infrastructure.database import open_pool, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.migrations import migrate_database
from infrastructure.postgres_event_store import PostgresEventStore
from projections.runner import ProjectionRunner
from tests.integration.test_projection_runner import CountingProjection

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(os.name != "posix", reason="Unix sockets"),
]

STREAMS, PER_STREAM = 4, 40


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    """A cluster of this test alone, so it may cut its connections and restart it."""
    data_dir = Path(tempfile.mkdtemp(prefix="cbct-outage-"))
    data_dir.chmod(0o711)
    server = EmbeddedPostgres(data_dir)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session")
async def url(own_server: EmbeddedPostgres) -> AsyncIterator[str]:
    database = with_database(own_server.url("postgres"), "cbct")
    await migrate_database(database)
    yield database


def _restart(server: EmbeddedPostgres, downtime: float) -> None:
    """Stop the server, stay down for `downtime` seconds (the outage itself), start it again."""
    server._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(server.pgdata), timeout=60)
    time.sleep(downtime)
    server._launch()


async def _write_all(store: PostgresEventStore) -> None:
    for v in range(PER_STREAM):
        for s in range(STREAMS):
            await store.append(f"trajectory-{s}", [NewEvent("Tick", {"v": v})], v)


async def _check_exactly_once(pool: asyncpg.Pool, store: PostgresEventStore, runner: ProjectionRunner) -> None:
    for s in range(STREAMS):
        stored = await store.read_stream(f"trajectory-{s}")
        assert [e.stream_version for e in stored] == list(range(1, PER_STREAM + 1))
        assert [e.data["v"] for e in stored] == list(range(PER_STREAM))
    await runner.catch_up()
    counts = {r["stream_id"]: (r["n"], r["last_version"]) for r in await pool.fetch("SELECT * FROM test_counts")}
    assert counts == {f"trajectory-{s}": (PER_STREAM, PER_STREAM) for s in range(STREAMS)}


async def test_terminated_connections_are_survived_by_appends_reads_and_projections(url: str) -> None:
    async with open_pool(url) as pool:
        await pool.execute("CREATE TABLE test_counts (stream_id text PRIMARY KEY, n int NOT NULL, last_version int)")
        store = PostgresEventStore(pool)
        runner = ProjectionRunner(pool, store, [CountingProjection()], batch_size=5)
        admin = await asyncpg.connect(url)
        writing = asyncio.create_task(_write_all(store))
        terminated = 0
        try:
            while not writing.done():
                terminated += await admin.fetchval(
                    """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                       WHERE datname = current_database() AND pid <> pg_backend_pid()"""
                )
                await runner.catch_up()
                await asyncio.wait([writing], timeout=0.05)
            await writing
        finally:
            await admin.close()
        assert terminated > 0, "the test cut no connection"
        await _check_exactly_once(pool, store, runner)
        await store.wakeup.close()


@pytest.mark.slow
async def test_a_three_second_restart_is_survived_by_appends_reads_and_projections(
    url: str, own_server: EmbeddedPostgres
) -> None:
    async with open_pool(url) as pool:
        await pool.execute("CREATE TABLE test_counts (stream_id text PRIMARY KEY, n int NOT NULL, last_version int)")
        store = PostgresEventStore(pool)
        runner = ProjectionRunner(pool, store, [CountingProjection()], batch_size=5)
        stop = asyncio.Event()
        following = asyncio.create_task(runner.run(CountingProjection.name, stop))
        writing = asyncio.create_task(_write_all(store))
        # Restart while the writers and the runner are busy.
        while await store.stream_version("trajectory-0") < PER_STREAM // 4:
            await asyncio.wait([writing], timeout=0.02)
        await asyncio.to_thread(_restart, own_server, 3.0)
        await asyncio.wait_for(writing, 120)
        stop.set()
        await asyncio.wait_for(following, 30)
        await _check_exactly_once(pool, store, runner)
        await store.wakeup.close()
