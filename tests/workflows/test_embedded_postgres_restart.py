"""Issue 19, case 3: the embedded Postgres killed with -9 under a running worker comes back by itself.

A real `python -m worker` on a real Temporal dev server and on the embedded Postgres of its own data
directory (no `CBCT_DATABASE_URL`): the worker owns that server's life. The postmaster is killed with -9;
the worker restarts it (same cluster, same socket) within seconds, saying so in one line, and a command
sent afterwards is answered and stored once. Before: it stayed down until a CLI command started it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import psutil
import pytest
import pytest_asyncio

from domain import RequestPostponement
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.settings import Settings
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.workflows.dev_server import DevServer, dev_server
from tests.workflows.support import SIGNER, Env, Proc, signing_setting, wait_until
from tests.workflows.test_worker_processes import opening
from workflows.client import TrajectoryClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

BACK_WITHIN = 10.0
"""Seconds the worker may take to notice the loss and restart the server (measured: about 0.6-1 s)."""


@pytest_asyncio.fixture(loop_scope="session")
async def embedded_worker(tmp_path: Path) -> AsyncIterator[tuple[DevServer, Env, Proc, EmbeddedPostgres]]:
    """A worker on the embedded Postgres of `tmp_path/data`, and this test's own handle on that server."""
    async with dev_server(tmp_path / "temporal") as server:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
        base.update(
            CBCT_TEMPORAL_ADDRESS=server.address,
            CBCT_TEMPORAL_NAMESPACE="cbct",
            CBCT_DATA_DIR=str(tmp_path / "data"),
            CBCT_OUTBOX_DIR=str(tmp_path / "outbox"),
            CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
            CBCT_LOG_FORMAT="json",
            CBCT_SHUTDOWN_GRACE_SECONDS="1",
            CBCT_SIGNING_KEYS=signing_setting(),
        )
        env = Env("", tmp_path, base)
        worker = await env.worker("worker")
        handle = EmbeddedPostgres(tmp_path / "data")
        try:
            await wait_until(lambda: _logged(worker, "worker_started"), "the worker to start", 120)
            await asyncio.to_thread(handle.start)  # joins the worker's server
            yield server, env, worker, handle
        finally:
            if worker.process.returncode is None:  # SIGTERM: it lets go of the server, the last user stops it
                worker.terminate()
                await worker.exit_code()
            env.kill_all()
            await asyncio.to_thread(handle.stop)


def _logged(worker: Proc, event: str) -> bool:
    return any(e.get("event") == event for e in worker.log_events())


def _postmaster_pid(handle: EmbeddedPostgres) -> int:
    return int((handle.pgdata / "postmaster.pid").read_text().splitlines()[0])


async def test_a_killed_embedded_postgres_is_restarted_by_the_worker_and_commands_work_again(
    embedded_worker: tuple[DevServer, Env, Proc, EmbeddedPostgres],
) -> None:
    server, _env, worker, handle = embedded_worker
    client = TrajectoryClient(await server.client(), signer=SIGNER)
    assert (await client.submit(opening("t-pg"))).accepted
    killed = _postmaster_pid(handle)

    os.kill(killed, signal.SIGKILL)
    started = time.monotonic()
    await wait_until(
        lambda: _logged(worker, "embedded_postgres_recovered"), "the worker to restart Postgres", BACK_WITHIN
    )
    print(f"embedded Postgres back after {time.monotonic() - started:.2f} s")  # the measurement (pytest -s shows it)

    assert worker.process.returncode is None, "the worker exited on the outage"
    assert _postmaster_pid(handle) != killed and psutil.pid_exists(_postmaster_pid(handle))
    lost = [e for e in worker.log_events() if e.get("event") == "embedded_postgres_lost"]
    assert len(lost) == 1, "one line for the loss, not one per probe"
    asked = RequestPostponement(
        command_id="t-pg/uitstel", trajectory_id="t-pg", actor="test", ground="overmacht", reason="brand"
    )
    verdict = await asyncio.wait_for(client.submit(asked), 60)
    assert verdict.accepted and verdict.events[0].type == "PostponementRequested"
    conn = await asyncpg.connect(handle.url(Settings.model_fields["database_name"].default))
    try:
        commands = await conn.fetch("SELECT command_id FROM events WHERE stream_id = 'trajectory-t-pg'")
    finally:
        await conn.close()
    assert [r["command_id"] for r in commands].count("t-pg/uitstel") == 1


@pytest.mark.parametrize("name", ["plain", 'with "quotes"'])  # quotes: the socket lives in /tmp/cbct-pg-…
async def test_restart_brings_a_killed_server_back_on_the_same_url(tmp_path: Path, name: str) -> None:
    """`EmbeddedPostgres.restart` (what the keeper calls): the same cluster, reachable on the same URL,
    whether its socket is in pgdata or in a private folder in /tmp; a second call only joins."""
    handle = EmbeddedPostgres(tmp_path / name / ".cbct")
    await asyncio.to_thread(handle.start)
    try:
        url = handle.url("postgres")
        conn = await asyncpg.connect(url)
        await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        await conn.close()
        socket_dir = Path((handle.pgdata / "postmaster.pid").read_text().splitlines()[4].strip())

        os.kill(_postmaster_pid(handle), signal.SIGKILL)
        await wait_until(lambda: not handle.alive(), "the postmaster to be gone", 10)
        assert await asyncio.to_thread(handle.restart) is True
        assert await asyncio.to_thread(handle.restart) is False, "a running server is joined, not started again"

        assert handle.alive() and handle.url("postgres") == url
        assert Path((handle.pgdata / "postmaster.pid").read_text().splitlines()[4].strip()) == socket_dir
        assert os.stat(socket_dir).st_mode & 0o077 == 0
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT n FROM kept") == 42
        finally:
            await conn.close()
    finally:
        await asyncio.to_thread(handle.stop)
