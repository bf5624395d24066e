"""The trajectory overview: one row per trajectory with where it stands, for lists, detail pages and reports.

Besides the state's phase, audit and verdict it keeps what the period report needs (association,
category, modules, norm scores of the regular audit and of the latest round, survey answer) and what
ops need to spot stuck work: `last_event_at` (any event) and `last_progress_at` (the last event that
is not a dispatcher's bookkeeping: DeadlineMissed, ReminderSent, CertificateExpired, InterimStatusEnded).
All times are the events' `occurred_at` (the domain clock), so a controlled clock shows sensible values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

import asyncpg

from domain import Deadline, Phase, RoundKind, certificate_status, certified_until, register_entry
from domain import events as ev
from projections import bulk
from projections.trajectory_state import Folded

TABLE = "trajectories"


class OverviewRow(TypedDict):
    """The columns of the trajectories table (migration 0004), written by `write`."""

    trajectory_id: str
    organisation: str
    certificate_number: str
    association: str
    framework_version: str
    opened_on: date
    phase: str
    phase_since: date
    is_open: bool
    audit_quarter: str
    round_number: int
    round_kind: str
    audit_dates: tuple[date, ...]
    expert_auditor: str | None
    peer_auditor: str | None
    category: str | None
    dagdelen: int | None
    modules: tuple[str, ...]
    verdict: str | None
    failing_norms: tuple[str, ...]
    decided_on: date | None
    norm_scores: dict[str, float]
    audit_norm_scores: dict[str, float] | None
    result: str | None
    remark: str | None
    certified_until: date | None
    certificate_status: str
    survey_answer: str | None
    postponements_granted: int
    force_majeure_granted: int
    postponement_pending: bool
    next_deadline_kind: str | None
    next_deadline_label: str | None
    next_deadline_due_on: date | None
    next_deadline_due_at: datetime | None
    version: int
    last_event_at: datetime
    last_progress_at: datetime | None
    updated_at: datetime


NOT_PROGRESS = frozenset({"DeadlineMissed", "ReminderSent", "CertificateExpired", "InterimStatusEnded"})


def _audit_scores(f: Folded) -> dict[str, float] | None:
    """The norm scores of the regular audit recorded in this batch (None: none recorded)."""
    found = None
    for _, event in f.steps:
        if isinstance(event, ev.AuditScoresRecorded) and event.round_kind is RoundKind.AUDIT:
            found = event.norm_scores
    return found


def _last_progress(f: Folded) -> datetime | None:
    found = None
    for record, event in f.steps:
        if record.event_type not in NOT_PROGRESS:
            found = event.occurred_at
    return found


def row(f: Folded, pending: list[Deadline]) -> OverviewRow:
    """The overview row of a folded trajectory; `pending` are its deadlines, earliest first."""
    s, round_, intake, decision = f.state, f.state.round, f.state.intake, f.state.decision
    entry = register_entry(s)
    nxt = pending[0] if pending else None
    return OverviewRow(
        trajectory_id=s.trajectory_id,
        organisation=s.organisation,
        certificate_number=s.certificate_number,
        association=s.association,
        framework_version=s.framework_version,
        opened_on=s.opened_on,
        phase=s.phase,
        phase_since=s.phase_since,
        is_open=s.is_open,
        audit_quarter=str(s.audit_quarter),
        round_number=round_.number,
        round_kind=round_.kind,
        audit_dates=round_.audit_dates,
        expert_auditor=round_.expert_auditor,
        peer_auditor=round_.peer_auditor,
        category=intake.category if intake else None,
        dagdelen=intake.dagdelen if intake else None,
        modules=intake.modules if intake else (),
        verdict=decision.verdict if decision else None,
        failing_norms=decision.failing_norms if decision else (),
        decided_on=decision.decided_on if decision else None,
        norm_scores=round_.norm_scores,
        audit_norm_scores=_audit_scores(f),
        result=entry.result if entry.result else None,
        remark=entry.remark if entry.remark else None,
        certified_until=certified_until(s),
        certificate_status=certificate_status(s),
        survey_answer=s.survey.answer if s.survey.answer else None,
        postponements_granted=s.postponements.regular_granted,
        force_majeure_granted=s.postponements.force_majeure_granted,
        postponement_pending=s.postponements.pending is not None,
        next_deadline_kind=nxt.kind if nxt else None,
        next_deadline_label=nxt.label if nxt else None,
        next_deadline_due_on=nxt.due_on if nxt else None,
        next_deadline_due_at=nxt.due_at if nxt else None,
        version=s.version,
        last_event_at=f.steps[-1][1].occurred_at,
        last_progress_at=_last_progress(f),
        updated_at=f.last.recorded_at,
    )


async def write(conn: asyncpg.Connection, folded: Sequence[Folded], pending: Mapping[str, list[Deadline]]) -> None:
    """Upsert the overview row of every trajectory in the batch, in one statement."""
    rows = [row(f, pending[f.trajectory_id]) for f in folded]
    keep = {c: f"coalesce(EXCLUDED.{c}, {TABLE}.{c})" for c in ("audit_norm_scores", "last_progress_at")}
    upsert = bulk.upsert_clause(["trajectory_id"], bulk.columns(OverviewRow), keep)
    await bulk.insert(conn, TABLE, OverviewRow, rows, on_conflict=upsert)


@dataclass(frozen=True)
class TrajectoryOverview:
    """Where a trajectory stands; Dutch values (phase, verdict, result, remark) as the domain spells them."""

    trajectory_id: str
    organisation: str
    certificate_number: str
    association: str
    framework_version: str
    opened_on: date
    phase: str
    phase_since: date
    is_open: bool
    audit_quarter: str
    round_number: int
    round_kind: str
    audit_dates: tuple[date, ...]
    expert_auditor: str | None
    peer_auditor: str | None
    category: str | None
    dagdelen: int | None
    modules: tuple[str, ...]
    verdict: str | None
    failing_norms: tuple[str, ...]
    decided_on: date | None
    norm_scores: dict[str, float]
    audit_norm_scores: dict[str, float] | None
    result: str | None
    remark: str | None
    certified_until: date | None
    certificate_status: str
    survey_answer: str | None
    postponements_granted: int
    force_majeure_granted: int
    postponement_pending: bool
    next_deadline_kind: str | None
    next_deadline_label: str | None
    next_deadline_due_on: date | None
    next_deadline_due_at: datetime | None
    version: int
    last_event_at: datetime
    last_progress_at: datetime
    updated_at: datetime

    @property
    def auditors(self) -> tuple[str, ...]:
        return tuple(a for a in (self.expert_auditor, self.peer_auditor) if a)


def _overview(row: asyncpg.Record) -> TrajectoryOverview:
    values = dict(row)
    for name in ("audit_dates", "modules", "failing_norms"):
        values[name] = tuple(values[name])
    for name in ("norm_scores", "audit_norm_scores"):
        if values[name] is not None:
            values[name] = json.loads(values[name])
    return TrajectoryOverview(**values)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_trajectories(
    pool: asyncpg.Pool,
    *,
    phase: Phase | str | None = None,
    organisation_like: str | None = None,
    open_only: bool = False,
    limit: int = 100,
) -> list[TrajectoryOverview]:
    """Trajectories by organisation; `phase` is a Dutch phase value ('audit gepland'), `organisation_like`
    a case-insensitive part of the name (no wildcards needed)."""
    wanted = phase.value if isinstance(phase, Phase) else phase
    rows = await pool.fetch(
        f"""SELECT * FROM {TABLE}
            WHERE ($1::text IS NULL OR phase = $1) AND ($2::text IS NULL OR organisation ILIKE $2)
              AND (NOT $3 OR is_open)
            ORDER BY organisation, trajectory_id LIMIT $4""",
        wanted,
        _like(organisation_like) if organisation_like else None,
        open_only,
        limit,
    )
    return [_overview(row) for row in rows]


async def get_trajectory(pool: asyncpg.Pool, trajectory_id: str) -> TrajectoryOverview | None:
    """One trajectory's overview, or None when the projection does not know it (yet)."""
    row = await pool.fetchrow(f"SELECT * FROM {TABLE} WHERE trajectory_id = $1", trajectory_id)
    return None if row is None else _overview(row)
