"""What is written can always be read: each store refuses a payload that would not read back equal,
and a correction replaces an event's data on every read path (issue 9, item 1)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.event_store import START, EventStore, ExpectedVersion, InvalidAppend, NewEvent, check_readable

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        ({"employees": 18446744073709551616}, "employees: integer 18446744073709551616 is outside"),
        ({"n": -(2**53)}, "n: integer"),
        ({"f": float("inf")}, "not a finite number"),
        ({"f": float("nan")}, "not a finite number"),
        ({"f": 1e16}, "would read back as an integer"),
        ({"s": "a\x00b"}, "NUL"),
        ({"list": ["ok", "\ud800"]}, "list[1]: is not valid Unicode"),
        ({1: "int key"}, "key 1 is not a string"),
        ({"k\x00": 1}, "NUL"),
        ({"when": object()}, "not a JSON value"),
        (_nested(40), "nested deeper"),
    ],
)
async def test_a_payload_that_would_not_read_back_equal_is_refused_and_nothing_is_written(
    store: EventStore, data: dict[Any, Any], rule: str
) -> None:
    with pytest.raises(InvalidAppend) as info:
        await store.append("trajectory-x", [NewEvent("A", data)], ExpectedVersion.ANY)
    assert info.value.field == "events[0].data"
    assert rule in str(info.value)
    assert await store.settle()
    assert await store.read_all() == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.text(max_size=8), JSON, max_size=4))
async def test_whatever_a_store_accepts_reads_back_equal_with_the_same_types(
    store: EventStore, data: dict[str, Any]
) -> None:
    """Hypothesis over JSON-ish values: an accepted append reads back identical, types included."""
    try:
        check_readable(data, "data")
    except InvalidAppend:
        with pytest.raises(InvalidAppend):
            await store.append(f"trajectory-{uuid.uuid4().hex}", [NewEvent("A", data)], ExpectedVersion.ANY)
        return
    result = await store.append(f"trajectory-{uuid.uuid4().hex}", [NewEvent("A", data)], ExpectedVersion.ANY)
    [event] = await store.read_stream(result.stream_id)
    assert _typed(event.data) == _typed(data)


def _typed(value: Any) -> Any:
    """The value with each leaf's type beside it (1 and 1.0 and True differ); tuples as lists."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_typed(v) for v in value]
    if isinstance(value, float) and value == 0:
        return ("float", 0.0)  # jsonb has no negative zero
    return (type(value).__name__, value)


async def test_a_correction_replaces_the_data_on_every_read_and_is_itself_an_event(store: EventStore) -> None:
    first = await store.append("trajectory-c", [NewEvent("A", {"n": 1}), NewEvent("B", {"n": 2})], 0)
    bad_id = first.event_ids[1]
    with pytest.raises(InvalidAppend, match="reason"):
        await store.correct(bad_id, {"n": 3}, reason=" ")
    with pytest.raises(InvalidAppend, match="event_id"):
        await store.correct(uuid.uuid4(), {"n": 3}, reason="typo")
    with pytest.raises(InvalidAppend, match="integer"):
        await store.correct(bad_id, {"n": 2**64}, reason="typo")
    await store.correct(bad_id, {"n": 20}, reason="typo", actor="ops")
    await store.correct(bad_id, {"n": 21}, reason="typo again", actor="ops")  # the newest wins
    assert [e.data for e in await store.read_stream("trajectory-c")] == [{"n": 1}, {"n": 21}]
    assert await store.settle()
    everything = await store.read_all(START)
    assert [e.data for e in everything if e.stream_id == "trajectory-c"] == [{"n": 1}, {"n": 21}]
    corrections = await store.read_stream(f"correction-{bad_id}")
    assert [e.event_type for e in corrections] == ["EventCorrected", "EventCorrected"]
    assert corrections[-1].data["reason"] == "typo again" and corrections[-1].actor == "ops"
    assert await store.stream_version("trajectory-c") == 2
