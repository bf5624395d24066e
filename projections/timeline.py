"""The timeline: every event of a trajectory as one Dutch line, e.g. 'Audit gepland op 21-04-2026 (…)'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import asyncpg

from application.event_summaries import summarize
from projections import bulk
from projections.trajectory_state import Folded

TABLE = "timeline"


class TimelineRow(TypedDict):
    """The columns of the timeline table (migration 0004), written by `write`."""

    trajectory_id: str
    stream_version: int
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    summary: str


async def write(conn: asyncpg.Connection, folded: Sequence[Folded]) -> None:
    """Append one timeline row per event of the batch, in one statement."""
    rows = [
        TimelineRow(
            trajectory_id=f.trajectory_id,
            stream_version=record.stream_version,
            event_type=record.event_type,
            occurred_at=event.occurred_at,
            recorded_at=record.recorded_at,
            actor=record.actor,
            summary=summarize(event),
        )
        for f in folded
        for record, event in f.steps
    ]
    await bulk.insert(conn, TABLE, TimelineRow, rows)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a trajectory's history."""

    trajectory_id: str
    stream_version: int
    event_type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None
    summary: str


async def get_timeline(pool: asyncpg.Pool | asyncpg.Connection, trajectory_id: str) -> list[TimelineEntry]:
    """A trajectory's full history, oldest first."""
    rows = await pool.fetch(
        f"""SELECT trajectory_id, stream_version, event_type, occurred_at, recorded_at, actor, summary
            FROM {TABLE} WHERE trajectory_id = $1 ORDER BY stream_version""",
        trajectory_id,
    )
    return [TimelineEntry(**dict(row)) for row in rows]
