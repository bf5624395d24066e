"""Audits in the demo: their dates and auditors, the planner's scheduling, and one audit round from the
scores to the director's decision (draft report, the auditee's reaction when there is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from application.demo.cast import DIRECTOR, EXPERT_AUDITORS, PEER_AUDITORS
from application.demo.draft import Retry, TrajectoryDraft
from application.demo.scores import Auditee, draw_scores, findings, improvement_points, summary
from application.demo.workdays import is_working_day
from domain import (
    DecideCertification,
    IssueDraftReport,
    Quarter,
    ReactToDraft,
    RecordAuditScores,
    Result,
    ScheduleAudit,
)
from domain.calendar import add_days

NO_AUDITS = (date(2020, 3, 12), date(2020, 3, 17))
"""No regular audit is planned in the days the lockdown was announced."""

REACTIONS = (
    "Enkele feitelijke onjuistheden in de beschrijving van norm 3 gecorrigeerd.",
    "Wij herkennen ons in de bevindingen; aanvulling bij de verbeterpunten meegestuurd.",
    "Reactie op de bevindingen bij norm 6 met aanvullende documenten.",
)


@dataclass
class Audit:
    """The audit days and the two auditors who visit."""

    dates: tuple[date, ...]
    expert: str
    peer: str

    @property
    def first(self) -> date:
        return self.dates[0]

    @property
    def last(self) -> date:
        return self.dates[-1]


def audit_dates(
    draft: TrajectoryDraft, lo: date, hi: date, two_days: bool, prefer_before: date | None = None
) -> tuple[date, ...]:
    """One or two consecutive working days in [lo, hi], in one quarter, clear of the lockdown's start."""
    if prefer_before is not None and draft.rng.random() < 0.75 and prefer_before >= lo:
        hi = min(hi, prefer_before)
    for _ in range(20):
        first = draft.day(lo, hi)
        if NO_AUDITS[0] <= first <= NO_AUDITS[1]:
            continue
        if not two_days:
            return (first,)
        second = add_days(first, 1)
        while not is_working_day(second):
            second = add_days(second, 1)
        if second <= hi and Quarter.of(second) == Quarter.of(first):
            return (first, second)
    raise Retry


def auditors(draft: TrajectoryDraft) -> tuple[str, str]:
    """An expert and a peer auditor, neither excluded (previous round, conflict of interest)."""
    expert = draft.rng.choice([a for a in EXPERT_AUDITORS if a not in draft.excluded])
    peer = draft.rng.choice([a for a in PEER_AUDITORS if a not in draft.excluded])
    return expert, peer


def schedule(draft: TrajectoryDraft, day: date, audit: Audit, label: str) -> None:
    """The planner fixes the audit's dates and auditors."""
    draft.add(
        day,
        (9, 12),
        label,
        ScheduleAudit,
        draft.planner,
        audit_dates=audit.dates,
        expert_auditor=audit.expert,
        peer_auditor=audit.peer,
    )


def audit_round(
    draft: TrajectoryDraft,
    audit: Audit,
    scope: tuple[str, ...],
    ido: bool,
    verdict: Result,
    suffix: str,
    heraudit_scope: tuple[str, ...] | None,
) -> date:
    """Scores, draft report, maybe a reaction, and the decision; returns the decision day."""
    rng, rules, auditor = draft.rng, draft.rules, f"auditor:{audit.expert}"
    judged = heraudit_scope if heraudit_scope is not None else scope
    heraudit = heraudit_scope is not None
    auditee = Auditee(draft.row.association, draft.category, draft.reading_base_in_order)
    sheet = draw_scores(rng, judged, verdict, heraudit=heraudit, rules=rules, label=draft.tid, auditee=auditee)
    if not heraudit:
        draft.failing_norms = sheet.failing_norms
    scores = sheet.scores
    scored = draft.day(audit.last, add_days(audit.last, 4))
    draft.add(
        scored,
        (16, 18) if scored == audit.last else (9, 17),
        f"scores{suffix}",
        RecordAuditScores,
        auditor,
        scores=scores,
        indicators={rules.ido_indicator.id: True} if ido and heraudit_scope is None else {},
        findings=findings(scores, rules),
        improvement_points=improvement_points(scores, rules),
    )
    drafted = draft.day(
        add_days(scored, 3), min(add_days(scored, 16), add_days(audit.last, rules.terms.draft_report_days))
    )
    draft.add(drafted, (9, 16), f"draft-report{suffix}", IssueDraftReport, auditor, summary=summary(scores, rules))
    reaction_end = add_days(drafted, rules.terms.reaction_days)
    if rng.random() < (0.35 if verdict is Result.CERTIFIED else 0.8):
        reacted = draft.day(add_days(drafted, 2), add_days(reaction_end, -1))
        reaction = rng.choice(REACTIONS)
        draft.add(reacted, (10, 16), f"reaction{suffix}", ReactToDraft, draft.auditee, reaction=reaction)
    decided = draft.day(add_days(reaction_end, 1), add_days(reaction_end, rules.terms.decision_days - 1))
    draft.add(decided, (10, 16), f"decision{suffix}", DecideCertification, DIRECTOR, verdict=verdict)
    return decided
