"""Pooled connections are reset in full only when they were marked as keeping session state."""

from __future__ import annotations

import asyncpg
import pytest

from infrastructure.database import open_pool, with_database
from infrastructure.session_state import keeps_session_state
from infrastructure.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

ONE = Settings(pool_min_size=1, pool_max_size=1)  # the same connection comes back each time


async def _last_query(database_url: str, pid: int) -> str:
    """What the backend `pid` ran last, as the server saw it."""
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        return str(await admin.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid))
    finally:
        await admin.close()


async def test_a_plain_read_goes_back_to_the_pool_without_a_round_trip(database_url: str) -> None:
    async with open_pool(database_url, ONE) as pool:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await conn.fetchval("SELECT 'the read itself'")
        assert await _last_query(database_url, pid) == "SELECT 'the read itself'"


async def test_a_marked_connection_leaves_no_lock_or_setting_behind_and_its_mark_is_used_up(
    database_url: str,
) -> None:
    async with open_pool(database_url, ONE) as pool:
        async with pool.acquire() as conn:
            keeps_session_state(conn)
            pid = conn.get_server_pid()
            await conn.execute("SELECT pg_advisory_lock(4242)")
            await conn.execute("SET work_mem = '7MB'")
        async with pool.acquire() as again:
            assert again.get_server_pid() == pid
            locks = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            assert await again.fetchval(locks) == 0
            assert await again.fetchval("SHOW work_mem") != "7MB"
            await again.fetchval("SELECT 'after the full reset'")
        assert await _last_query(database_url, pid) == "SELECT 'after the full reset'"
