"""The projection runner applies every event exactly once, also with two runners and a rebuild."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import ClassVar

import asyncpg
import pytest

from application.event_store import ExpectedVersion, NewEvent, RecordedEvent
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from projections.runner import ProjectionRunner

pytestmark = pytest.mark.asyncio(loop_scope="session")


class CountingProjection:
    """Counts events per stream; a double application shows up as a count that is too high."""

    name: ClassVar[str] = "counting"
    categories: ClassVar[Sequence[str] | None] = ["trajectory"]
    event_types: ClassVar[Sequence[str] | None] = None
    tables: ClassVar[Sequence[str]] = ["test_counts"]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            await conn.execute(
                """INSERT INTO test_counts (stream_id, n, last_version) VALUES ($1, 1, $2)
                   ON CONFLICT (stream_id) DO UPDATE SET n = test_counts.n + 1, last_version = $2""",
                event.stream_id,
                event.stream_version,
            )


async def _setup(pool: asyncpg.Pool) -> None:
    await pool.execute("CREATE TABLE test_counts (stream_id text PRIMARY KEY, n int NOT NULL, last_version int)")


async def _write(store: PostgresEventStore, streams: int, per_stream: int) -> None:
    for s in range(streams):
        for v in range(per_stream):
            await store.append(f"trajectory-{s}", [NewEvent("Tick", {"v": v})], v)
    await store.append("other-1", [NewEvent("Ignored", {})], ExpectedVersion.NO_STREAM)


async def _counts(pool: asyncpg.Pool) -> dict[str, int]:
    return {r["stream_id"]: r["n"] for r in await pool.fetch("SELECT stream_id, n FROM test_counts")}


async def test_catch_up_applies_each_event_once_and_filters_by_category(database_url: str) -> None:
    """catch_up applies every trajectory event once; a second catch_up applies nothing."""
    async with open_pool(database_url) as pool:
        await _setup(pool)
        store = PostgresEventStore(pool)
        await _write(store, streams=4, per_stream=25)
        runner = ProjectionRunner(pool, store, [CountingProjection()], batch_size=7)
        assert await runner.catch_up() == 100
        assert await runner.catch_up() == 0
        assert await _counts(pool) == {f"trajectory-{s}": 25 for s in range(4)}
        [status] = await runner.status()
        assert status.behind == 0 and status.events_applied == 100


async def test_two_runners_at_once_never_apply_a_batch_twice(database_url: str) -> None:
    """Two runners racing over the same projection still apply each event exactly once."""
    async with open_pool(database_url) as pool:
        await _setup(pool)
        store = PostgresEventStore(pool)
        await _write(store, streams=5, per_stream=40)
        a = ProjectionRunner(pool, store, [CountingProjection()], batch_size=3)
        b = ProjectionRunner(pool, store, [CountingProjection()], batch_size=5)
        applied = await asyncio.gather(a.catch_up(), b.catch_up())
        assert sum(applied) == 200
        assert await _counts(pool) == {f"trajectory-{s}": 40 for s in range(5)}


async def test_rebuild_replays_from_zero_to_the_same_result(database_url: str) -> None:
    """A rebuild empties the read model and replays it to the same counts."""
    async with open_pool(database_url) as pool:
        await _setup(pool)
        store = PostgresEventStore(pool)
        await _write(store, streams=3, per_stream=10)
        runner = ProjectionRunner(pool, store, [CountingProjection()])
        await runner.catch_up()
        before = await _counts(pool)
        assert await runner.rebuild("counting") == 30
        assert await _counts(pool) == before


async def test_running_projection_follows_new_events_and_survives_a_rebuild(database_url: str) -> None:
    """run() keeps the model current as events arrive, and a concurrent rebuild double-counts nothing."""
    async with open_pool(database_url) as pool:
        await _setup(pool)
        store = PostgresEventStore(pool)
        runner = ProjectionRunner(pool, store, [CountingProjection()], batch_size=4)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run("counting", stop))
        await _write(store, streams=2, per_stream=15)
        await runner.rebuild("counting")
        await store.append("trajectory-0", [NewEvent("Tick", {})], 15)

        async def settled() -> bool:
            return await _counts(pool) == {"trajectory-0": 16, "trajectory-1": 15} and not any(
                s.behind for s in await runner.status()
            )

        async with asyncio.timeout(20):
            while not await settled():  # noqa: ASYNC110 - the condition lives in the database
                await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)
        assert await _counts(pool) == {"trajectory-0": 16, "trajectory-1": 15}


async def test_unknown_projection_name_is_refused(database_url: str) -> None:
    """Asking for a projection that does not exist names the ones that do."""
    async with open_pool(database_url) as pool:
        runner = ProjectionRunner(pool, PostgresEventStore(pool), [CountingProjection()])
        with pytest.raises(ValueError, match="known: counting"):
            await runner.rebuild("nope")


async def test_catch_up_reads_its_own_writes_once_an_older_transaction_elsewhere_ends(database_url: str) -> None:
    """An older write transaction still open elsewhere holds the watermark back; catch_up waits for it
    rather than return without the events committed before it was called."""
    async with open_pool(database_url) as pool:
        await _setup(pool)
        await pool.execute("CREATE TABLE test_elsewhere (n int)")
        store = PostgresEventStore(pool)
        runner = ProjectionRunner(pool, store, [CountingProjection()])
        async with pool.acquire() as other:
            elsewhere = other.transaction()
            await elsewhere.start()
            await other.execute("INSERT INTO test_elsewhere VALUES (1)")  # takes a transaction id now
            await store.append("trajectory-mine", [NewEvent("Tick", {})], ExpectedVersion.NO_STREAM)

            catching_up = asyncio.ensure_future(runner.catch_up())
            done, _ = await asyncio.wait({catching_up}, timeout=0.3)
            assert not done, "catch_up returned while the event it must apply was not yet visible"

            await elsewhere.commit()
        assert await asyncio.wait_for(catching_up, 5) == 1
        assert await _counts(pool) == {"trajectory-mine": 1}


async def test_a_stop_reaches_an_idle_follower_at_once(database_url: str) -> None:
    """An idle follower waits up to its poll interval (here 30 s) or its idle restart (5 s) for events;
    a stop wakes it: the runner is done well before either."""
    async with open_pool(database_url) as pool:
        await _setup(pool)
        store = PostgresEventStore(pool, poll_interval=30.0)
        runner = ProjectionRunner(pool, store, [CountingProjection()])
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run("counting", stop))
        held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        async with asyncio.timeout(10):
            while not await pool.fetchval(held):  # noqa: ASYNC110 - the condition lives in the database
                await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 1.5)
