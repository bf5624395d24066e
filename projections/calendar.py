"""The calendar read model: every audit (a trajectory's round) as the calendar feeds show it.

One row per (trajectory, round) from the audit's first scheduling on. Its SEQUENCE (RFC 5545) is the
number of times its dates or its status changed after that: a re-schedule to other dates, a granted
postponement that names new dates, a cancellation, a postponement granted without new dates (the audit
no longer takes place on its dates: cancelled until it is scheduled again, in the same round and so under
the same UID), and a withdrawal or closing before the audit took place. A cancelled audit keeps its last
dates and auditors. A re-schedule that only changes the auditors updates the row without a new SEQUENCE
(RFC 5545 raises it for dates and status).

Its own small table of organisations (`calendar_trajectories`) gives each audit its organisation and
certificate number, so the projection reads nothing but its own tables and is rebuilt from the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import ClassVar, TypedDict

import asyncpg

from application.calendar_feed import AuditEntry, DeadlineEntry
from application.event_store import RecordedEvent
from application.trajectories import trajectory_id_of
from domain import events as ev
from projections import bulk
from projections.deadlines import TABLE as DEADLINES
from projections.trajectory_state import decode, trajectory_events

AUDITS = "calendar_audits"
ORGANISATIONS = "calendar_trajectories"
CONFIRMED, CANCELLED = "confirmed", "cancelled"
MAX_ENTRIES = 10_000
"""Most audits one feed lists (the latest by date): a feed stays a bounded answer."""


class AuditRow(TypedDict):
    """The columns of calendar_audits (migration 0010)."""

    trajectory_id: str
    round_number: int
    round_kind: str
    organisation: str
    certificate_number: str
    audit_dates: tuple[date, ...]
    expert_auditor: str
    peer_auditor: str
    status: str
    sequence: int
    held: bool
    first_scheduled_at: datetime
    changed_at: datetime


class OrganisationRow(TypedDict):
    """The columns of calendar_trajectories (migration 0010)."""

    trajectory_id: str
    organisation: str
    certificate_number: str


class CalendarProjection:
    """Keeps `calendar_audits` from the events that schedule, move, cancel or hold an audit."""

    name: ClassVar[str] = "calendar"
    categories: ClassVar[Sequence[str] | None] = ["trajectory"]
    event_types: ClassVar[Sequence[str] | None] = [
        "TrajectoryOpened",
        "AuditScheduled",
        "PostponementGranted",
        "AuditCancelled",
        "AuditScoresRecorded",
        "ParticipationWithdrawn",
        "TrajectoryClosed",
    ]
    tables: ClassVar[Sequence[str]] = [AUDITS, ORGANISATIONS]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        records = trajectory_events(events)
        if not records:
            return
        await bulk.without_waiting_for_disk(conn)
        ids = sorted({trajectory_id_of(r.stream_id) for r in records})
        organisations: dict[str, OrganisationRow] = {
            row["trajectory_id"]: OrganisationRow(**dict(row))  # type: ignore[typeddict-item]
            for row in await conn.fetch(f"SELECT * FROM {ORGANISATIONS} WHERE trajectory_id = ANY($1::text[])", ids)
        }
        audits: dict[tuple[str, int], AuditRow] = {}
        for row in await conn.fetch(f"SELECT * FROM {AUDITS} WHERE trajectory_id = ANY($1::text[])", ids):
            values = dict(row)
            values["audit_dates"] = tuple(values["audit_dates"])
            audits[(row["trajectory_id"], row["round_number"])] = AuditRow(**values)  # type: ignore[typeddict-item]
        new_organisations: list[OrganisationRow] = []
        changed: set[tuple[str, int]] = set()
        for record in records:
            event = decode(record)
            if event is None:
                continue
            trajectory_id = trajectory_id_of(record.stream_id)
            if isinstance(event, ev.TrajectoryOpened):
                row = OrganisationRow(
                    trajectory_id=trajectory_id,
                    organisation=event.organisation,
                    certificate_number=event.certificate_number,
                )
                organisations[trajectory_id] = row
                new_organisations.append(row)
            else:
                changed |= fold_event(audits, organisations, trajectory_id, event)
        await bulk.insert(
            conn,
            ORGANISATIONS,
            OrganisationRow,
            new_organisations,
            on_conflict=bulk.upsert_clause(("trajectory_id",), bulk.columns(OrganisationRow)),
        )
        await bulk.insert(
            conn,
            AUDITS,
            AuditRow,
            [audits[key] for key in sorted(changed)],
            on_conflict=bulk.upsert_clause(("trajectory_id", "round_number"), bulk.columns(AuditRow)),
        )


def fold_event(
    audits: dict[tuple[str, int], AuditRow],
    organisations: dict[str, OrganisationRow],
    trajectory_id: str,
    event: ev.Event,
) -> set[tuple[str, int]]:
    """Apply one event to the trajectory's audits (rows keyed by (trajectory, round)); the keys of the
    rows it changed. The one rule for an audit's calendar SEQUENCE and status (also for an e-mail's
    `.ics`, which can fold a trajectory's events with it)."""
    at = event.occurred_at
    if isinstance(event, ev.AuditScheduled):
        key = (trajectory_id, event.round)
        existing = audits.get(key)
        if existing is None:
            where = organisations[trajectory_id]  # every stream opens with TrajectoryOpened
            audits[key] = AuditRow(
                trajectory_id=trajectory_id,
                round_number=event.round,
                round_kind=event.round_kind.value,
                organisation=where["organisation"],
                certificate_number=where["certificate_number"],
                audit_dates=tuple(event.audit_dates),
                expert_auditor=event.expert_auditor,
                peer_auditor=event.peer_auditor,
                status=CONFIRMED,
                sequence=0,
                held=False,
                first_scheduled_at=at,
                changed_at=at,
            )
        else:
            _revise(existing, at, dates=tuple(event.audit_dates), status=CONFIRMED)
            existing["expert_auditor"], existing["peer_auditor"] = event.expert_auditor, event.peer_auditor
            existing["changed_at"] = at
        return {key}
    if isinstance(event, ev.AuditCancelled):
        key = (trajectory_id, event.round)
        if key in audits:
            _revise(audits[key], at, status=CANCELLED)
            return {key}
        return set()
    if isinstance(event, ev.AuditScoresRecorded):
        key = (trajectory_id, event.round)
        if key in audits:
            audits[key]["held"] = True
            return {key}
        return set()
    if isinstance(event, ev.PostponementGranted | ev.ParticipationWithdrawn | ev.TrajectoryClosed):
        key_or_none = _planned(audits, trajectory_id)
        if key_or_none is None:
            return set()
        if isinstance(event, ev.PostponementGranted) and event.new_audit_dates:
            _revise(audits[key_or_none], at, dates=tuple(event.new_audit_dates))
        else:
            _revise(audits[key_or_none], at, status=CANCELLED)
        return {key_or_none}
    return set()


def _planned(audits: dict[tuple[str, int], AuditRow], trajectory_id: str) -> tuple[str, int] | None:
    """The trajectory's audit that is planned and has not taken place (at most one)."""
    keys = [
        key for key, row in audits.items() if key[0] == trajectory_id and row["status"] == CONFIRMED and not row["held"]
    ]
    return max(keys) if keys else None


def _revise(row: AuditRow, at: datetime, *, dates: tuple[date, ...] | None = None, status: str | None = None) -> None:
    """New dates and/or status; SEQUENCE goes up when either differs from what calendars have."""
    new_dates = row["audit_dates"] if dates is None else dates
    new_status = row["status"] if status is None else status
    if new_dates != row["audit_dates"] or new_status != row["status"]:
        row["sequence"] += 1
        row["changed_at"] = at
    row["audit_dates"], row["status"] = new_dates, new_status


# --- what the feeds read -------------------------------------------------------------------------------


def _entry(row: asyncpg.Record) -> AuditEntry:
    return AuditEntry(
        trajectory_id=row["trajectory_id"],
        round_number=row["round_number"],
        round_kind=row["round_kind"],
        organisation=row["organisation"],
        certificate_number=row["certificate_number"],
        audit_dates=tuple(row["audit_dates"]),
        expert_auditor=row["expert_auditor"],
        peer_auditor=row["peer_auditor"],
        cancelled=row["status"] == CANCELLED,
        sequence=row["sequence"],
        changed_at=row["changed_at"],
    )


async def audits(
    pool: asyncpg.Pool,
    *,
    since: date,
    auditor: str | None = None,
    certificate_number: str | None = None,
) -> list[AuditEntry]:
    """Audits whose last day is on or after `since`: all, or one auditor's (expert or peer), or one
    organisation's (certificate number); at most `MAX_ENTRIES`, the latest."""
    rows = await pool.fetch(
        f"""SELECT * FROM {AUDITS}
            WHERE audit_dates[array_upper(audit_dates, 1)] >= $1
              AND ($2::text IS NULL OR expert_auditor = $2 OR peer_auditor = $2)
              AND ($3::text IS NULL OR certificate_number = $3)
            ORDER BY audit_dates[1] DESC, trajectory_id, round_number
            LIMIT $4""",
        since,
        auditor,
        certificate_number,
        MAX_ENTRIES,
    )
    return [_entry(row) for row in rows]


async def audit(pool: asyncpg.Pool, trajectory_id: str, round_number: int) -> AuditEntry | None:
    """One audit as calendars know it (for an e-mail's `.ics`), or None before it was scheduled."""
    row = await pool.fetchrow(
        f"SELECT * FROM {AUDITS} WHERE trajectory_id = $1 AND round_number = $2", trajectory_id, round_number
    )
    return None if row is None else _entry(row)


async def auditee_deadlines(pool: asyncpg.Pool, certificate_number: str, *, since: date) -> list[DeadlineEntry]:
    """The deadlines on or after `since` that the organisation with this certificate number has to meet."""
    rows = await pool.fetch(
        f"""SELECT d.deadline_id, d.trajectory_id, c.organisation, d.label, d.due_on, d.due_at
            FROM {DEADLINES} d JOIN {ORGANISATIONS} c USING (trajectory_id)
            WHERE c.certificate_number = $1 AND d.party = 'auditee' AND d.due_on >= $2
            ORDER BY d.due_at, d.deadline_id
            LIMIT $3""",
        certificate_number,
        since,
        MAX_ENTRIES,
    )
    return [DeadlineEntry(**dict(row)) for row in rows]


# --- what the planner's calendar page reads ------------------------------------------------------------


SPAN = (
    "daterange(least(audit_dates[1], audit_dates[array_upper(audit_dates, 1)]),"
    " greatest(audit_dates[1], audit_dates[array_upper(audit_dates, 1)]), '[]')"
)
"""An audit's first to last day (its days are stored in order), as the GiST index of migration 0012 holds
it: this text must stay the index's expression for the planner to use the index."""


async def audits_between(
    pool: asyncpg.Pool, first: date, last: date, *, auditor: str | None = None
) -> list[tuple[AuditEntry, bool]]:
    """Audits with a day from `first` to `last` (inclusive), cancelled ones too, with whether each was
    held; all, or one auditor's (expert or peer); by first day, organisation. At most `MAX_ENTRIES`.

    The audits whose span meets the period come from the span's index; of those, the ones with a day in
    it stay (an audit of two days can straddle a week)."""
    rows = await pool.fetch(
        f"""SELECT * FROM {AUDITS}
            WHERE {SPAN} && daterange($1, $2, '[]')
              AND EXISTS (SELECT 1 FROM unnest(audit_dates) AS a(day) WHERE a.day BETWEEN $1 AND $2)
              AND ($3::text IS NULL OR expert_auditor = $3 OR peer_auditor = $3)
            ORDER BY audit_dates[1], organisation, trajectory_id, round_number
            LIMIT $4""",
        first,
        last,
        auditor,
        MAX_ENTRIES,
    )
    return [(_entry(row), row["held"]) for row in rows]


async def auditor_names(pool: asyncpg.Pool) -> list[str]:
    """Every auditor (expert or peer) named by an audit in the calendar, by name.

    Each name column is walked from name to next name on its index (a "skip scan"): a few dozen index
    probes, where DISTINCT over the column would read every audit on every calendar page."""
    rows = await pool.fetch(
        f"""WITH RECURSIVE
              expert(name) AS (
                (SELECT expert_auditor FROM {AUDITS} ORDER BY 1 LIMIT 1)
                UNION ALL
                SELECT (SELECT expert_auditor FROM {AUDITS} WHERE expert_auditor > e.name ORDER BY 1 LIMIT 1)
                FROM expert e WHERE e.name IS NOT NULL),
              peer(name) AS (
                (SELECT peer_auditor FROM {AUDITS} ORDER BY 1 LIMIT 1)
                UNION ALL
                SELECT (SELECT peer_auditor FROM {AUDITS} WHERE peer_auditor > p.name ORDER BY 1 LIMIT 1)
                FROM peer p WHERE p.name IS NOT NULL)
            SELECT name FROM expert WHERE name <> '' UNION SELECT name FROM peer WHERE name <> ''
            ORDER BY name"""
    )
    return [row["name"] for row in rows]
