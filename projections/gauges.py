"""The read models' figures for `/metrics`: open trajectories by phase, overdue deadlines, projection lag,
messages by status. A handful of aggregate queries in one read-only transaction with a statement
timeout, and the lag counted up to a cap, so a scrape's cost stays bounded whatever the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from infrastructure.metrics import LAG_COUNT_CAP, ProjectionLag, ReadModelFigures
from projections.deadlines import TABLE as DEADLINES
from projections.messages import MESSAGES
from projections.overview import TABLE as TRAJECTORIES
from projections.projection import Projection

STATEMENT_TIMEOUT = "2s"


async def read_model_figures(pool: asyncpg.Pool, now: datetime, projections: Sequence[Projection]) -> ReadModelFigures:
    """The figures at `now` (the domain clock: a deadline is overdue once `now` passed its moment)."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'")
        phases = await conn.fetch(f"SELECT phase, count(*) AS n FROM {TRAJECTORIES} WHERE is_open GROUP BY phase")
        overdue = await conn.fetch(f"SELECT kind, count(*) AS n FROM {DEADLINES} WHERE due_at <= $1 GROUP BY kind", now)
        messages = await conn.fetch(f"SELECT status, count(*) AS n FROM {MESSAGES} GROUP BY status")
        lags = {p.name: await _lag(conn, p) for p in projections}
    return ReadModelFigures(
        open_by_phase={r["phase"]: int(r["n"]) for r in phases},
        overdue_by_kind={r["kind"]: int(r["n"]) for r in overdue},
        projections=lags,
        messages_by_status={r["status"]: int(r["n"]) for r in messages},
    )


async def _lag(conn: asyncpg.Connection, projection: Projection) -> ProjectionLag:
    """Events after the projection's checkpoint that it reads (its categories and types), up to the cap."""
    checkpoint = await conn.fetchrow(
        "SELECT transaction_id::text AS xid, position, halted_at FROM projection_checkpoints WHERE name = $1",
        projection.name,
    )
    args: list[object] = [
        "0" if checkpoint is None else checkpoint["xid"],
        0 if checkpoint is None else checkpoint["position"],
        LAG_COUNT_CAP,
    ]
    filters = ["(transaction_id, position) > ($1::text::xid8, $2)"]
    if projection.categories is not None:
        args.append(list(projection.categories))
        filters.append(f"category = ANY(${len(args)}::text[])")
    if projection.event_types is not None:
        args.append(list(projection.event_types))
        filters.append(f"event_type = ANY(${len(args)}::text[])")
    row = await conn.fetchrow(
        f"""SELECT count(*) AS behind,
                   coalesce(extract(epoch FROM now() - min(recorded_at)), 0)::float8 AS seconds
            FROM (SELECT recorded_at FROM events WHERE {" AND ".join(filters)}
                  ORDER BY transaction_id, position LIMIT $3) waiting""",
        *args,
    )
    assert row is not None
    return ProjectionLag(
        behind=int(row["behind"]),
        seconds=max(0.0, float(row["seconds"])),
        halted=checkpoint is not None and checkpoint["halted_at"] is not None,
    )
