"""Followers in another process are woken by a coalesced NOTIFY sent outside the append transaction."""

from __future__ import annotations

import asyncio

import pytest

from application.event_store import ExpectedVersion, NewEvent
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.wakeup import Wakeup

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_append_in_one_process_wakes_a_listener_in_another(database_url: str) -> None:
    """A listener on its own connection is woken by an append made through another pool."""
    async with open_pool(database_url) as writer_pool:
        writer = PostgresEventStore(writer_pool)
        remote = Wakeup()  # stands for another process: it never sees the writer's local pokes
        await remote.listen(database_url)
        seen = remote.generation
        await writer.append("trajectory-w", [NewEvent("A", {})], ExpectedVersion.NO_STREAM)
        assert await remote.wait(seen, timeout=10), "no NOTIFY arrived"
        await remote.close()
        await writer.wakeup.close()


async def test_many_appends_are_coalesced_into_few_notifications(database_url: str) -> None:
    """A burst of 50 appends sends far fewer than 50 NOTIFYs (at most one per interval)."""
    async with open_pool(database_url) as writer_pool:
        writer = PostgresEventStore(writer_pool, wakeup=Wakeup(writer_pool, interval=0.05))
        remote = Wakeup()
        await remote.listen(database_url)
        start = remote.generation
        await asyncio.gather(
            *(writer.append(f"trajectory-{i}", [NewEvent("A", {})], ExpectedVersion.NO_STREAM) for i in range(50))
        )
        await writer.wakeup.close()  # waits for the pending NOTIFY to go out
        assert await remote.wait(start, timeout=10)
        notified = remote.generation - start
        assert 1 <= notified < 25, notified
        await remote.close()
