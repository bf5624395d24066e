"""After a voorwaardelijk or negative verdict: what the register's remark says happened next — a heraudit
certified in time, one still in preparation on the reference date, or a window left to lapse.
"""

from __future__ import annotations

from datetime import date, timedelta

from application.demo.audits import Audit, audit_round, schedule
from application.demo.draft import Retry, TrajectoryDraft
from application.demo.period import LAST_DECISION_DAY, LAST_STEP_DAY, MARGIN, REFERENCE_DATE
from application.demo.postponements import LOCKDOWN_AUDITS
from application.demo.scenario import PlanningError
from domain import Remark, RequestHeraudit, Result
from domain.calendar import add_days, last_working_day
from domain.heraudit import heraudit_window


def follow_up(draft: TrajectoryDraft, decided: date, scope: tuple[str, ...], audit: Audit) -> None:
    """What the register's remark says happened after a voorwaardelijk or negative verdict."""
    row, rules = draft.row, draft.rules
    if row.result is Result.CERTIFIED:
        return
    opens, closes = heraudit_window(row.result, decided, rules)
    if opens is None or closes is None:
        raise PlanningError(f"{draft.tid}: geen heraudittermijn na '{row.result.value}'")
    lapses = closes + timedelta(days=1)
    if row.remark is None:
        if lapses < REFERENCE_DATE + MARGIN:
            raise Retry
        return
    if row.remark is Remark.NO_HERAUDIT_REQUESTED:
        if lapses > REFERENCE_DATE - MARGIN:
            raise Retry
        return  # the heraudit window deadline fires; the verdict stands
    failing = draft.failing_norms
    heraudit_scope = failing if row.result is Result.CONDITIONAL else scope
    lead = rules.heraudit.min_lead_days
    # After voorwaardelijk the heraudit itself takes place within the window (domain.heraudit).
    latest = last_working_day(closes) if row.result is Result.CONDITIONAL else date.max
    last_plan = min(closes, add_days(latest, -lead)) if latest != date.max else closes
    if row.remark is Remark.HERAUDIT_IN_PREPARATION:
        asked = draft.day(
            max(opens, add_days(decided, 14), add_days(REFERENCE_DATE, -100)),
            min(add_days(last_plan, -2), add_days(LAST_STEP_DAY, -12)),
        )
        draft.add(asked, (9, 16), "heraudit-request", RequestHeraudit, draft.auditee)
        planned = draft.day(add_days(asked, 2), min(add_days(asked, 20), LAST_STEP_DAY, last_plan))
        lo = max(add_days(planned, lead), add_days(REFERENCE_DATE, 6))
        dates = (draft.day(lo, min(add_days(REFERENCE_DATE, 50), latest)),)
        schedule(draft, planned, Audit(dates, audit.expert, audit.peer), "schedule-heraudit")
        return
    asked = draft.day(max(opens, add_days(decided, 14)), min(add_days(last_plan, -2), add_days(opens, 120)))
    draft.add(asked, (9, 16), "heraudit-request", RequestHeraudit, draft.auditee)
    planned = draft.day(add_days(asked, 2), min(add_days(asked, 20), last_plan))
    heraudit_day = draft.day(add_days(planned, lead), min(add_days(planned, lead + 31), latest))
    heraudit = Audit((heraudit_day,), audit.expert, audit.peer)
    if LOCKDOWN_AUDITS[0] <= heraudit.first <= LOCKDOWN_AUDITS[1]:
        raise Retry  # no audits during the spring-2020 lockdown, heraudits included
    schedule(draft, planned, heraudit, "schedule-heraudit")
    final = audit_round(draft, heraudit, scope, False, Result.CERTIFIED, "-heraudit", heraudit_scope=heraudit_scope)
    if final > LAST_DECISION_DAY:
        raise Retry
