"""The event store port: what the application needs from any store, and the records it exchanges.

Pure Python, no I/O: `infrastructure.postgres_event_store` and `infrastructure.memory_event_store`
implement it, and one contract suite holds both to the same behaviour.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, TypeVar
from uuid import UUID, uuid4

T = TypeVar("T")

STREAM_ID_MAX = 200
_STREAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$")


class ExpectedVersion(Enum):
    """Expected versions that are not a number: ANY skips the check; NO_STREAM requires a new stream."""

    ANY = "any"
    NO_STREAM = "no_stream"


Expected = int | ExpectedVersion


@dataclass(frozen=True, order=True)
class GlobalPosition:
    """A place in the global order: (writing transaction, position). Compare as a pair."""

    transaction_id: int = 0
    position: int = 0

    def __str__(self) -> str:
        return f"{self.transaction_id}:{self.position}"

    @classmethod
    def parse(cls, text: str) -> GlobalPosition:
        tx, _, pos = text.partition(":")
        return cls(int(tx), int(pos))


START = GlobalPosition(0, 0)


@dataclass(frozen=True)
class NewEvent:
    """An event to append. A deterministic `event_id` makes a retried append a no-op."""

    event_type: str
    data: Mapping[str, Any]
    schema_version: int = 1
    event_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored, with its place in its stream and in the global order."""

    position: int
    transaction_id: int
    stream_id: str
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    recorded_at: datetime
    correlation_id: str | None = None
    causation_id: str | None = None
    command_id: str | None = None
    actor: str | None = None

    @property
    def global_position(self) -> GlobalPosition:
        return GlobalPosition(self.transaction_id, self.position)

    @property
    def category(self) -> str:
        return self.stream_id.split("-", 1)[0]


@dataclass(frozen=True)
class Reservation:
    """One event appended to another stream in the same transaction as an append, at that stream's
    expected version: the append is written only with it, and a reservation stream that moved since
    the writer read it refuses both (WrongExpectedVersion naming the reservation stream).

    What a check across streams needs to be race-free: the writer reads the reservation stream's
    version, then the facts it decides on; anyone who changed those facts since moved that version.
    A retried append whose reservation event (same id) is stored already passes it.
    """

    stream_id: str
    event: NewEvent
    expected_version: Expected


@dataclass(frozen=True)
class AppendResult:
    """What an append did: the stream's new version and the events' positions.

    `duplicate` is true when the append was a genuine retry of one already stored; the positions are
    then the original ones and nothing new was written.
    """

    stream_id: str
    stream_version: int
    positions: tuple[int, ...]
    event_ids: tuple[UUID, ...]
    duplicate: bool = False


# --- errors -------------------------------------------------------------------------------------------


class EventStoreError(Exception):
    """Base of every error the store raises on purpose."""


class InvalidAppend(EventStoreError, ValueError):
    """The append's input breaks a rule; the message names the field and the rule. Nothing was written."""

    def __init__(self, field_name: str, rule: str) -> None:
        super().__init__(f"{field_name}: {rule}")
        self.field = field_name
        self.rule = rule


class WrongExpectedVersion(EventStoreError):
    """Optimistic concurrency: the stream is not at the version the writer expected."""

    def __init__(self, stream_id: str, expected: Expected, actual: int) -> None:
        shown = expected.value if isinstance(expected, ExpectedVersion) else expected
        super().__init__(f"stream {stream_id!r}: expected version {shown}, but the stream is at version {actual}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class IdempotencyViolation(EventStoreError):
    """A command id or event id was reused for different events: not a retry, and refused."""


_PYDANTIC_LINK = re.compile(r"For further information visit \S+")


class UndecodableEvent(EventStoreError):
    """A stored event its reader cannot turn into what it expects (an older bug's payload, say).

    Names the event — stream, version, global position, type, id — so an operator can find it and
    repair it with a correction (`EventStore.correct`, docs/repairing-events.md).
    """

    def __init__(self, event: RecordedEvent, cause: BaseException) -> None:
        self.event = event
        self.cause = cause
        reason = " ".join(_PYDANTIC_LINK.sub("", str(cause)).split())[:300]
        super().__init__(
            f"event {event.event_type} v{event.schema_version} of stream {event.stream_id!r} "
            f"(version {event.stream_version}, global position {event.global_position}, id {event.event_id}) "
            f"cannot be read: {type(cause).__name__}: {reason}"
        )


def read_as(event: RecordedEvent, decode: Callable[[RecordedEvent], T]) -> T:
    """`decode(event)`, with any failure raised as an UndecodableEvent naming the event."""
    try:
        return decode(event)
    except UndecodableEvent:
        raise
    except Exception as error:  # a reader's own bug or a bad payload: either way this event stops it
        raise UndecodableEvent(event, error) from error


# --- validation shared by every implementation --------------------------------------------------------


def validate_append(
    stream_id: object,
    events: Sequence[NewEvent],
    expected_version: object,
    max_event_bytes: int,
) -> list[str]:
    """Check an append's input; return each event's JSON text. Raises InvalidAppend naming the field."""
    if not isinstance(stream_id, str) or not stream_id.strip():
        raise InvalidAppend("stream_id", "must be a non-empty string")
    if len(stream_id) > STREAM_ID_MAX:
        raise InvalidAppend("stream_id", f"must be at most {STREAM_ID_MAX} characters")
    if not _STREAM_ID.match(stream_id):
        raise InvalidAppend(
            "stream_id", "may hold only letters, digits and _ . : @ -, and must start with a letter or digit"
        )
    if isinstance(expected_version, bool) or not isinstance(expected_version, int | ExpectedVersion):
        raise InvalidAppend(
            "expected_version",
            f"must be an int >= 0, ExpectedVersion.ANY or ExpectedVersion.NO_STREAM, not {expected_version!r}",
        )
    if isinstance(expected_version, int) and expected_version < 0:
        raise InvalidAppend("expected_version", f"must be >= 0, not {expected_version}")
    if not events:
        raise InvalidAppend("events", "at least one event is required")
    payloads: list[str] = []
    seen: set[UUID] = set()
    for i, event in enumerate(events):
        if not isinstance(event, NewEvent):
            raise InvalidAppend(f"events[{i}]", "must be a NewEvent")
        if not isinstance(event.event_type, str) or not event.event_type.strip():
            raise InvalidAppend(f"events[{i}].event_type", "must be a non-empty string")
        if not isinstance(event.schema_version, int) or event.schema_version < 1:
            raise InvalidAppend(f"events[{i}].schema_version", "must be an int >= 1")
        if not isinstance(event.event_id, UUID):
            raise InvalidAppend(f"events[{i}].event_id", "must be a UUID")
        if event.event_id in seen:
            raise InvalidAppend(f"events[{i}].event_id", "appears twice in one append")
        seen.add(event.event_id)
        if not isinstance(event.data, Mapping):
            raise InvalidAppend(f"events[{i}].data", "must be a JSON object (a mapping)")
        check_readable(event.data, f"events[{i}].data", "")
        try:
            text = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidAppend(f"events[{i}].data", f"must be JSON-serialisable ({exc})") from exc
        size = len(text.encode())
        if size > max_event_bytes:
            raise InvalidAppend(f"events[{i}].data", f"is {size} bytes; the limit is {max_event_bytes} bytes")
        payloads.append(text)
    return payloads


# --- what is written must read back equal -------------------------------------------------------------

MAX_SAFE_INTEGER = 2**53 - 1
"""Integers beyond this do not survive every JSON reader (orjson reads 2**64 as a float; JavaScript
loses precision past 2**53): I-JSON (RFC 7493) limits interoperable integers to it."""

MAX_JSON_DEPTH = 32
_FLOAT_LIMIT = 1e16
"""jsonb prints numbers without an exponent, so a float of 1e16 or more reads back as an integer."""


def check_readable(value: object, field_name: str, path: str = "", depth: int = 0) -> None:
    """Refuse data that would not read back equal — same types, same values — after a trip through JSON,
    jsonb and the store's reader (orjson): huge integers, non-finite or huge floats, NUL characters and
    lone surrogates in strings, keys that are not strings, types JSON does not have, deep nesting.

    Raises InvalidAppend for `field_name`, its rule naming the path of the offending value inside it.
    This is what keeps one accepted event from making a stream, a read model or a view unreadable later.
    """

    def refuse(rule: str) -> InvalidAppend:
        return InvalidAppend(field_name, f"{path}: {rule}" if path else rule)

    if depth > MAX_JSON_DEPTH:
        raise refuse(f"is nested deeper than {MAX_JSON_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise refuse(f"integer {value} is outside ±(2**53 - 1) and would not read back exactly")
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise refuse(f"{value} is not a finite number (must be JSON-serialisable)")
        if abs(value) >= _FLOAT_LIMIT:
            raise refuse(f"float {value} is 1e16 or more and would read back as an integer")
        return
    if isinstance(value, str):
        rule = _string_rule(value)
        if rule:
            raise refuse(rule)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise refuse(f"key {key!r} is not a string and would read back as one")
            rule = _string_rule(key)
            if rule:
                raise refuse(f"key {key[:40]!r} {rule}")
            check_readable(item, field_name, f"{path}.{key[:40]}" if path else key[:40], depth + 1)
        return
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            check_readable(item, field_name, f"{path}[{n}]", depth + 1)
        return
    raise refuse(f"a {type(value).__name__} is not a JSON value (must be JSON-serialisable)")


def _string_rule(value: str) -> str:
    """Why a string cannot be stored as is, or ''."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return ""


# --- corrections ----------------------------------------------------------------------------------------

CORRECTION_PREFIX = "correction-"
CORRECTED = "EventCorrected"

VerifyCorrection = Callable[[Sequence[RecordedEvent], Any], Awaitable[None]]
"""Judges a corrected stream before the correction commits: `verify(stream, connection)` gets the whole
stream of the corrected event as readers will see it (the correction applied) and, for a database store,
the connection whose transaction holds the uncommitted correction (None in memory). Raising refuses the
correction: nothing is written."""


def refuse_correcting_a_correction(stream_id: str, event_type: str) -> None:
    """An `EventCorrected` records history's repair; rewriting it would hide who changed what."""
    if event_type == CORRECTED or stream_id.startswith(CORRECTION_PREFIX):
        raise InvalidAppend("event_id", f"an {CORRECTED} event cannot itself be corrected")


def correction_event(
    event_id: UUID, data: Mapping[str, Any], schema_version: int, reason: str, max_event_bytes: int
) -> tuple[str, NewEvent]:
    """The stream and the `EventCorrected` event that record a correction of stored event `event_id`.

    Checks the corrected data as strictly as an append (it must read back equal) and that a reason is
    given; raises InvalidAppend naming the field.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidAppend("reason", "a correction must say why it is made")
    if not isinstance(data, Mapping):
        raise InvalidAppend("data", "must be a JSON object (a mapping)")
    if isinstance(schema_version, bool) or not isinstance(schema_version, int) or schema_version < 1:
        raise InvalidAppend("schema_version", "must be an int >= 1")
    check_readable(data, "data")
    event = NewEvent(
        CORRECTED,
        {"event_id": str(event_id), "data": dict(data), "schema_version": schema_version, "reason": reason.strip()},
    )
    stream = f"{CORRECTION_PREFIX}{event_id}"
    validate_append(stream, [event], ExpectedVersion.ANY, max_event_bytes)
    return stream, event


@dataclass(frozen=True)
class Correction:
    """A correction as the timeline shows it: which event, why, by whom, when, and the recording event."""

    event_id: UUID
    stream_version: int
    reason: str
    corrected_by: str | None
    corrected_at: datetime
    correction_event_id: UUID


# --- upcasting -----------------------------------------------------------------------------------------

Upcast = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Upgrades stored events of old schema versions to the current one, on read.

    Register one function per (event type, from version); it returns the data of version + 1.
    Stored rows are never rewritten: the log stays as it was written.
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcast] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcast], Upcast]:
        def decorator(fn: Upcast) -> Upcast:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"an upcaster for {event_type} v{from_version} is already registered")
            self._steps[key] = fn
            return fn

        return decorator

    def upcast(self, event: RecordedEvent) -> RecordedEvent:
        if not self._steps:
            return event
        data, version = event.data, event.schema_version
        while (step := self._steps.get((event.event_type, version))) is not None:
            data = step(dict(data))
            version += 1
        if version == event.schema_version:
            return event
        return _replace(event, data=data, schema_version=version)


def _replace(event: RecordedEvent, **changes: Any) -> RecordedEvent:
    from dataclasses import replace

    return replace(event, **changes)


# --- the port -------------------------------------------------------------------------------------------


class EventStore(Protocol):
    """What the application needs from an event store."""

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
        reservation: Reservation | None = None,
    ) -> AppendResult: ...

    async def read_stream(
        self, stream_id: str, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]: ...

    async def stream_version(self, stream_id: str) -> int: ...

    async def settle(self, within: float = 5.0) -> bool:
        """Wait until every event committed before the call is visible to `read_all` (True when so)."""
        ...

    async def read_all(
        self,
        after: GlobalPosition = START,
        limit: int = 1000,
        *,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
    ) -> list[RecordedEvent]: ...

    async def head(self) -> GlobalPosition: ...

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
        """Record that stored event `event_id` is to be read with `data` from now on.

        The stored event stays as written; an `EventCorrected` event in stream `correction-<id>`
        records the correction, and every read (streams, the global order, rebuilds) returns the
        corrected data in place of the stored data. `verify` judges the corrected stream first, in the
        writing transaction where there is one. An `EventCorrected` event cannot be corrected. The
        application's rules for corrections are in `application.corrections`; see
        docs/repairing-events.md.
        """
        ...

    async def read_event(self, event_id: UUID) -> RecordedEvent | None:
        """One stored event by id, as readers see it (a correction applied); None when there is none."""
        ...

    async def corrections(self, stream_id: str) -> list[Correction]:
        """The corrections of a stream's events, oldest first (one per event: the newest)."""
        ...

    def follow(
        self,
        after: GlobalPosition = START,
        *,
        batch_size: int = 1000,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
        idle_timeout: float | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]: ...
