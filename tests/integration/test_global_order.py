"""The global order under concurrent writers: a follower never misses, duplicates or reorders an event."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict

import asyncpg
import pytest

from application.event_store import START, ExpectedVersion, NewEvent, RecordedEvent, WrongExpectedVersion
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

WRITERS = 12
APPENDS_PER_WRITER = 120
SHARED_STREAMS = [f"trajectory-shared{i}" for i in range(5)]


async def _writer(store: PostgresEventStore, n: int, rng: random.Random) -> int:
    """Appends to its own stream and to shared ones, retrying lost races; returns events written."""
    written = 0
    for i in range(APPENDS_PER_WRITER):
        stream = rng.choice([*SHARED_STREAMS, f"trajectory-own{n}"])
        batch = [NewEvent("Written", {"writer": n, "i": i, "k": k}) for k in range(rng.choice([1, 1, 2, 5]))]
        while True:
            version = await store.stream_version(stream)
            try:
                await store.append(stream, batch, version)
                written += len(batch)
                break
            except WrongExpectedVersion:
                continue
    return written


async def _late_committer(url: str, n: int, rng: random.Random) -> int:
    """Takes its position early and commits late: the pattern that defeats a plain serial order."""
    conn = await asyncpg.connect(url)
    written = 0
    try:
        for i in range(40):
            async with conn.transaction():
                await conn.execute(
                    """INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data)
                       VALUES ($1, 1, $2, 'Late', 1, '{}'::jsonb)""",
                    f"late-{n}-{i}",
                    uuid.uuid4(),
                )
                await asyncio.sleep(rng.uniform(0.001, 0.03))
            written += 1
    finally:
        await conn.close()
    return written


async def test_follower_sees_every_event_once_in_order_under_concurrent_writers(database_url: str) -> None:
    """12 writers on shared and own streams plus late committers; the follower's view is exact."""
    settings = Settings(pool_max_size=20)
    async with open_pool(database_url, settings) as pool:
        store = PostgresEventStore(pool, poll_interval=0.05)
        seen: list[RecordedEvent] = []

        async def follow() -> None:
            # "Final" is appended after every writer finished, so every other event sorts before it.
            async for batch in store.follow(START, batch_size=200):
                seen.extend(batch)
                if batch[-1].event_type == "Final":
                    return

        follower = asyncio.create_task(follow())
        rng = random.Random(7)
        tasks = [_writer(store, n, random.Random(rng.random())) for n in range(WRITERS)]
        tasks += [_late_committer(database_url, n, random.Random(rng.random())) for n in range(3)]
        totals = await asyncio.gather(*tasks)
        await store.append("trajectory-final", [NewEvent("Final", {})], ExpectedVersion.NO_STREAM)
        await asyncio.wait_for(follower, 30)
        await store.wakeup.close()

        stored = await pool.fetchval("SELECT count(*) FROM events")
        assert stored == sum(totals) + 1

    ids = [e.event_id for e in seen]
    assert len(ids) == len(set(ids)), "duplicated events"
    assert len(ids) == stored, f"missed {stored - len(ids)} of {stored} events"
    positions = [e.global_position for e in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions), "out of global order"

    versions: dict[str, list[int]] = defaultdict(list)
    for event in seen:
        versions[event.stream_id].append(event.stream_version)
    for stream, numbers in versions.items():
        assert numbers == list(range(1, len(numbers) + 1)), f"{stream}: versions not gapless and in order"
