"""The event store on Postgres (asyncpg).

One append is one SQL statement in autocommit: it reads the stream's version, checks for a retried
command or event ids, and inserts — so an append costs one round trip and one commit, like a plain
INSERT. Uniqueness of (stream_id, stream_version) settles races between writers; a lost race is then
classified as a genuine retry (return the original positions) or a version conflict.

Followers read the global order as (transaction_id, position), limited to transactions older than the
oldest one still running; see docs/global-order.md for why that order never skips or reorders.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from application.event_store import (
    START,
    AppendResult,
    Correction,
    Expected,
    ExpectedVersion,
    GlobalPosition,
    IdempotencyViolation,
    InvalidAppend,
    NewEvent,
    RecordedEvent,
    Reservation,
    Upcasters,
    VerifyCorrection,
    WrongExpectedVersion,
    correction_event,
    refuse_correcting_a_correction,
    validate_append,
)
from infrastructure.retry import OUTAGE_BUDGET_SECONDS, outage_retry
from infrastructure.wakeup import Wakeup

_APPEND = """
WITH input AS (
    SELECT * FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[]) WITH ORDINALITY
        AS t(event_id, event_type, schema_version, data, ord)
),
cur AS (
    SELECT coalesce(max(stream_version), 0) AS version FROM events WHERE stream_id = $1
),
seen AS (
    (SELECT 1 FROM events WHERE event_id = ANY($2::uuid[]) LIMIT 1)
    UNION ALL
    (SELECT 1 FROM events WHERE command_id = $6::text LIMIT 1)
),
inserted AS (
    INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data,
                        command_id, correlation_id, causation_id, actor, recorded_at)
    SELECT $1, cur.version + input.ord, input.event_id, input.event_type, input.schema_version,
           input.data::jsonb, $6, $7, $8, $9, coalesce($12::timestamptz, now())
    FROM input CROSS JOIN cur
    WHERE NOT EXISTS (SELECT 1 FROM seen)
      AND ($10::bigint IS NULL OR cur.version = $10::bigint)
      AND (NOT $11::bool OR cur.version = 0)
    ORDER BY input.ord
    RETURNING position, stream_version
)
SELECT (SELECT version FROM cur) AS current_version,
       EXISTS (SELECT 1 FROM seen) AS seen,
       coalesce(array_agg(position ORDER BY stream_version), '{}') AS positions,
       max(stream_version) AS last_version
FROM inserted
"""

# `tx`, not `transaction_id`: an alias of that name would make ORDER BY sort the alias (a bigint) and
# lose the index on the xid8 column. A correction (event_corrections) replaces the stored data on read.
_COLUMNS = """events.position, events.transaction_id::text::bigint AS tx, stream_id, stream_version,
    events.event_id, event_type, coalesce(c.corrected_schema_version, schema_version) AS schema_version,
    coalesce(c.corrected_data, data)::text AS data, recorded_at, correlation_id, causation_id, command_id, actor"""

_FROM = "events LEFT JOIN event_corrections c ON c.event_id = events.event_id"

# orjson parses event payloads about four times faster than json; catch-up spends most of its time here.
_loads = orjson.loads


class _Undo(Exception):
    """Rolls back a reserved append whose own statement wrote nothing."""


_VISIBLE = "transaction_id < pg_snapshot_xmin(pg_current_snapshot())"


class PostgresEventStore:
    """Append-only event store with optimistic concurrency, idempotent appends and a trustworthy order."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        upcasters: Upcasters | None = None,
        wakeup: Wakeup | None = None,
        max_event_bytes: int = 256 * 1024,
        poll_interval: float = 1.0,
        outage_budget: float = OUTAGE_BUDGET_SECONDS,
    ) -> None:
        self._pool = pool
        self._upcasters = upcasters or Upcasters()
        self.wakeup = wakeup or Wakeup(pool)
        self._max_event_bytes = max_event_bytes
        self._poll_interval = poll_interval
        self._outage_budget = outage_budget

    # --- every statement rides out a short outage (infrastructure/retry.py) ---------------------------------

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async for attempt in outage_retry(self._outage_budget):
            with attempt:
                rows: list[asyncpg.Record] = await self._pool.fetch(sql, *args)
                return rows
        raise AssertionError("unreachable")

    async def _fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async for attempt in outage_retry(self._outage_budget):
            with attempt:
                return await self._pool.fetchrow(sql, *args)
        raise AssertionError("unreachable")

    async def _fetchval(self, sql: str, *args: Any) -> Any:
        async for attempt in outage_retry(self._outage_budget):
            with attempt:
                return await self._pool.fetchval(sql, *args)
        raise AssertionError("unreachable")

    # --- writing ----------------------------------------------------------------------------------------

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: Expected,
        *,
        command_id: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        actor: str | None = None,
        recorded_at: Any = None,
        reservation: Reservation | None = None,
    ) -> AppendResult:
        events = list(events)
        payloads = validate_append(stream_id, events, expected_version, self._max_event_bytes)
        if command_id is not None and (not isinstance(command_id, str) or not command_id.strip()):
            raise InvalidAppend("command_id", "must be a non-empty string when given")
        exact = expected_version if isinstance(expected_version, int) else None
        no_stream = expected_version is ExpectedVersion.NO_STREAM
        args = (
            stream_id,
            [e.event_id for e in events],
            [e.event_type for e in events],
            [e.schema_version for e in events],
            payloads,
            command_id,
            correlation_id,
            causation_id,
            actor,
            exact,
            no_stream,
            recorded_at,
        )
        if reservation is not None:
            return await self._append_reserved(args, reservation, events, expected_version)
        for _attempt in range(20):  # only ExpectedVersion.ANY loops, and only while it loses races
            try:
                row = await self._fetchrow(_APPEND, *args)
            except asyncpg.UniqueViolationError:
                duplicate = await self._find_retry(stream_id, events, command_id)
                if duplicate is not None:
                    return duplicate
                if expected_version is ExpectedVersion.ANY:
                    continue
                actual = await self.stream_version(stream_id)
                raise WrongExpectedVersion(stream_id, expected_version, actual) from None
            assert row is not None
            if row["seen"]:
                duplicate = await self._find_retry(stream_id, events, command_id)
                if duplicate is None:  # the clash vanished: cannot happen in an append-only table
                    raise IdempotencyViolation(f"stream {stream_id!r}: conflicting ids")
                return duplicate
            if row["last_version"] is None:
                raise WrongExpectedVersion(stream_id, expected_version, row["current_version"])
            self.wakeup.poke()
            return AppendResult(
                stream_id=stream_id,
                stream_version=row["last_version"],
                positions=tuple(row["positions"]),
                event_ids=tuple(e.event_id for e in events),
            )
        raise WrongExpectedVersion(stream_id, expected_version, await self.stream_version(stream_id))

    async def _append_reserved(
        self, args: tuple[Any, ...], reservation: Reservation, events: list[NewEvent], expected_version: Expected
    ) -> AppendResult:
        """The append and its reservation in one transaction: both, or neither.

        The reservation goes first: a writer that lost the race for the reservation stream waits on the
        winner's row and then fails, before it writes anything (WrongExpectedVersion naming that stream).
        A stored reservation event (same id) is a retry's: passed, the append itself says what it was.
        """
        stream_id, command_id = args[0], args[5]
        r = reservation
        held = validate_append(r.stream_id, [r.event], r.expected_version, self._max_event_bytes)
        r_args = (
            r.stream_id,
            [r.event.event_id],
            [r.event.event_type],
            [r.event.schema_version],
            held,
            None,  # not the command's: a command id is the append's own, once
            *args[6:9],
            r.expected_version if isinstance(r.expected_version, int) else None,
            r.expected_version is ExpectedVersion.NO_STREAM,
            args[11],
        )
        outcome: asyncpg.Record | None = None
        async for attempt in outage_retry(self._outage_budget):
            with attempt:
                async with self._pool.acquire() as conn:
                    stage = "reservation"
                    try:
                        async with conn.transaction():
                            taken = await conn.fetchrow(_APPEND, *r_args)
                            assert taken is not None
                            if not taken["seen"] and taken["last_version"] is None:
                                raise WrongExpectedVersion(r.stream_id, r.expected_version, taken["current_version"])
                            stage = "append"
                            outcome = await conn.fetchrow(_APPEND, *args)
                            assert outcome is not None
                            if outcome["seen"] or outcome["last_version"] is None:
                                raise _Undo  # roll the reservation back; classified below
                    except asyncpg.UniqueViolationError:
                        if stage == "reservation":  # the winner's row, committed while we waited on it
                            actual = await self.stream_version(r.stream_id)
                            raise WrongExpectedVersion(r.stream_id, r.expected_version, actual) from None
                        outcome = None
                    except _Undo:
                        pass
        if outcome is not None and not outcome["seen"] and outcome["last_version"] is not None:
            self.wakeup.poke()
            return AppendResult(
                stream_id=stream_id,
                stream_version=outcome["last_version"],
                positions=tuple(outcome["positions"]),
                event_ids=tuple(e.event_id for e in events),
            )
        duplicate = await self._find_retry(stream_id, events, command_id)
        if duplicate is not None:
            return duplicate
        raise WrongExpectedVersion(stream_id, expected_version, await self.stream_version(stream_id))

    async def _find_retry(self, stream_id: str, events: list[NewEvent], command_id: str | None) -> AppendResult | None:
        """A clash with stored rows: a genuine retry returns the original result; anything else raises."""
        ids = [e.event_id for e in events]
        rows = await self._fetch(
            """SELECT position, stream_id, stream_version, event_id, event_type, command_id FROM events
               WHERE event_id = ANY($1::uuid[]) OR ($2::text IS NOT NULL AND command_id = $2)
               ORDER BY stream_version""",
            ids,
            command_id,
        )
        if not rows:
            return None
        streams = {r["stream_id"] for r in rows}
        if streams != {stream_id}:
            other = sorted(streams - {stream_id})[0]
            raise IdempotencyViolation(
                f"stream {stream_id!r}: command id {command_id!r} or event ids were already used on stream {other!r}"
            )
        by_command = [r for r in rows if command_id is not None and r["command_id"] == command_id]
        by_ids = {r["event_id"] for r in rows if r["event_id"] in set(ids)}
        if by_ids and by_ids != set(ids):
            raise IdempotencyViolation(
                f"stream {stream_id!r}: {len(by_ids)} of {len(ids)} event ids are stored already; "
                "a retry must repeat the whole append"
            )
        original = by_command if by_command else [r for r in rows if r["event_id"] in by_ids]
        if [r["event_type"] for r in original] != [e.event_type for e in events]:
            raise IdempotencyViolation(
                f"stream {stream_id!r}: command id {command_id!r} was already used for other events "
                f"({', '.join(r['event_type'] for r in original)})"
            )
        return AppendResult(
            stream_id=stream_id,
            stream_version=max(r["stream_version"] for r in original),
            positions=tuple(r["position"] for r in original),
            event_ids=tuple(r["event_id"] for r in original),
            duplicate=True,
        )

    async def correct(
        self,
        event_id: UUID,
        data: Mapping[str, Any],
        *,
        reason: str,
        actor: str | None = None,
        schema_version: int | None = None,
        verify: VerifyCorrection | None = None,
    ) -> AppendResult:
        original = await self._fetchrow(
            "SELECT stream_id, event_type, schema_version FROM events WHERE event_id = $1", event_id
        )
        if original is None:
            raise InvalidAppend("event_id", f"no stored event has id {event_id}")
        refuse_correcting_a_correction(original["stream_id"], original["event_type"])
        version = original["schema_version"] if schema_version is None else schema_version
        stream, event = correction_event(event_id, data, version, reason, self._max_event_bytes)
        payload = validate_append(stream, [event], ExpectedVersion.ANY, self._max_event_bytes)
        async with self._pool.acquire() as conn, conn.transaction():
            # One correction of a stream at a time: two that each fold alone might not fold together.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", original["stream_id"])
            row = await conn.fetchrow(
                _APPEND,
                stream,
                [event.event_id],
                [event.event_type],
                [event.schema_version],
                payload,
                None,
                None,
                None,
                actor,
                None,
                False,
                None,
            )
            assert row is not None and row["last_version"] is not None
            await conn.execute(
                """INSERT INTO event_corrections (event_id, corrected_data, corrected_schema_version,
                       correction_event_id, reason, corrected_by)
                   VALUES ($1, $2::jsonb, $3, $4, $5, $6)
                   ON CONFLICT (event_id) DO UPDATE SET corrected_data = EXCLUDED.corrected_data,
                       corrected_schema_version = EXCLUDED.corrected_schema_version,
                       correction_event_id = EXCLUDED.correction_event_id, reason = EXCLUDED.reason,
                       corrected_by = EXCLUDED.corrected_by, corrected_at = now()""",
                event_id,
                orjson.dumps(dict(data)).decode(),
                version,
                event.event_id,
                reason.strip(),
                actor,
            )
            if verify is not None:  # the stream as readers will see it, from inside this transaction
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS} FROM {_FROM} WHERE stream_id = $1 ORDER BY stream_version",
                    original["stream_id"],
                )
                await verify([self._decode(r) for r in rows], conn)  # raising rolls everything back
        self.wakeup.poke()
        return AppendResult(stream, row["last_version"], tuple(row["positions"]), (event.event_id,))

    async def read_event(self, event_id: UUID) -> RecordedEvent | None:
        row = await self._fetchrow(f"SELECT {_COLUMNS} FROM {_FROM} WHERE events.event_id = $1", event_id)
        return None if row is None else self._decode(row)

    async def corrections(self, stream_id: str) -> list[Correction]:
        rows = await self._fetch(
            """SELECT c.event_id, e.stream_version, c.reason, c.corrected_by, c.corrected_at, c.correction_event_id
               FROM event_corrections c JOIN events e ON e.event_id = c.event_id
               WHERE e.stream_id = $1 ORDER BY c.corrected_at, e.stream_version""",
            stream_id,
        )
        return [Correction(**dict(r)) for r in rows]

    # --- reading ------------------------------------------------------------------------------------------

    async def stream_version(self, stream_id: str) -> int:
        version = await self._fetchval(
            "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", stream_id
        )
        return int(version)

    async def read_stream(self, stream_id: str, from_version: int = 1, limit: int | None = None) -> list[RecordedEvent]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE stream_id = $1 AND stream_version >= $2 "
            "ORDER BY stream_version LIMIT $3",
            stream_id,
            from_version,
            limit,
        )
        return [self._decode(r) for r in rows]

    async def read_all(
        self,
        after: GlobalPosition = START,
        limit: int = 1000,
        *,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
    ) -> list[RecordedEvent]:
        if limit < 1:
            raise InvalidAppend("limit", "must be >= 1")
        filters = ["(transaction_id, position) > ($1::text::xid8, $2)", _VISIBLE]
        args: list[Any] = [str(after.transaction_id), after.position, limit]
        if categories is not None:
            args.append(list(categories))
            filters.append(f"category = ANY(${len(args)}::text[])")
        if event_types is not None:
            args.append(list(event_types))
            filters.append(f"event_type = ANY(${len(args)}::text[])")
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE {' AND '.join(filters)} "
            "ORDER BY events.transaction_id, events.position LIMIT $3",
            *args,
        )
        return [self._decode(r) for r in rows]

    async def head(self) -> GlobalPosition:
        """The last position a follower can see now (START for an empty store)."""
        row = await self._fetchrow(
            f"SELECT transaction_id::text::bigint AS tx, position FROM events WHERE {_VISIBLE} "
            "ORDER BY transaction_id DESC, position DESC LIMIT 1"
        )
        return START if row is None else GlobalPosition(row["tx"], row["position"])

    async def settle(self, within: float = 5.0) -> bool:
        """Wait until every event committed before this call is visible to followers.

        A transaction anywhere in the database that began before an append and is still running —
        any writer's — holds the watermark back until it ends. A caller that
        must read its own writes in a read model (a catch-up right after a command) waits here for
        those few milliseconds. True when reached `within` seconds.
        """
        last = await self._fetchval(
            "SELECT transaction_id::text FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1"
        )
        if last is None:
            return True
        loop = asyncio.get_running_loop()
        give_up = loop.time() + within
        while not await self._fetchval("SELECT $1::text::xid8 < pg_snapshot_xmin(pg_current_snapshot())", last):
            if loop.time() > give_up:
                return False
            await asyncio.sleep(0.005)
        return True

    async def follow(
        self,
        after: GlobalPosition = START,
        *,
        batch_size: int = 1000,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
        idle_timeout: float | None = None,
        until: asyncio.Event | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        """Yield batches in global order, forever (or until nothing arrived for `idle_timeout` s, or
        `until` is set: whoever sets it calls `wakeup.wake()` so that a waiting follower sees it at once).

        Woken by appends (local at once, remote via NOTIFY) and polling as a fallback. After a wake-up
        that finds nothing new — an older transaction still holds the watermark — it retries quickly.
        Idle, it waits for a wake-up or the poll interval: a follower restarted every `idle_timeout`
        (the projection runner) would otherwise poll in quick bursts for ever (~15 reads/s each).
        """
        position = after
        backoff = self._poll_interval
        idle_since = time.monotonic()
        while until is None or not until.is_set():
            generation = self.wakeup.generation
            batch = await self.read_all(position, batch_size, categories=categories, event_types=event_types)
            if batch:
                position = batch[-1].global_position
                backoff = 0.005
                idle_since = time.monotonic()
                yield batch
                continue
            if idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
                return
            timeout = backoff
            if idle_timeout is not None:
                timeout = min(timeout, max(0.0, idle_timeout - (time.monotonic() - idle_since)))
            woke = await self.wakeup.wait(generation, timeout)
            backoff = 0.005 if woke else min(backoff * 2, self._poll_interval)

    def _decode(self, row: asyncpg.Record) -> RecordedEvent:
        # By index, in _COLUMNS order: this runs for every event a follower reads.
        return self._upcasters.upcast(
            RecordedEvent(
                position=row[0],
                transaction_id=row[1],
                stream_id=row[2],
                stream_version=row[3],
                event_id=row[4],
                event_type=row[5],
                schema_version=row[6],
                data=_loads(row[7]),
                recorded_at=row[8],
                correlation_id=row[9],
                causation_id=row[10],
                command_id=row[11],
                actor=row[12],
            )
        )
