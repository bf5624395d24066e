"""Deadlines as data: every pending deadline of every trajectory, for the dispatcher and the planners.

After each batch a trajectory's rows are replaced by `domain.deadlines(state, rules)`, so a deadline
appears when its step becomes due, disappears when the step is done, and a hard deadline that fired
(DeadlineMissed) stays listed with `fired = true` until the step is done.

Statuses in `list_deadlines`, relative to `now` and the Amsterdam calendar:
- ``pending``: not yet due, and not due today (due after today ends);
- ``due``: still to fall due today (now < due_at <= end of today);
- ``overdue``: its moment has passed (due_at <= now): either not fired yet (the dispatcher has still
  to fire it) or fired while the step is still undone;
- ``all``: every listed deadline.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypedDict

import asyncpg

from domain import Deadline, TrajectoryState
from domain.calendar import end_of_day, local_date, require_aware
from projections import bulk

TABLE = "deadlines"

DeadlineStatus = Literal["pending", "due", "overdue", "all"]


class DeadlineRow(TypedDict):
    """The columns of the deadlines table (migration 0004), written by `write`."""

    deadline_id: str
    trajectory_id: str
    organisation: str
    kind: str
    label: str
    due_on: date
    due_at: datetime
    nature: str
    party: str
    fired: bool


async def write(
    conn: asyncpg.Connection, states: Mapping[str, TrajectoryState], pending: Mapping[str, list[Deadline]]
) -> None:
    """Replace the listed deadlines of every trajectory in `pending` by its current ones."""
    if not pending:
        return
    await conn.execute(f"DELETE FROM {TABLE} WHERE trajectory_id = ANY($1::text[])", list(pending))
    rows = [
        DeadlineRow(
            deadline_id=d.deadline_id,
            trajectory_id=d.trajectory_id,
            organisation=states[trajectory_id].organisation,
            kind=d.kind,
            label=d.label,
            due_on=d.due_on,
            due_at=d.due_at,
            nature=d.nature,
            party=d.party,
            fired=d.fired,
        )
        for trajectory_id, items in pending.items()
        for d in items
    ]
    await bulk.insert(conn, TABLE, DeadlineRow, rows)


@dataclass(frozen=True)
class DueDeadline:
    """A deadline the dispatcher should fire (contract with workflows/)."""

    deadline_id: str
    trajectory_id: str
    kind: str
    due_at: datetime


@dataclass(frozen=True)
class ListedDeadline:
    """A deadline as planners see it; `status` is pending, due or overdue at the `now` asked about."""

    deadline_id: str
    trajectory_id: str
    organisation: str
    kind: str
    label: str
    due_on: date
    due_at: datetime
    nature: str
    party: str
    fired: bool
    status: str
    days_overdue: int


async def due_deadlines(pool: asyncpg.Pool, now: datetime, *, limit: int = 500) -> list[DueDeadline]:
    """Unfired deadlines due at `now`, earliest first (ties by id)."""
    rows = await pool.fetch(
        f"""SELECT deadline_id, trajectory_id, kind, due_at FROM {TABLE}
            WHERE NOT fired AND due_at <= $1 ORDER BY due_at, deadline_id LIMIT $2""",
        require_aware(now),
        limit,
    )
    return [DueDeadline(**dict(row)) for row in rows]


async def next_due_at(pool: asyncpg.Pool, *, after_excluding: Collection[str] = ()) -> datetime | None:
    """The earliest due moment of an unfired deadline, leaving out the given deadline ids."""
    value: datetime | None = await pool.fetchval(
        f"SELECT min(due_at) FROM {TABLE} WHERE NOT fired AND NOT (deadline_id = ANY($1::text[]))",
        list(after_excluding),
    )
    return value


async def list_deadlines(
    pool: asyncpg.Pool,
    now: datetime,
    *,
    status: DeadlineStatus = "all",
    trajectory_id: str | None = None,
) -> list[ListedDeadline]:
    """Listed deadlines by status (see the module doc), earliest first."""
    now = require_aware(now)
    if status not in ("pending", "due", "overdue", "all"):
        raise ValueError(f"status: must be pending, due, overdue or all, not {status!r}")
    rows = await pool.fetch(
        f"""SELECT * FROM (
                SELECT deadline_id, trajectory_id, organisation, kind, label, due_on, due_at, nature, party, fired,
                       CASE WHEN due_at <= $2 THEN 'overdue' WHEN due_at <= $3 THEN 'due' ELSE 'pending' END AS status,
                       greatest(0, floor(extract(epoch FROM $2 - due_at) / 86400))::int AS days_overdue
                FROM {TABLE} WHERE $1::text IS NULL OR trajectory_id = $1
            ) listed
            WHERE $4 = 'all' OR status = $4
            ORDER BY due_at, deadline_id""",
        trajectory_id,
        now,
        end_of_day(local_date(now)),
        status,
    )
    return [ListedDeadline(**dict(row)) for row in rows]
