"""The pool's session settings hold for every use of a connection, not only its first."""

from __future__ import annotations

from infrastructure.database import open_pool
from infrastructure.settings import Settings


async def test_every_pooled_session_keeps_its_settings_after_the_pools_reset(database_url: str) -> None:
    """asyncpg resets a connection on release (`RESET ALL`); the idle-in-transaction guard and generic
    plans must survive it (they were `SET` at connect, and lost after the first release)."""
    settings = Settings(_env_file=None, pool_min_size=1, pool_max_size=1, idle_in_transaction_timeout_ms=7000)
    async with open_pool(database_url, settings) as pool:
        for _ in range(3):  # one connection, released and acquired again
            async with pool.acquire() as conn:
                assert await conn.fetchval("SHOW idle_in_transaction_session_timeout") == "7s"
                assert await conn.fetchval("SHOW plan_cache_mode") == "force_generic_plan"
