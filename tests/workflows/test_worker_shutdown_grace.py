"""Issue 19, case 4: `CBCT_SHUTDOWN_GRACE_SECONDS` bounds the worker's exit.

A real worker on a real Temporal dev server is told to stop (SIGTERM) while a command's decision is stuck
in its append (held back by a trigger waiting for a lock this test holds). It exits within the grace plus
a little, abandoning the decision; the next worker decides it, once, by its command id. Before: 13.8 s
and 40.4 s with a grace of 3 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from domain import RequestPostponement
from infrastructure.database import drop_database
from tests.conftest import fresh_database
from tests.workflows.dev_server import DevServer, worker_cluster
from tests.workflows.support import SIGNER, Env, wait_until
from tests.workflows.test_worker_processes import held_appends, opening, waiting_on_lock
from workflows.client import TrajectoryClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

GRACE = 3.0
SLACK = 2.5
"""Seconds past the grace the exit may take: the SDK's cancellation, the pool's close, the interpreter."""


@pytest_asyncio.fixture(loop_scope="session")
async def one_database(server_urls: dict[str, str]) -> AsyncIterator[str]:
    url = await fresh_database(next(iter(server_urls.values())))
    yield url
    await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def cluster(one_database: str, tmp_path: Path) -> AsyncIterator[tuple[DevServer, Env]]:
    async with worker_cluster(one_database, tmp_path) as the_cluster:
        yield the_cluster


async def test_the_grace_bounds_the_exit_and_the_next_worker_decides_the_abandoned_command_once(
    cluster: tuple[DevServer, Env], one_database: str
) -> None:
    server, env = cluster
    client = TrajectoryClient(await server.client(), signer=SIGNER)
    first = await env.worker("worker-1", CBCT_SHUTDOWN_GRACE_SECONDS=str(GRACE))
    assert (await client.submit(opening("t-g"))).accepted
    lock = await held_appends(one_database, "trajectory-%")
    asked = RequestPostponement(
        command_id="t-g/uitstel", trajectory_id="t-g", actor="test", ground="overmacht", reason="brand"
    )
    pending = asyncio.create_task(client.submit(asked))
    try:
        await wait_until(lambda: waiting_on_lock(one_database), "the command's decision to wait in its append")

        first.terminate()
        told = time.monotonic()
        code = await first.exit_code(within=60)
        took = time.monotonic() - told
        print(f"worker exited {took:.2f} s after SIGTERM (grace {GRACE:.0f} s)")  # the measurement (pytest -s)
        assert code == 0, first.stderr()[-3000:]
        assert took <= GRACE + SLACK, f"the exit took {took:.1f} s with a grace of {GRACE:.0f} s"
        assert any(e.get("event") == "worker_shutdown_abandoned" for e in first.log_events())
    finally:
        await lock.close()

    await env.worker("worker-2")
    verdict = await asyncio.wait_for(pending, 90)
    assert verdict.accepted and verdict.events[0].type == "PostponementRequested"
    conn = await asyncpg.connect(one_database)
    try:
        stored = await conn.fetch("SELECT command_id FROM events WHERE stream_id = 'trajectory-t-g'")
    finally:
        await conn.close()
    assert [r["command_id"] for r in stored].count("t-g/uitstel") == 1
