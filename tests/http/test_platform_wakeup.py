"""`Wakeup.listen` survives a database restart: the process that serves HTTP keeps following the store.

A Postgres of the test's own (the embedded server in a temporary data directory) is killed with -9 and
restarted on the same URL; the listener notices, connects again, wakes its followers once for what came
meanwhile, and is then woken by another process's NOTIFY (what its appends send) as before.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import asyncpg
import pytest

from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.wakeup import CHANNEL, Wakeup
from tests.http.platform_support import quiet_logs
from tests.workflows.support import wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_listener_reconnects_after_the_database_restarts(tmp_path: Path) -> None:
    handle = EmbeddedPostgres(tmp_path / "data")
    url = await asyncio.to_thread(handle.start)
    remote = Wakeup(check_seconds=0.5)  # another process's follower: it sees NOTIFYs only
    try:
        with quiet_logs():
            await remote.listen(url)
            assert remote.listening
            await _notify(url)
            assert await remote.wait(0, timeout=10), "no NOTIFY before the restart"

            postmaster = int((handle.pgdata / "postmaster.pid").read_text().splitlines()[0])
            os.kill(postmaster, signal.SIGKILL)
            await wait_until(lambda: not handle.alive(), "the postmaster to be gone", 10)
            await wait_until(lambda: not remote.listening, "the listener to notice the loss", 10)
            assert await asyncio.to_thread(handle.restart)

            await wait_until(lambda: remote.listening, "the listener to connect again", 30)
            seen = remote.generation  # the reconnection woke followers once already
            await _notify(url)
            assert await remote.wait(seen, timeout=10), "no NOTIFY after the restart"
    finally:
        await remote.close()
        await asyncio.to_thread(handle.stop)
    assert not remote.listening


async def _notify(url: str) -> None:
    """What another process's append sends (infrastructure/wakeup.py)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    finally:
        await conn.close()
