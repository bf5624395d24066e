"""Issue 9, item 5 (demo level): `cbct demo` rides out terminated connections and a database restart.

The replay runs a slice of the register on an embedded cluster this test owns. While it runs, every
connection of the replay's database is terminated, twice, and then the server is stopped for three
seconds and started again. The replay still finishes by itself, and the work is done exactly once:
the register equals the CSV and every trajectory's events equal the one-at-a-time pure simulation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from application.demo.replay import replay
from infrastructure.database import with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.migrations import migrate_database
from infrastructure.settings import Settings
from interfaces.skipped_time import SkippedTimeWorld, open_world
from tests.e2e.test_demo import expected, register_of, register_slice, simulated_events, trajectory_events
from tests.integration.test_outages import _restart, own_server

pytestmark = pytest.mark.asyncio(loop_scope="session")

__all__ = ["own_server"]  # the cluster fixture, shared with the store-level outage tests


@pytest_asyncio.fixture(loop_scope="session")
async def world(own_server: EmbeddedPostgres, tmp_path: Path) -> AsyncIterator[SkippedTimeWorld]:
    url = with_database(own_server.url("postgres"), "cbct_demo_outage")
    await migrate_database(url)
    async with open_world(url, tmp_path / "outbox", settings=Settings(log_level="error")) as the_world:
        yield the_world


async def _terminate_all(server: EmbeddedPostgres) -> int:
    """Terminate every connection to the replay's database, as an admin or a failover would."""
    admin = await asyncpg.connect(server.url("postgres"))
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = 'cbct_demo_outage' AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


async def test_terminated_connections_and_a_restart_during_the_demo_lose_and_double_nothing(
    world: SkippedTimeWorld, own_server: EmbeddedPostgres
) -> None:
    rows = register_slice()[:10]
    only = {r.certificate_number for r in rows}
    total = sum(len(v) for v in simulated_events(only).values())
    run = asyncio.create_task(replay(world, only=only))
    terminated = 0
    async with asyncio.timeout(300):
        for share in (0.15, 0.3):  # mid-run, twice: every connection of the database cut
            while await world.event_count() < share * total:
                assert not run.done(), "the replay ended before the faults"
                await asyncio.sleep(0.05)
            terminated += await _terminate_all(own_server)
        while await world.event_count() < 0.5 * total:
            assert not run.done(), "the replay ended before the restart"
            await asyncio.sleep(0.05)
        await asyncio.to_thread(_restart, own_server, 3.0)  # down for three seconds, then up again
        summary = await run

    assert terminated > 0
    assert summary.trajectories == len(only)
    assert await register_of(world) == expected(rows)
    assert await trajectory_events(world) == simulated_events(only)
