"""Uitstel requests and their answers: what planners must still decide, and what was decided why.

One row per request (trajectory, request number). `decide_by` is the request date plus the framework's
decision term, the same date as the trajectory's postponement-decision deadline. Status: ``pending``,
``granted``, ``rejected`` (a withdrawal rejects a pending request with its own reason), or ``lapsed``
when the trajectory closed with the request still open (which the domain does not normally allow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import asyncpg

from domain import events as ev
from domain.postponement import decision_due
from frameworks.loader import load_rules
from projections.page import Page, check_limit, snapshot
from projections.scope import EVERYTHING, Params, Scope
from projections.trajectory_state import Folded

TABLE = "postponement_requests"


async def write(conn: asyncpg.Connection, folded: Sequence[Folded]) -> None:
    """Record the batch's requests, then its decisions, then lapse what a closing left open."""
    requests: list[tuple[Any, ...]] = []
    decisions: list[tuple[Any, ...]] = []
    closed: list[str] = []
    for f in folded:
        rules = load_rules(f.state.framework_version)
        for record, event in f.steps:
            if isinstance(event, ev.PostponementRequested):
                requests.append(
                    (
                        f.trajectory_id,
                        event.request_number,
                        record.command_id,
                        f.state.organisation,
                        event.ground.value,
                        event.reason,
                        event.ground_effective_on,
                        event.requested_on,
                        decision_due(event.requested_on, rules),
                        event.date_fixed,
                        event.force_majeure,
                        str(event.audit_quarter),
                        list(event.audit_dates),
                        record.actor,
                    )
                )
            elif isinstance(event, ev.PostponementGranted):
                dates = list(event.new_audit_dates) if event.new_audit_dates else None
                decisions.append(
                    (
                        f.trajectory_id,
                        event.request_number,
                        "granted",
                        event.decided_on,
                        event.reason,
                        str(event.new_quarter),
                        dates,
                        record.actor,
                    )
                )
            elif isinstance(event, ev.PostponementRejected):
                decisions.append(
                    (
                        f.trajectory_id,
                        event.request_number,
                        "rejected",
                        event.decided_on,
                        event.reason,
                        None,
                        None,
                        record.actor,
                    )
                )
            elif isinstance(event, ev.TrajectoryClosed):
                closed.append(f.trajectory_id)
    if requests:
        await conn.executemany(
            f"""INSERT INTO {TABLE} (trajectory_id, request_number, command_id, organisation, ground, reason,
                    ground_effective_on, requested_on, decide_by, date_fixed, force_majeure, audit_quarter,
                    audit_dates, requested_by, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'pending')""",
            requests,
        )
    if decisions:
        await conn.executemany(
            f"""UPDATE {TABLE} SET status = $3, decided_on = $4, decided_reason = $5, new_quarter = $6,
                    new_audit_dates = $7, decided_by = $8
                WHERE trajectory_id = $1 AND request_number = $2""",
            decisions,
        )
    if closed:
        await conn.execute(
            f"UPDATE {TABLE} SET status = 'lapsed' WHERE status = 'pending' AND trajectory_id = ANY($1::text[])",
            closed,
        )


@dataclass(frozen=True)
class PostponementRequest:
    """An uitstel request with its answer, if any."""

    trajectory_id: str
    request_number: int
    command_id: str | None
    organisation: str
    ground: str
    reason: str
    ground_effective_on: date | None
    requested_on: date
    decide_by: date
    date_fixed: bool
    force_majeure: bool
    audit_quarter: str
    audit_dates: tuple[date, ...]
    requested_by: str | None
    status: str
    decided_on: date | None
    decided_reason: str | None
    new_quarter: str | None
    new_audit_dates: tuple[date, ...] | None
    decided_by: str | None


_COLUMNS = """trajectory_id, request_number, command_id, organisation, ground, reason, ground_effective_on,
    requested_on, decide_by, date_fixed, force_majeure, audit_quarter, audit_dates, requested_by, status,
    decided_on, decided_reason, new_quarter, new_audit_dates, decided_by"""


def _request(row: asyncpg.Record) -> PostponementRequest:
    values = dict(row)
    values["audit_dates"] = tuple(values["audit_dates"])
    if values["new_audit_dates"] is not None:
        values["new_audit_dates"] = tuple(values["new_audit_dates"])
    return PostponementRequest(**values)


async def pending_postponements(pool: asyncpg.Pool) -> list[PostponementRequest]:
    """Requests awaiting a planner's answer, most urgent first."""
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM {TABLE} WHERE status = 'pending'
            ORDER BY decide_by, requested_on, trajectory_id, request_number"""
    )
    return [_request(row) for row in rows]


async def list_postponements(
    pool: asyncpg.Pool | asyncpg.Connection, trajectory_id: str | None = None
) -> list[PostponementRequest]:
    """Every request (of one trajectory, or all), oldest first."""
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM {TABLE} WHERE ($1::text IS NULL OR trajectory_id = $1)
            ORDER BY requested_on, trajectory_id, request_number""",
        trajectory_id,
    )
    return [_request(row) for row in rows]


PostponementStatus = Literal["pending", "granted", "rejected", "lapsed", "all"]


async def page_postponements(
    pool: asyncpg.Pool,
    *,
    status: PostponementStatus = "pending",
    trajectory_id: str | None = None,
    scope: Scope = EVERYTHING,
    limit: int = 50,
    after: tuple[date, str, int] | None = None,
) -> Page[PostponementRequest]:
    """One page of the requests of the trajectories `scope` may know of, most urgent first (by the date
    a decision is due, then trajectory and request number); `after` is that key of the previous page's
    last row."""
    check_limit(limit)
    if status not in ("pending", "granted", "rejected", "lapsed", "all"):
        raise ValueError(f"status: must be pending, granted, rejected, lapsed or all, not {status!r}")
    p = Params()
    conditions = [scope.condition_on(p, "r.trajectory_id")]
    if status != "all":  # one of the four checked above, written out so that the sessions' generic plans
        conditions.append(f"r.status = '{status}'")  # can use the partial index of the pending ones
    if trajectory_id is not None:
        conditions.append(f"r.trajectory_id = {p(trajectory_id, 'text')}")
    matching = " AND ".join(conditions)
    counted = list(p.values)
    where = matching
    if after is not None:
        key = f"({p(after[0], 'date')}, {p(after[1], 'text')}, {p(after[2], 'int')})"
        where += f" AND (r.decide_by, r.trajectory_id, r.request_number) > {key}"
    async with snapshot(pool) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {TABLE} r WHERE {matching}", *counted)
        rows = await conn.fetch(
            f"""SELECT {_COLUMNS} FROM {TABLE} r WHERE {where}
                ORDER BY r.decide_by, r.trajectory_id, r.request_number LIMIT {p(limit + 1, "int")}""",
            *p.values,
        )
    items = [_request(row) for row in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return Page(items, total, None if last is None else (last.decide_by, last.trajectory_id, last.request_number))
