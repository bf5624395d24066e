"""Runs projections: follow the global order from each checkpoint, apply and checkpoint atomically.

Exactly-once per event: a batch's read-model changes and the checkpoint move commit together, and the
checkpoint moves by compare-and-set, so a second runner (or a crash and restart) can never apply a batch
twice. One runner per projection holds a session advisory lock; others wait as hot standbys.

A projection that cannot apply an event (an undecodable payload, a read model's own bug) stops at that
event and only there: the events before it are applied, the halt is recorded with the event named
(`cbct projections status`), the other projections go on, and views keep serving what was applied. The
next catch-up tries again, so a correction (docs/repairing-events.md) lets it continue by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from application.event_store import START, GlobalPosition, RecordedEvent, UndecodableEvent
from infrastructure.logging import get_logger
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.retry import outage_retry
from infrastructure.session_state import keeps_session_state
from projections.projection import Projection, reset_tables

log = get_logger(__name__)


class CheckpointMoved(RuntimeError):
    """Another runner advanced this projection's checkpoint; this batch was rolled back."""


_TRANSIENT = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    OSError,
    TimeoutError,
)
"""Errors of the connection, not of an event (infrastructure/retry.py): retried, never a halt."""


@dataclass(frozen=True)
class Halt:
    """Where a projection stopped and why: the event it cannot apply, named."""

    projection: str
    at: GlobalPosition
    error: str


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    checkpoint: GlobalPosition
    head: GlobalPosition
    behind: int
    events_applied: int
    updated_at: datetime | None
    halted_at: str | None = None
    halted_error: str | None = None
    halted_since: datetime | None = None


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key per projection name."""
    digest = hashlib.blake2b(f"cbct.projection:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


IDLE_RESTART_SECONDS = 5.0
"""How long a projection's follower waits without events before it reads its checkpoint and checks its
lock's session again. Events wake it at once (appends here, NOTIFY from elsewhere), and so does a stop;
at 0.5 s the six idle followers of `cbct serve` made a few dozen queries a second for nothing."""


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
        self.halts: dict[str, Halt] = {}
        """Projections the last catch-up (or run) in this process left halted, by name."""

    @property
    def names(self) -> list[str]:
        return list(self._projections)

    def _get(self, name: str) -> Projection:
        try:
            return self._projections[name]
        except KeyError:
            raise ValueError(f"unknown projection {name!r}; known: {', '.join(self._projections)}") from None

    async def checkpoint(self, name: str) -> GlobalPosition:
        async for attempt in outage_retry():
            with attempt:
                row = await self._pool.fetchrow(
                    "SELECT transaction_id, position FROM projection_checkpoints WHERE name = $1", name
                )
        return START if row is None else GlobalPosition(row["transaction_id"], row["position"])

    async def _apply_batch(
        self, projection: Projection, expected: GlobalPosition, batch: Sequence[RecordedEvent]
    ) -> GlobalPosition:
        """Apply and checkpoint in one transaction, again after a lost connection: a batch whose commit
        was lost in transit finds its checkpoint moved (CheckpointMoved), never applies twice."""
        async for attempt in outage_retry():
            with attempt:
                return await self._apply_batch_once(projection, expected, batch)
        raise AssertionError("unreachable")

    async def _apply_batch_once(
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
                       updated_at = now(), halted_at = NULL, halted_error = NULL, halted_since = NULL
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

    async def _apply_or_halt(
        self, projection: Projection, expected: GlobalPosition, batch: Sequence[RecordedEvent]
    ) -> tuple[GlobalPosition, int, Halt | None]:
        """Apply a batch; when that fails for anything but the connection, apply it event by event up to
        the one that fails, and record the halt there. Returns (checkpoint, events applied, halt)."""
        try:
            return await self._apply_batch(projection, expected, batch), len(batch), None
        except (CheckpointMoved, *_TRANSIENT):
            raise
        except Exception as error:
            if isinstance(error, asyncpg.PostgresError) and not _is_data_error(error):
                raise
            first_error: Exception = error
        position, applied = expected, 0
        failing, cause = batch[0], first_error
        if len(batch) > 1:
            for event in batch:
                try:
                    position = await self._apply_batch(projection, position, [event])
                    applied += 1
                except (CheckpointMoved, *_TRANSIENT):
                    raise
                except Exception as error:
                    if isinstance(error, asyncpg.PostgresError) and not _is_data_error(error):
                        raise
                    failing, cause = event, error
                    break
            else:  # every event applied alone: the batch failed for a reason that has passed
                return position, applied, None
        message = str(cause) if isinstance(cause, UndecodableEvent) else str(UndecodableEvent(failing, cause))
        halt = Halt(projection.name, failing.global_position, message)
        if await self._record_halt(halt):
            log.error(
                "projection_halted",
                projection=projection.name,
                at=str(halt.at),
                stream_id=failing.stream_id,
                stream_version=failing.stream_version,
                event_type=failing.event_type,
                event_id=str(failing.event_id),
                error=message,
            )
        return position, applied, halt

    async def _record_halt(self, halt: Halt) -> bool:
        """Store the halt; True when it is new (not the same event as the halt already recorded)."""
        self.halts[halt.projection] = halt
        async for attempt in outage_retry():
            with attempt:
                new: bool = await self._store_halt(halt)
                return new
        raise AssertionError("unreachable")

    async def _store_halt(self, halt: Halt) -> bool:
        async with self._pool.acquire() as conn, conn.transaction():
            before = await conn.fetchval(
                "SELECT halted_at FROM projection_checkpoints WHERE name = $1 FOR UPDATE", halt.projection
            )
            await conn.execute(
                """INSERT INTO projection_checkpoints (name, halted_at, halted_error, halted_since)
                   VALUES ($1, $2, $3, now())
                   ON CONFLICT (name) DO UPDATE SET halted_at = EXCLUDED.halted_at,
                       halted_error = EXCLUDED.halted_error,
                       halted_since = CASE WHEN projection_checkpoints.halted_at = EXCLUDED.halted_at
                                           THEN projection_checkpoints.halted_since ELSE now() END""",
                halt.projection,
                str(halt.at),
                halt.error,
            )
        return bool(before != str(halt.at))

    async def catch_up(self, name: str | None = None) -> int:
        """Apply everything committed before this call to one or all projections (waiting a moment for
        older transactions elsewhere to end, see `settle`); return the number of events applied.

        A projection that meets an event it cannot apply stops there (see `halts`); the others go on.
        """
        if not await self._store.settle():
            log.warning("projection_catch_up_unsettled")  # applies what is visible; the rest comes next time
        total = 0
        for projection in [self._get(name)] if name else list(self._projections.values()):
            self.halts.pop(projection.name, None)
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
                    position, applied, halt = await self._apply_or_halt(projection, position, batch)
                    total += applied
                    if halt is not None:
                        break
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
        """Keep one projection current until `stop` is set; stands by while another runner has it.

        Never exits on a database outage: the advisory lock lives in a session, so when the server
        restarts the lock is gone with it; the runner then takes a new connection and the lock again
        (or stands by if another runner was quicker) and carries on from the checkpoint.
        """
        projection = self._get(name)
        waking = asyncio.ensure_future(self._wake_when(stop))
        try:
            await self._run(projection, stop)
        finally:
            waking.cancel()

    async def _wake_when(self, stop: asyncio.Event) -> None:
        """A follower waiting for events sees `stop` at once, not at its next idle restart."""
        await stop.wait()
        self._store.wakeup.wake()

    async def _run(self, projection: Projection, stop: asyncio.Event) -> None:
        name = projection.name
        while not stop.is_set():
            try:
                async with self._pool.acquire() as lock_conn:
                    keeps_session_state(lock_conn)  # a cancelled unlock below: the pool's reset releases it
                    while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", _lock_key(name)):
                        if await _wait(stop, 1.0):
                            return
                    try:
                        await self._follow(projection, stop, lock_conn)
                    finally:
                        with contextlib.suppress(Exception):  # a dead session has released it already
                            await lock_conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(name))
            except Exception as error:
                if not isinstance(error, _TRANSIENT):
                    raise
                log.warning("projection_runner_reconnecting", projection=name, error=str(error))
                if await _wait(stop, 1.0):
                    return

    async def _follow(self, projection: Projection, stop: asyncio.Event, lock_conn: asyncpg.Connection) -> None:
        """Apply batches as they come while this runner holds the lock (returns when `stop` is set)."""
        name = projection.name
        pause = 2.5
        while not stop.is_set():
            if lock_conn.is_closed():
                raise asyncpg.ConnectionDoesNotExistError("the advisory lock's session ended")
            position = await self.checkpoint(name)
            try:
                async for batch in self._store.follow(
                    position,
                    batch_size=self._batch_size,
                    categories=projection.categories,
                    event_types=projection.event_types,
                    idle_timeout=IDLE_RESTART_SECONDS,
                    until=stop,
                ):
                    position, _applied, halt = await self._apply_or_halt(projection, position, batch)
                    if halt is not None:
                        pause = min(pause * 2, 60.0)
                        if await _wait(stop, pause):  # until someone corrects the event
                            return
                        break
                    pause = 2.5
                    self.halts.pop(name, None)
                    if stop.is_set() or lock_conn.is_closed():
                        break
            except CheckpointMoved:
                log.info("projection_checkpoint_moved", projection=name)
            except (asyncpg.PostgresError, *_TRANSIENT) as error:  # the next batch retries it
                log.warning("projection_batch_failed", projection=name, error=str(error))
                if await _wait(stop, 1.0):
                    return

    async def status(self) -> list[ProjectionStatus]:
        """Each projection's checkpoint, the head it follows, and how many events it is behind."""
        async for attempt in outage_retry():
            with attempt:
                return await self._status_once()
        raise AssertionError("unreachable")

    async def _status_once(self) -> list[ProjectionStatus]:
        result: list[ProjectionStatus] = []
        for projection in self._projections.values():
            row = await self._pool.fetchrow(
                "SELECT transaction_id, position, events_applied, updated_at, halted_at, halted_error, halted_since "
                "FROM projection_checkpoints "
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
                    halted_at=None if row is None else row["halted_at"],
                    halted_error=None if row is None else row["halted_error"],
                    halted_since=None if row is None else row["halted_since"],
                )
            )
        return result


def _is_data_error(error: asyncpg.PostgresError) -> bool:
    """A database error caused by what an event holds (bad value, constraint), not by the server."""
    return isinstance(error, asyncpg.DataError | asyncpg.IntegrityConstraintViolationError)


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds`; True when `stop` was set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
