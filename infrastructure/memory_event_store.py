"""An in-memory event store with the same contract as the Postgres one.

For fast unit tests of the application layer, and as the model the Postgres store is checked against.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

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


class InMemoryEventStore:
    """Single-process store: every append is its own 'transaction' with the next transaction id."""

    def __init__(self, *, upcasters: Upcasters | None = None, max_event_bytes: int = 256 * 1024) -> None:
        self._events: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._upcasters = upcasters or Upcasters()
        self._max_event_bytes = max_event_bytes
        self._tx = 0
        self._corrections: dict[UUID, tuple[dict[str, Any], int]] = {}
        self._notes: dict[UUID, tuple[str, str | None, datetime, UUID]] = {}
        self._changed = asyncio.Condition()

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
        recorded_at: datetime | None = None,
        reservation: Reservation | None = None,
    ) -> AppendResult:
        events = list(events)
        payloads = validate_append(stream_id, events, expected_version, self._max_event_bytes)
        held: list[str] = []
        if reservation is not None:
            held = validate_append(
                reservation.stream_id, [reservation.event], reservation.expected_version, self._max_event_bytes
            )
        retry = self._find_retry(stream_id, events, command_id)
        if retry is not None:
            return retry
        current = self._checked_version(stream_id, expected_version)
        if reservation is not None and any(e.event_id == reservation.event.event_id for e in self._events):
            held = []  # a retry whose reservation was stored already
        elif reservation is not None:
            self._checked_version(reservation.stream_id, reservation.expected_version)
        self._tx += 1
        stamp = recorded_at or datetime.now(UTC)
        if reservation is not None and held:  # in the same transaction, before the append's own events
            r = reservation
            self._record(r.stream_id, [r.event], held, stamp, correlation_id, causation_id, None, actor)
        new = self._record(stream_id, events, payloads, stamp, correlation_id, causation_id, command_id, actor)
        async with self._changed:
            self._changed.notify_all()
        return AppendResult(
            stream_id, current + len(new), tuple(e.position for e in new), tuple(e.event_id for e in new)
        )

    def _checked_version(self, stream_id: str, expected_version: Expected) -> int:
        current = len(self._streams.get(stream_id, []))
        if (isinstance(expected_version, int) and expected_version != current) or (
            expected_version is ExpectedVersion.NO_STREAM and current != 0
        ):
            raise WrongExpectedVersion(stream_id, expected_version, current)
        return current

    def _record(
        self,
        stream_id: str,
        events: list[NewEvent],
        payloads: list[str],
        stamp: datetime,
        correlation_id: str | None,
        causation_id: str | None,
        command_id: str | None,
        actor: str | None,
    ) -> list[RecordedEvent]:
        """Store `events` at the end of `stream_id`, in the current transaction (`self._tx`)."""
        current = len(self._streams.get(stream_id, []))
        new: list[RecordedEvent] = []
        for i, (event, payload) in enumerate(zip(events, payloads, strict=True)):
            new.append(
                RecordedEvent(
                    position=len(self._events) + i + 1,
                    transaction_id=self._tx,
                    stream_id=stream_id,
                    stream_version=current + i + 1,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    schema_version=event.schema_version,
                    data=orjson.loads(payload),  # the reader the Postgres store uses
                    recorded_at=stamp,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                    command_id=command_id,
                    actor=actor,
                )
            )
        self._events.extend(new)
        self._streams.setdefault(stream_id, []).extend(new)
        return new

    def _find_retry(self, stream_id: str, events: list[NewEvent], command_id: str | None) -> AppendResult | None:
        ids = {e.event_id for e in events}
        hits = [e for e in self._events if e.event_id in ids or (command_id is not None and e.command_id == command_id)]
        if not hits:
            return None
        if {e.stream_id for e in hits} != {stream_id}:
            raise IdempotencyViolation(f"stream {stream_id!r}: ids were already used on another stream")
        by_ids = {e.event_id for e in hits if e.event_id in ids}
        if by_ids and by_ids != ids:
            raise IdempotencyViolation(f"stream {stream_id!r}: only some event ids are stored already")
        original = [e for e in hits if command_id is not None and e.command_id == command_id] or [
            e for e in hits if e.event_id in by_ids
        ]
        if [e.event_type for e in original] != [e.event_type for e in events]:
            raise IdempotencyViolation(f"stream {stream_id!r}: command id {command_id!r} was used for other events")
        return AppendResult(
            stream_id,
            max(e.stream_version for e in original),
            tuple(e.position for e in original),
            tuple(e.event_id for e in original),
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
        original = next((e for e in self._events if e.event_id == event_id), None)
        if original is None:
            raise InvalidAppend("event_id", f"no stored event has id {event_id}")
        refuse_correcting_a_correction(original.stream_id, original.event_type)
        version = original.schema_version if schema_version is None else schema_version
        stream, event = correction_event(event_id, data, version, reason, self._max_event_bytes)
        corrected = (orjson.loads(orjson.dumps(dict(data))), version)
        if verify is not None:
            before = self._corrections.get(event_id)
            self._corrections[event_id] = corrected
            try:
                await verify([self._read(e) for e in self._streams[original.stream_id]], None)
            finally:
                if before is None:
                    del self._corrections[event_id]
                else:
                    self._corrections[event_id] = before
        result = await self.append(stream, [event], ExpectedVersion.ANY, actor=actor)
        self._corrections[event_id] = corrected
        self._notes[event_id] = (reason.strip(), actor, datetime.now(UTC), event.event_id)
        return result

    async def read_event(self, event_id: UUID) -> RecordedEvent | None:
        original = next((e for e in self._events if e.event_id == event_id), None)
        return None if original is None else self._read(original)

    async def corrections(self, stream_id: str) -> list[Correction]:
        found = [
            Correction(e.event_id, e.stream_version, *self._notes[e.event_id])
            for e in self._streams.get(stream_id, [])
            if e.event_id in self._notes
        ]
        return sorted(found, key=lambda c: (c.corrected_at, c.stream_version))

    def _read(self, event: RecordedEvent) -> RecordedEvent:
        corrected = self._corrections.get(event.event_id)
        if corrected is not None:
            event = replace(event, data=corrected[0], schema_version=corrected[1])
        return self._upcasters.upcast(event)

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, []))

    async def read_stream(self, stream_id: str, from_version: int = 1, limit: int | None = None) -> list[RecordedEvent]:
        events = [e for e in self._streams.get(stream_id, []) if e.stream_version >= from_version]
        return [self._read(e) for e in events[:limit]]

    async def read_all(
        self,
        after: GlobalPosition = START,
        limit: int = 1000,
        *,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
    ) -> list[RecordedEvent]:
        out: list[RecordedEvent] = []
        for e in self._events:
            if e.global_position <= after:
                continue
            if categories is not None and e.category not in categories:
                continue
            if event_types is not None and e.event_type not in event_types:
                continue
            out.append(self._read(e))
            if len(out) >= limit:
                break
        return out

    async def settle(self, within: float = 5.0) -> bool:
        """Everything appended is visible at once here."""
        return True

    async def head(self) -> GlobalPosition:
        return self._events[-1].global_position if self._events else START

    async def follow(
        self,
        after: GlobalPosition = START,
        *,
        batch_size: int = 1000,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
        idle_timeout: float | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        position = after
        while True:
            batch = await self.read_all(position, batch_size, categories=categories, event_types=event_types)
            if batch:
                position = batch[-1].global_position
                yield batch
                continue
            try:
                async with self._changed:
                    await asyncio.wait_for(self._changed.wait(), idle_timeout)
            except TimeoutError:
                return
