"""The event store contract: every store behaves the same way."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from application.event_store import (
    START,
    EventStore,
    ExpectedVersion,
    GlobalPosition,
    IdempotencyViolation,
    InvalidAppend,
    NewEvent,
    Upcasters,
    WrongExpectedVersion,
)
from tests.contract.conftest import MAX_EVENT_BYTES

pytestmark = pytest.mark.asyncio(loop_scope="session")


def ev(event_type: str = "Happened", **data: Any) -> NewEvent:
    return NewEvent(event_type, data)


async def test_append_then_read_stream_returns_events_in_order_with_versions(store: EventStore) -> None:
    """Appended events come back from their stream in order, numbered 1..n, with their data."""
    result = await store.append("trajectory-a", [ev(n=1), ev(n=2)], ExpectedVersion.NO_STREAM)
    await store.append("trajectory-a", [ev(n=3)], 2)
    events = await store.read_stream("trajectory-a")
    assert [e.data["n"] for e in events] == [1, 2, 3]
    assert [e.stream_version for e in events] == [1, 2, 3]
    assert result.stream_version == 2 and len(result.positions) == 2
    assert await store.stream_version("trajectory-a") == 3
    assert [e.stream_version for e in await store.read_stream("trajectory-a", from_version=2)] == [2, 3]


async def test_metadata_is_stored_with_every_event(store: EventStore) -> None:
    """command, correlation and causation ids, actor, schema version and recorded_at travel with events."""
    event = NewEvent("Opened", {"a": 1}, schema_version=1)
    await store.append(
        "trajectory-m",
        [event],
        0,
        command_id="cmd-1",
        correlation_id="corr",
        causation_id="cause",
        actor="planner:ann",
    )
    [stored] = await store.read_stream("trajectory-m")
    assert stored.event_id == event.event_id
    assert (stored.command_id, stored.correlation_id, stored.causation_id, stored.actor) == (
        "cmd-1",
        "corr",
        "cause",
        "planner:ann",
    )
    assert stored.schema_version == 1 and stored.recorded_at.tzinfo is not None


async def test_unknown_stream_reads_empty_at_version_zero(store: EventStore) -> None:
    """A stream nobody wrote to has version 0 and no events."""
    assert await store.read_stream("trajectory-none") == []
    assert await store.stream_version("trajectory-none") == 0


async def test_wrong_expected_version_raises_conflict_naming_stream_and_versions(store: EventStore) -> None:
    """A stale expected version is refused with the stream, the expected and the actual version."""
    await store.append("trajectory-c", [ev()], ExpectedVersion.NO_STREAM)
    with pytest.raises(WrongExpectedVersion) as info:
        await store.append("trajectory-c", [ev()], 0)
    assert (info.value.stream_id, info.value.expected, info.value.actual) == ("trajectory-c", 0, 1)
    assert "trajectory-c" in str(info.value) and "expected version 0" in str(info.value)
    assert await store.stream_version("trajectory-c") == 1


async def test_no_stream_refused_when_stream_exists_and_any_always_appends(store: EventStore) -> None:
    """NO_STREAM requires a new stream; ANY appends whatever the version."""
    await store.append("trajectory-n", [ev()], ExpectedVersion.NO_STREAM)
    with pytest.raises(WrongExpectedVersion):
        await store.append("trajectory-n", [ev()], ExpectedVersion.NO_STREAM)
    await store.append("trajectory-n", [ev()], ExpectedVersion.ANY)
    assert await store.stream_version("trajectory-n") == 2


async def test_same_command_id_twice_appends_once_and_returns_original_positions(store: EventStore) -> None:
    """A retried command (same command id) is a no-op that returns the first append's positions."""
    first = await store.append("trajectory-i", [ev("A"), ev("B")], 0, command_id="cmd-42")
    again = await store.append("trajectory-i", [ev("A"), ev("B")], 0, command_id="cmd-42")
    assert again.duplicate and not first.duplicate
    assert again.positions == first.positions and again.event_ids == first.event_ids
    assert len(await store.read_stream("trajectory-i")) == 2


async def test_same_event_ids_twice_append_once(store: EventStore) -> None:
    """Deterministic event ids make a retried append a no-op, even with a stale expected version."""
    events = [NewEvent("A", {"x": 1}, event_id=uuid.uuid4()), NewEvent("B", {}, event_id=uuid.uuid4())]
    first = await store.append("trajectory-e", events, 0)
    again = await store.append("trajectory-e", events, 0)
    assert again.duplicate and again.positions == first.positions
    assert len(await store.read_stream("trajectory-e")) == 2


async def test_command_id_reused_for_other_events_is_refused(store: EventStore) -> None:
    """Reusing a command id for different events is not a retry: it is refused and nothing is written."""
    await store.append("trajectory-r", [ev("A")], 0, command_id="cmd-1")
    with pytest.raises(IdempotencyViolation):
        await store.append("trajectory-r", [ev("Other")], 1, command_id="cmd-1")
    with pytest.raises(IdempotencyViolation):
        await store.append("trajectory-s", [ev("A")], 0, command_id="cmd-1")
    assert await store.stream_version("trajectory-r") == 1
    assert await store.stream_version("trajectory-s") == 0


async def test_partial_overlap_of_event_ids_is_refused(store: EventStore) -> None:
    """An append that repeats only some stored event ids is refused whole."""
    known = NewEvent("A", {}, event_id=uuid.uuid4())
    await store.append("trajectory-p", [known], 0)
    with pytest.raises(IdempotencyViolation):
        await store.append("trajectory-p", [known, ev("B")], 1)
    assert await store.stream_version("trajectory-p") == 1


async def test_read_all_follows_global_order_in_batches(store: EventStore) -> None:
    """read_all returns every event once, in global order, resumable from any position."""
    for i in range(7):
        await store.append(f"trajectory-{i % 3}", [ev(n=i)], ExpectedVersion.ANY)
    assert await store.settle()  # an older transaction elsewhere in the cluster may still hide them
    seen: list[int] = []
    position = START
    while batch := await store.read_all(position, limit=3):
        seen.extend(e.data["n"] for e in batch)
        position = batch[-1].global_position
    assert seen == list(range(7))
    assert await store.head() == position
    assert await store.read_all(position) == []


async def test_read_all_filters_by_category_and_event_type(store: EventStore) -> None:
    """Category (stream prefix before '-') and event type filters select exactly the matching events."""
    await store.append("trajectory-1", [ev("Opened"), ev("Scheduled")], 0)
    await store.append("organisation-9", [ev("Opened")], 0)
    await store.append("trajectory-2", [ev("Opened")], 0)
    assert await store.settle()
    trajectories = await store.read_all(categories=["trajectory"])
    assert [e.stream_id for e in trajectories] == ["trajectory-1", "trajectory-1", "trajectory-2"]
    opened = await store.read_all(event_types=["Opened"])
    assert [e.stream_id for e in opened] == ["trajectory-1", "organisation-9", "trajectory-2"]
    both = await store.read_all(categories=["trajectory"], event_types=["Scheduled"])
    assert [e.event_type for e in both] == ["Scheduled"]


async def test_old_schema_versions_are_upcast_on_read(store: EventStore, upcasters: Upcasters) -> None:
    """An event stored as v1 is read as v3 through the registered upcasters; the stored row stays v1."""

    @upcasters.register("AuditPlanned", 1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        auditor = data.pop("auditor")
        return {**data, "auditors": [auditor]}

    @upcasters.register("AuditPlanned", 2)
    def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "days": data.get("days", 1)}

    await store.append("trajectory-u", [NewEvent("AuditPlanned", {"auditor": "ann"}, schema_version=1)], 0)
    [from_stream] = await store.read_stream("trajectory-u")
    assert await store.settle()
    [from_all] = await store.read_all()
    for event in (from_stream, from_all):
        assert event.schema_version == 3
        assert event.data == {"auditors": ["ann"], "days": 1}


async def test_registering_an_upcaster_twice_is_refused() -> None:
    """Two upcasters for the same type and version would be ambiguous."""
    upcasters = Upcasters()
    upcasters.register("X", 1)(lambda d: d)
    with pytest.raises(ValueError, match="already registered"):
        upcasters.register("X", 1)(lambda d: d)


@pytest.mark.parametrize(
    ("stream_id", "events", "expected", "field"),
    [
        ("", [NewEvent("A", {})], 0, "stream_id"),
        ("   ", [NewEvent("A", {})], 0, "stream_id"),
        ("x" * 201, [NewEvent("A", {})], 0, "stream_id"),
        ("bad stream", [NewEvent("A", {})], 0, "stream_id"),
        (None, [NewEvent("A", {})], 0, "stream_id"),
        ("trajectory-1", [NewEvent("A", {})], "3", "expected_version"),
        ("trajectory-1", [NewEvent("A", {})], 1.5, "expected_version"),
        ("trajectory-1", [NewEvent("A", {})], True, "expected_version"),
        ("trajectory-1", [NewEvent("A", {})], -1, "expected_version"),
        ("trajectory-1", [], 0, "events"),
        ("trajectory-1", [NewEvent("", {})], 0, "events[0].event_type"),
        ("trajectory-1", [NewEvent("A", {}, schema_version=0)], 0, "events[0].schema_version"),
        ("trajectory-1", [NewEvent("A", {"x": object()})], 0, "events[0].data"),
        ("trajectory-1", [NewEvent("A", {"x": float("nan")})], 0, "events[0].data"),
        ("trajectory-1", [NewEvent("A", ["not", "a", "mapping"])], 0, "events[0].data"),  # type: ignore[arg-type]
        (
            "trajectory-1",
            [NewEvent("A", {}), NewEvent("B", {"big": "x" * MAX_EVENT_BYTES})],
            0,
            "events[1].data",
        ),
        ("trajectory-1", [NewEvent("A", {"s": "nul\x00"})], 0, "events[0].data"),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    store: EventStore, stream_id: Any, events: list[NewEvent], expected: Any, field: str
) -> None:
    """Invalid appends raise InvalidAppend naming the field and the rule; the store stays empty."""
    with pytest.raises(InvalidAppend) as info:
        await store.append(stream_id, events, expected)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert await store.settle()
    assert await store.read_all() == []


async def test_duplicate_event_ids_within_one_append_are_refused(store: EventStore) -> None:
    """One append may not carry the same event id twice."""
    event_id = uuid.uuid4()
    with pytest.raises(InvalidAppend, match=r"events\[1\]\.event_id"):
        await store.append("trajectory-d", [NewEvent("A", {}, event_id=event_id)] * 2, 0)
    assert await store.settle()
    assert await store.read_all() == []


async def test_oversized_payload_message_names_size_and_limit(store: EventStore) -> None:
    """The size rule says how big the payload is and what the limit is."""
    with pytest.raises(InvalidAppend, match=rf"the limit is {MAX_EVENT_BYTES} bytes"):
        await store.append("trajectory-big", [NewEvent("A", {"big": "é" * MAX_EVENT_BYTES})], 0)


async def test_follow_yields_existing_then_new_events(store: EventStore) -> None:
    """follow() replays what is there and then delivers events appended later."""
    import asyncio

    await store.append("trajectory-f", [ev(n=0)], 0)
    received: list[int] = []

    async def consume() -> None:
        async for batch in store.follow(START, idle_timeout=5):
            received.extend(e.data["n"] for e in batch)
            if len(received) >= 3:
                return

    task = asyncio.create_task(consume())
    await store.append("trajectory-f", [ev(n=1)], 1)
    await store.append("trajectory-g", [ev(n=2)], 0)
    await asyncio.wait_for(task, 10)
    assert received == [0, 1, 2]


async def test_global_position_text_round_trips() -> None:
    """A global position prints as 'tx:position' and parses back; positions order as pairs."""
    position = GlobalPosition(12, 7)
    assert GlobalPosition.parse(str(position)) == position
    assert GlobalPosition(12, 7) < GlobalPosition(13, 1) < GlobalPosition(13, 2)
