"""The event store port: what the application needs from any store, and the records it exchanges.

Pure Python, no I/O: `infrastructure.postgres_event_store` and `infrastructure.memory_event_store`
implement it, and one contract suite holds both to the same behaviour.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol
from uuid import UUID, uuid4

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
        try:
            text = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidAppend(f"events[{i}].data", f"must be JSON-serialisable ({exc})") from exc
        if "\\u0000" in text:
            raise InvalidAppend(f"events[{i}].data", "must not contain NUL characters")
        size = len(text.encode())
        if size > max_event_bytes:
            raise InvalidAppend(f"events[{i}].data", f"is {size} bytes; the limit is {max_event_bytes} bytes")
        payloads.append(text)
    return payloads


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

    def follow(
        self,
        after: GlobalPosition = START,
        *,
        batch_size: int = 1000,
        categories: Sequence[str] | None = None,
        event_types: Sequence[str] | None = None,
        idle_timeout: float | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]: ...
