"""Deadlines as data: every pending deadline of every trajectory, for the dispatcher and the planners.

After each batch a trajectory's rows are replaced by `domain.deadlines(state, rules)`, so a deadline
appears when its step becomes due, disappears when the step is done, and a hard deadline that fired
(DeadlineMissed) stays listed with `fired = true` until the step is done.

Statuses in `list_deadlines`, relative to `now` and the Amsterdam calendar:
- ``pending``: not yet due, and not due today (due after today ends);
- ``due``: still to fall due today (now < due_at <= end of today), or within the next N days when
  asked (`due_within_days`: until the end of the Nth day after today);
- ``overdue``: its moment has passed (due_at <= now): either not fired yet (the dispatcher has still
  to fire it) or fired while the step is still undone;
- ``all``: every listed deadline.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypedDict

import asyncpg

from domain import Deadline, TrajectoryState
from domain.calendar import end_of_day, local_date, require_aware
from projections import bulk
from projections.page import Page, check_limit, snapshot
from projections.scope import EVERYTHING, Params, Scope

TABLE = "deadlines"

DeadlineStatus = Literal["pending", "due", "overdue", "all"]
MAX_DUE_WITHIN_DAYS = 366


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


def _listed(now: datetime, status: DeadlineStatus, due_within_days: int, p: Params, conditions: list[str]) -> str:
    """The listed deadlines with their status at `now` (the inner query of every listing)."""
    now = require_aware(now)
    if status not in ("pending", "due", "overdue", "all"):
        raise ValueError(f"status: must be pending, due, overdue or all, not {status!r}")
    if not 0 <= due_within_days <= MAX_DUE_WITHIN_DAYS:
        raise ValueError(f"due_within_days: must be 0..{MAX_DUE_WITHIN_DAYS}, not {due_within_days}")
    at, due_until = p(now, "timestamptz"), p(end_of_day(local_date(now) + timedelta(days=due_within_days)))
    where = " AND ".join(conditions) or "TRUE"
    return f"""SELECT * FROM (
            SELECT deadline_id, trajectory_id, organisation, kind, label, due_on, due_at, nature, party, fired,
                   CASE WHEN due_at <= {at} THEN 'overdue' WHEN due_at <= {due_until} THEN 'due'
                        ELSE 'pending' END AS status,
                   greatest(0, floor(extract(epoch FROM {at} - due_at) / 86400))::int AS days_overdue
            FROM {TABLE} d WHERE {where}
        ) listed
        WHERE ({p(status, "text")} = 'all' OR status = {p(status, "text")})"""


def listing_changes_at(listed: Collection[ListedDeadline], now: datetime) -> datetime:
    """The first moment after `now` at which the same rows would be listed otherwise (`_listed`): a
    deadline falls due (overdue from its `due_at`), an overdue one counts one more day, or the day in
    Amsterdam turns (what is `due` today). Until then a listing asked at `now` stays exact."""
    moments = [end_of_day(local_date(now))]
    for d in listed:
        due_at = require_aware(d.due_at).astimezone(UTC)
        moments.append(due_at if due_at > now else due_at + timedelta(days=d.days_overdue + 1))
    return min(moments)


async def list_deadlines(
    pool: asyncpg.Pool | asyncpg.Connection,
    now: datetime,
    *,
    status: DeadlineStatus = "all",
    trajectory_id: str | None = None,
    due_within_days: int = 0,
) -> list[ListedDeadline]:
    """Listed deadlines by status (see the module doc), earliest first."""
    p = Params()
    conditions = [] if trajectory_id is None else [f"d.trajectory_id = {p(trajectory_id, 'text')}"]
    rows = await pool.fetch(
        _listed(now, status, due_within_days, p, conditions) + " ORDER BY due_at, deadline_id", *p.values
    )
    return [ListedDeadline(**dict(row)) for row in rows]


async def page_deadlines(
    pool: asyncpg.Pool,
    now: datetime,
    *,
    status: DeadlineStatus = "all",
    due_within_days: int = 0,
    trajectory_id: str | None = None,
    scope: Scope = EVERYTHING,
    limit: int = 50,
    after: tuple[datetime, str] | None = None,
) -> Page[ListedDeadline]:
    """One page of the deadlines of the trajectories `scope` may know of, earliest first; `after` is the
    (due_at, deadline_id) of the last row of the previous page. `due_within_days` widens ``due`` from
    today to the next N days (Amsterdam calendar)."""
    check_limit(limit)
    p = Params()
    conditions = [scope.condition_on(p, "d.trajectory_id")]
    if trajectory_id is not None:
        conditions.append(f"d.trajectory_id = {p(trajectory_id, 'text')}")
    matching = _listed(now, status, due_within_days, p, conditions)
    counted = list(p.values)
    query = matching
    if after is not None:
        query += f" AND (due_at, deadline_id) > ({p(require_aware(after[0]), 'timestamptz')}, {p(after[1], 'text')})"
    async with snapshot(pool) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM ({matching}) counted", *counted)
        rows = await conn.fetch(f"{query} ORDER BY due_at, deadline_id LIMIT {p(limit + 1, 'int')}", *p.values)
    items = [ListedDeadline(**dict(row)) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items, total, (items[-1].due_at, items[-1].deadline_id) if more else None)
