"""One trajectory's timeline from opening to the survey and what the register's remark asks for.

Opened a few weeks before its announcement (previous expiry − 6 months; the audit quarter is the
expiry's quarter), intake within the intake term, planning on a working day at least six weeks
(self-evaluation) ahead, self-evaluation at least six weeks before the audit, one audit round, the
survey answer; and where the register says so a heraudit, a pending heraudit, a lapsed window or a
withdrawal. Deadlines the domain fires itself (automatic announcement, reaction window, survey
reminder …) are no steps; the steps are placed so that they stay valid once those have fired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from application.demo.audits import Audit, audit_dates, audit_round, auditors, schedule
from application.demo.cast import EXPERT_AUDITORS, PEER_AUDITORS, slug
from application.demo.draft import Retry, TrajectoryDraft
from application.demo.heraudits import follow_up
from application.demo.intake import declare_conflict, record_intake
from application.demo.period import DEMO_START, LAST_DECISION_DAY
from application.demo.postponements import (
    LOCKDOWN_AUDITS,
    LOCKDOWN_FIRST_REQUEST,
    LOCKDOWN_LAST_REQUEST,
    PostponementVariant,
    after_date_fixed,
    before_date_fixed,
    lockdown,
)
from application.demo.survey import SurveyResponse, answer_survey
from domain import (
    Association,
    OpenTrajectory,
    OrganisationType,
    Quarter,
    Result,
    Satisfaction,
    SendAnnouncement,
    SubmitSelfEvaluation,
    WithdrawParticipation,
)
from domain.calendar import add_days, add_months

WITHDRAWAL_REASONS = (
    "Het bestuur heeft besloten niet deel te nemen aan deze certificeringsronde.",
    "De organisatie is geen lid meer van de branchevereniging.",
    "De organisatie gaat op in een fusie en neemt in deze ronde niet deel.",
    "Geen capaciteit voor een audit in deze periode; wij zien af van certificering.",
)


ORGANISATION_TYPES = {
    Association.VOB: OrganisationType.PUBLIC_LIBRARY,
    Association.BOTH: OrganisationType.MULTIFUNCTIONAL,
    Association.CULTUURCONNECTIE: OrganisationType.ARTS_CENTRE,
}
"""The register has no organisation types: libraries, multifunctional organisations, arts centres."""


@dataclass(frozen=True)
class Story:
    """What a trajectory's seeded hashes decided before its timeline is drawn."""

    postponement: PostponementVariant
    survey: SurveyResponse
    satisfaction: Satisfaction
    postponed_then_withdrawn: bool = False  # uitstel werd afstel: a granted postponement, then Geen deelname


def draw_timeline(draft: TrajectoryDraft, story: Story, quarter: Quarter) -> None:
    """The steps of one attempt with the previous certificate expiring in ``quarter``; raises Retry."""
    rng, row, rules = draft.rng, draft.row, draft.rules
    expiry = add_days(quarter.start, rng.randint(0, (quarter.end - quarter.start).days))
    nominal = add_months(expiry, -rules.terms.announcement_lead_months)
    opened = draft.day(max(DEMO_START, add_days(nominal, -42)), max(add_days(DEMO_START, 9), add_days(nominal, -5)))
    previous = (rng.choice(EXPERT_AUDITORS), rng.choice(PEER_AUDITORS))
    draft.excluded.update(previous)
    draft.add(
        opened,
        (9, 11),
        "open",
        OpenTrajectory,
        draft.planner,
        organisation=row.organisation,
        certificate_number=draft.number,
        association=row.association,
        framework_version=rules.version_id,
        previous_certificate_expiry=expiry,
        previous_auditors=previous,
        contact_email=f"kwaliteit@{slug(row.organisation)}.example",
        organisation_type=ORGANISATION_TYPES[row.association],
    )
    announcement_due = max(opened, nominal)
    if rng.random() < 0.3 and add_days(opened, 1) < announcement_due:
        announced = draft.day(max(add_days(opened, 1), add_days(announcement_due, -14)), add_days(announcement_due, -1))
        draft.add(announced, (9, 16), "announce", SendAnnouncement, draft.planner)
    else:
        announced = announcement_due  # the announcement deadline fires (09:00 Amsterdam)
    withdraw_at = rng.choice(("before_intake", "after_intake", "after_planning")) if row.withdrawn else None
    if story.postponed_then_withdrawn:
        withdraw_at = "after_intake"  # after the granted postponement
    if withdraw_at == "before_intake":
        withdraw(draft, draft.day(add_days(announced, 2), add_days(announced, 13)))
        return

    intake_day = draft.day(add_days(announced, 2), add_days(announced, rules.terms.intake_days - 1))
    scope, two_days, ido = record_intake(draft, intake_day)
    cursor = intake_day
    if rng.random() < 0.06:
        cursor = declare_conflict(draft, cursor)
    cursor, quarter = before_date_fixed(draft, story.postponement, cursor, quarter)
    if withdraw_at == "after_intake":
        withdraw(draft, draft.day(add_days(cursor, 3), add_days(cursor, 25)))
        return

    planned_on = draft.day(add_days(cursor, 3), add_days(cursor, 20))
    lead = rules.terms.self_evaluation_lead_days
    dates = audit_dates(draft, max(quarter.start, add_days(planned_on, lead + 7)), quarter.end, two_days, expiry)
    audit = Audit(dates, *auditors(draft))
    schedule(draft, planned_on, audit, "schedule")
    if withdraw_at == "after_planning":
        withdraw(draft, draft.day(add_days(planned_on, 3), add_days(audit.first, -lead - 1)))
        return

    in_lockdown = LOCKDOWN_AUDITS[0] <= audit.first <= LOCKDOWN_AUDITS[1]
    request_day = None
    if in_lockdown:
        latest = min(add_days(audit.first, -1), LOCKDOWN_LAST_REQUEST)
        request_day = draft.day(max(LOCKDOWN_FIRST_REQUEST, add_days(audit.first, -45)), latest)
    submit_by = add_days(audit.first, -lead)
    if request_day is not None:
        submit_by = min(submit_by, add_days(request_day, -1))
    self_evaluation = draft.day(add_days(planned_on, 1), submit_by)
    draft.add(
        self_evaluation,
        (10, 16),
        "self-evaluation",
        SubmitSelfEvaluation,
        draft.auditee,
        documents=("zelfevaluatie.pdf", f"jaarverslag-{self_evaluation.year - 1}.pdf", "beleidsplan.pdf"),
    )
    if request_day is not None:
        audit = lockdown(draft, request_day, audit, two_days)
    else:
        audit = after_date_fixed(draft, story.postponement, self_evaluation, audit, two_days)

    decided = audit_round(draft, audit, scope, ido, row.result, "", heraudit_scope=None)
    if row.result is Result.CERTIFIED and decided > LAST_DECISION_DAY:
        raise Retry
    answer_survey(draft, story.survey, story.satisfaction, decided)
    follow_up(draft, decided, scope, audit)


def withdraw(draft: TrajectoryDraft, day: date) -> None:
    """The auditee withdraws from this round ('geen deelname')."""
    reason = draft.rng.choice(WITHDRAWAL_REASONS)
    draft.add(day, (9, 16), "withdraw", WithdrawParticipation, draft.auditee, reason=reason)
