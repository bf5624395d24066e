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
from projections.page import Page, check_limit, snapshot
from projections.scope import EVERYTHING, Params, Scope
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


@dataclass(frozen=True)
class TrajectoryFilter:
    """What a list of trajectories is narrowed to; every given criterion must hold.

    - `phase`: a Dutch phase value ('audit gepland'); `association`: as the register spells it;
    - `organisation_like`: a case-insensitive part of the organisation's name (no wildcards needed);
    - `auditor`: the expert or peer auditor of the current round (the name, any case);
    - `audit_from` / `audit_to`: an audit date of the current round falls in this period (inclusive);
    - `opened_from` / `opened_to`: the trajectory was opened in this period (inclusive), the period
      the report counts it in;
    - `is_open`: True for running trajectories only, False for closed ones only;
    - `certificate_number`: exactly this certificate.
    """

    phase: str | None = None
    organisation_like: str | None = None
    association: str | None = None
    auditor: str | None = None
    audit_from: date | None = None
    audit_to: date | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    is_open: bool | None = None
    certificate_number: str | None = None

    def conditions(self, p: Params) -> list[str]:
        found = []
        if self.phase is not None:
            found.append(f"t.phase = {p(self.phase, 'text')}")
        if self.organisation_like:
            found.append(f"t.organisation ILIKE {p(_like(self.organisation_like), 'text')}")
        if self.association is not None:
            found.append(f"t.association = {p(self.association, 'text')}")
        if self.auditor is not None:
            name = p(self.auditor.casefold(), "text")
            found.append(f"(lower(t.expert_auditor) = {name} OR lower(t.peer_auditor) = {name})")
        if self.audit_from is not None or self.audit_to is not None:
            lower = p(self.audit_from, "date")
            upper = p(self.audit_to, "date")
            found.append(
                f"""EXISTS (SELECT 1 FROM unnest(t.audit_dates) AS a(day)
                    WHERE ({lower} IS NULL OR a.day >= {lower}) AND ({upper} IS NULL OR a.day <= {upper}))"""
            )
        if self.opened_from is not None:
            found.append(f"t.opened_on >= {p(self.opened_from, 'date')}")
        if self.opened_to is not None:
            found.append(f"t.opened_on <= {p(self.opened_to, 'date')}")
        if self.is_open is not None:  # written out, not a parameter: the sessions' generic plans can use
            found.append("t.is_open" if self.is_open else "NOT t.is_open")  # the partial index of the open ones
        if self.certificate_number is not None:
            found.append(f"t.certificate_number = {p(self.certificate_number, 'text')}")
        return found


def _where(criteria: TrajectoryFilter, scope: Scope, p: Params) -> str:
    return " AND ".join([scope.condition(p), *criteria.conditions(p)])


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
    criteria = TrajectoryFilter(
        phase=phase.value if isinstance(phase, Phase) else phase,
        organisation_like=organisation_like,
        is_open=True if open_only else None,
    )
    p = Params()
    where = _where(criteria, EVERYTHING, p)
    rows = await pool.fetch(
        f"SELECT * FROM {TABLE} t WHERE {where} ORDER BY t.organisation, t.trajectory_id LIMIT {p(limit, 'int')}",
        *p.values,
    )
    return [_overview(row) for row in rows]


async def page_trajectories(
    pool: asyncpg.Pool,
    criteria: TrajectoryFilter | None = None,
    *,
    scope: Scope = EVERYTHING,
    limit: int = 50,
    after: tuple[str, str] | None = None,
) -> Page[TrajectoryOverview]:
    """One page of the trajectories `scope` may know of that match `criteria`, by organisation then id;
    `after` is the (organisation, trajectory_id) of the last row of the previous page."""
    check_limit(limit)
    p = Params()
    matching = _where(criteria or TrajectoryFilter(), scope, p)
    counted = list(p.values)
    where = matching
    if after is not None:
        where += f" AND (t.organisation, t.trajectory_id) > ({p(after[0], 'text')}, {p(after[1], 'text')})"
    async with snapshot(pool) as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {TABLE} t WHERE {matching}", *counted)
        rows = await conn.fetch(
            f"""SELECT * FROM {TABLE} t WHERE {where}
                ORDER BY t.organisation, t.trajectory_id LIMIT {p(limit + 1, "int")}""",
            *p.values,
        )
    items = [_overview(row) for row in rows[:limit]]
    more = len(rows) > limit
    return Page(items, total, (items[-1].organisation, items[-1].trajectory_id) if more else None)


async def get_trajectory(
    pool: asyncpg.Pool | asyncpg.Connection, trajectory_id: str, *, scope: Scope = EVERYTHING
) -> TrajectoryOverview | None:
    """One trajectory's overview, or None when the projection does not know it (yet) or `scope` may not."""
    p = Params()
    where = f"t.trajectory_id = {p(trajectory_id, 'text')} AND {scope.condition(p)}"
    row = await pool.fetchrow(f"SELECT * FROM {TABLE} t WHERE {where}", *p.values)
    return None if row is None else _overview(row)
