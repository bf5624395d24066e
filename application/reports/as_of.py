"""The state as it stood on a reference date (*peildatum*), folded from the events up to then.

Which time: an event counts when its ``occurred_at`` — the domain clock's instant, recorded in the
event itself — falls on or before the peildatum (until midnight at its end, Amsterdam time). That is
the world's time: Temporal's clock in production, the simulated 2018-2023 world in the demo, whose
events are *recorded* (``recorded_at``) in minutes of today's wall-clock time. The domain never
backdates an event (time is passed in as "now"), so nothing recorded later can fall before a
peildatum that has passed: the same command next year prints the same numbers.

Each stream is folded up to its first event after the cutoff (a stream's instants never go back), with
the domain's own ``evolve``, so a report as of a date never reads today's read models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from application.event_store import START, RecordedEvent
from application.reports.facts import TrajectoryFacts, facts_of
from application.trajectories import STREAM_PREFIX
from domain import EVENT_TYPES, Event, event_from_dict
from domain.calendar import AMSTERDAM

CATEGORY = STREAM_PREFIX.rstrip("-")
PAGE = 5_000


def cutoff(peildatum: date) -> datetime:
    """The first instant after the peildatum: midnight at its end in Amsterdam, in UTC."""
    return datetime.combine(peildatum + timedelta(days=1), time(0), tzinfo=AMSTERDAM).astimezone(UTC)


def today(now: datetime) -> date:
    """The Amsterdam date of an instant (the peildatum 'now' stands for)."""
    return now.astimezone(AMSTERDAM).date()


def streams_until(records: Iterable[RecordedEvent], peildatum: date) -> dict[str, list[Event]]:
    """Domain events per trajectory stream, each cut at its first event after the peildatum; pure."""
    end = cutoff(peildatum)
    streams: dict[str, list[Event]] = {}
    stopped: set[str] = set()
    for record in records:
        if not record.stream_id.startswith(STREAM_PREFIX) or record.event_type not in EVENT_TYPES:
            continue
        if record.stream_id in stopped:
            continue
        event = event_from_dict(record.event_type, record.data)
        if event.occurred_at >= end:
            stopped.add(record.stream_id)
            continue
        streams.setdefault(record.stream_id, []).append(event)
    return streams


def facts_until(streams: dict[str, list[Event]], peildatum: date) -> list[TrajectoryFacts]:
    """Every trajectory's facts as of the peildatum; pure."""
    found = (facts_of(events, peildatum) for events in streams.values())
    return sorted((f for f in found if f is not None), key=lambda f: (f.opened_on, f.trajectory_id))


def facts_from_events(events: Sequence[Event], peildatum: date) -> list[TrajectoryFacts]:
    """Facts from domain events of any number of trajectories (in stream order each); for tests and tools."""
    end = cutoff(peildatum)
    streams: dict[str, list[Event]] = {}
    stopped: set[str] = set()
    for event in events:
        if event.trajectory_id in stopped:
            continue
        if event.occurred_at >= end:
            stopped.add(event.trajectory_id)
            continue
        streams.setdefault(event.trajectory_id, []).append(event)
    return facts_until(streams, peildatum)


async def read_trajectory_records(store: Any) -> list[RecordedEvent]:
    """Every trajectory event in the global order, through the event store port.

    Settles first: on a busy database a transaction still running elsewhere holds the global order's
    watermark back, and an event committed just before the report would otherwise be missed."""
    await store.settle()
    records: list[RecordedEvent] = []
    after = START
    while True:
        page = await store.read_all(after, PAGE, categories=[CATEGORY])
        records.extend(page)
        if len(page) < PAGE:
            return records
        after = page[-1].global_position


async def facts_as_of(store: Any, peildatum: date) -> list[TrajectoryFacts]:
    """Every trajectory's facts as they stood at the end of the peildatum, from the event store."""
    return facts_until(streams_until(await read_trajectory_records(store), peildatum), peildatum)


async def register_as_of(store: Any, peildatum: date, association: str | None = None) -> list[TrajectoryFacts]:
    """The certificate register as it stood at the end of the peildatum: one row per certificate number
    (its newest trajectory then), with the certificate's status on that day; optionally one association."""
    from application.reports.period import register_rows

    rows = register_rows(await facts_as_of(store, peildatum))
    return [r for r in rows if association is None or r.association == association]
