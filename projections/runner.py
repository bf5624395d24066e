"""Runs projections: follow the global order from each checkpoint, apply and checkpoint atomically.

Exactly-once per event: a batch's read-model changes and the checkpoint move commit together, and the
checkpoint moves by compare-and-set, so a second runner (or a crash and restart) can never apply a batch
twice. One runner per projection holds a session advisory lock; others wait as hot standbys.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from application.event_store import START, GlobalPosition, RecordedEvent
from infrastructure.logging import get_logger
from infrastructure.postgres_event_store import PostgresEventStore
from projections.projection import Projection, reset_tables

log = get_logger(__name__)


class CheckpointMoved(RuntimeError):
    """Another runner advanced this projection's checkpoint; this batch was rolled back."""


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    checkpoint: GlobalPosition
    head: GlobalPosition
    behind: int
    events_applied: int
    updated_at: datetime | None


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key per projection name."""
    digest = hashlib.blake2b(f"cbct.projection:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ProjectionRunner:
    """Catches projections up with the event store, once (`catch_up`) or for ever (`run`)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: PostgresEventStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
    ) -> None:
        names = [p.name for p in projections]
        if len(set(names)) != len(names):
            raise ValueError(f"projection names must be unique: {names}")
        self._pool = pool
        self._store = store
        self._projections = {p.name: p for p in projections}
        self._batch_size = batch_size

    @property
    def names(self) -> list[str]:
        return list(self._projections)

    def _get(self, name: str) -> Projection:
        try:
            return self._projections[name]
        except KeyError:
            raise ValueError(f"unknown projection {name!r}; known: {', '.join(self._projections)}") from None

    async def checkpoint(self, name: str) -> GlobalPosition:
        row = await self._pool.fetchrow(
            "SELECT transaction_id, position FROM projection_checkpoints WHERE name = $1", name
        )
        return START if row is None else GlobalPosition(row["transaction_id"], row["position"])

    async def _apply_batch(
        self, projection: Projection, expected: GlobalPosition, batch: Sequence[RecordedEvent]
    ) -> GlobalPosition:
        new = batch[-1].global_position
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                projection.name,
            )
            moved = await conn.fetchval(
                """UPDATE projection_checkpoints
                   SET transaction_id = $2, position = $3, events_applied = events_applied + $6,
                       updated_at = now()
                   WHERE name = $1 AND transaction_id = $4 AND position = $5
                   RETURNING 1""",
                projection.name,
                new.transaction_id,
                new.position,
                expected.transaction_id,
                expected.position,
                len(batch),
            )
            if moved is None:
                raise CheckpointMoved(f"projection {projection.name!r}: checkpoint moved by another runner")
            await projection.apply(conn, batch)
        return new

    async def catch_up(self, name: str | None = None) -> int:
        """Apply everything committed before this call to one or all projections (waiting a moment for
        older transactions elsewhere to end, see `settle`); return the number of events applied."""
        if not await self._store.settle():
            log.warning("projection_catch_up_unsettled")  # applies what is visible; the rest comes next time
        total = 0
        for projection in [self._get(name)] if name else list(self._projections.values()):
            position = await self.checkpoint(projection.name)
            while True:
                batch = await self._store.read_all(
                    position,
                    self._batch_size,
                    categories=projection.categories,
                    event_types=projection.event_types,
                )
                if not batch:
                    break
                try:
                    position = await self._apply_batch(projection, position, batch)
                    total += len(batch)
                except CheckpointMoved:  # another runner, or a rebuild: continue from where it is now
                    position = await self.checkpoint(projection.name)
        return total

    async def rebuild(self, name: str) -> int:
        """Empty one read model and reset its checkpoint in one transaction, then replay it.

        A runner working on it meanwhile sees its checkpoint moved, drops its batch and follows the
        rebuild from the new checkpoint, so nothing is applied twice.
        """
        projection = self._get(name)
        async with self._pool.acquire() as conn, conn.transaction():
            # Checkpoint row first, tables second: the order a runner's batch takes its locks in.
            await conn.execute(
                """INSERT INTO projection_checkpoints (name) VALUES ($1)
                   ON CONFLICT (name) DO UPDATE SET transaction_id = 0, position = 0,
                       events_applied = 0, updated_at = now()""",
                name,
            )
            await reset_tables(conn, projection.tables)
        return await self.catch_up(name)

    async def run(self, name: str, stop: asyncio.Event) -> None:
        """Keep one projection current until `stop` is set; stands by while another runner has it."""
        projection = self._get(name)
        async with self._pool.acquire() as lock_conn:
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", _lock_key(name)):
                if await _wait(stop, 1.0):
                    return
            try:
                while not stop.is_set():
                    position = await self.checkpoint(name)
                    try:
                        async for batch in self._store.follow(
                            position,
                            batch_size=self._batch_size,
                            categories=projection.categories,
                            event_types=projection.event_types,
                            idle_timeout=0.5,
                        ):
                            position = await self._apply_batch(projection, position, batch)
                            if stop.is_set():
                                break
                    except CheckpointMoved:
                        log.info("projection_checkpoint_moved", projection=name)
                    except (asyncpg.PostgresError, OSError) as error:  # the next batch retries it
                        log.warning("projection_batch_failed", projection=name, error=str(error))
                        if await _wait(stop, 1.0):
                            return
            finally:
                await lock_conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(name))

    async def status(self) -> list[ProjectionStatus]:
        """Each projection's checkpoint, the head it follows, and how many events it is behind."""
        result: list[ProjectionStatus] = []
        for projection in self._projections.values():
            row = await self._pool.fetchrow(
                "SELECT transaction_id, position, events_applied, updated_at FROM projection_checkpoints "
                "WHERE name = $1",
                projection.name,
            )
            checkpoint = START if row is None else GlobalPosition(row["transaction_id"], row["position"])
            filters = ["(transaction_id, position) > ($1::text::xid8, $2)"]
            args: list[object] = [str(checkpoint.transaction_id), checkpoint.position]
            if projection.categories is not None:
                args.append(list(projection.categories))
                filters.append(f"category = ANY(${len(args)}::text[])")
            if projection.event_types is not None:
                args.append(list(projection.event_types))
                filters.append(f"event_type = ANY(${len(args)}::text[])")
            behind = await self._pool.fetchval(f"SELECT count(*) FROM events WHERE {' AND '.join(filters)}", *args)
            result.append(
                ProjectionStatus(
                    name=projection.name,
                    checkpoint=checkpoint,
                    head=await self._store.head(),
                    behind=int(behind),
                    events_applied=0 if row is None else int(row["events_applied"]),
                    updated_at=None if row is None else row["updated_at"],
                )
            )
        return result


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds`; True when `stop` was set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
