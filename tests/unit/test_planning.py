"""Planning an audit: working days, the audit quarter, preparation time and conflicts of interest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    ConflictOfInterest,
    DateInPast,
    DeclareConflictOfInterest,
    Event,
    ScheduleAudit,
    SchedulingRefused,
)
from domain.events import AuditScheduled
from tests.unit.driver import Trajectory, only

Planned = Callable[..., Trajectory]


def schedule(
    t: Trajectory, when: str, *days: date, expert: str = "Ellen Expert", peer: str = "Peer Bakker"
) -> list[Event]:
    return t.do(ScheduleAudit, when, audit_dates=days, expert_auditor=expert, peer_auditor=peer)


def test_an_audit_on_a_working_day_in_the_quarter_is_scheduled(planned: Planned) -> None:
    """Tuesday 2026-04-21 lies in 2026-K2: the audit is fixed with both auditors and the category's effort."""
    t = planned()
    scheduled = only(schedule(t, "2026-01-08", date(2026, 4, 21)), AuditScheduled)
    assert scheduled.audit_dates == (date(2026, 4, 21),)
    assert (scheduled.category, scheduled.dagdelen, scheduled.auditor_hours) == ("II", 3, 32)
    assert "audit_scores" in t.kinds()


def test_an_audit_on_koningsdag_is_refused(planned: Planned) -> None:
    """Monday 2026-04-27 is Koningsdag: no audit, and the message says so."""
    t = planned()
    with pytest.raises(SchedulingRefused, match="2026-04-27: Koningsdag") as refused:
        schedule(t, "2026-01-08", date(2026, 4, 27))
    assert refused.value.rule == "planning.non_working_day"
    assert len(t.events) == 4


def test_an_audit_on_a_weekend_is_refused(planned: Planned) -> None:
    """Saturday 2026-04-25 is refused."""
    with pytest.raises(SchedulingRefused, match="zaterdag"):
        schedule(planned(), "2026-01-08", date(2026, 4, 25))


def test_an_audit_outside_the_quarter_is_refused(planned: Planned) -> None:
    """Wednesday 2026-07-01 lies outside 2026-K2."""
    with pytest.raises(SchedulingRefused, match=r"buiten het auditkwartaal 2026-K2 \(2026-04-01 t/m 2026-06-30\)"):
        schedule(planned(), "2026-01-08", date(2026, 7, 1))


def test_an_audit_date_in_the_past_is_refused(planned: Planned) -> None:
    """Planning on 2026-04-22 for 2026-04-21 is refused as a date in the past."""
    with pytest.raises(DateInPast, match="2026-04-21 ligt in het verleden"):
        schedule(planned(), "2026-04-22", date(2026, 4, 21))


def test_the_auditee_keeps_six_weeks_for_its_self_evaluation(planned: Planned) -> None:
    """Without a self-evaluation, planning on 2026-03-20 allows no audit before 2026-05-01."""
    t = planned(self_evaluation=False)
    with pytest.raises(SchedulingRefused, match="vroegst mogelijk is 2026-05-01"):
        schedule(t, "2026-03-20", date(2026, 4, 21))
    scheduled = only(schedule(t, "2026-03-20", date(2026, 5, 4)), AuditScheduled)
    assert scheduled.self_evaluation_due_on == date(2026, 3, 23)
    assert [d.due_on for d in t.deadlines_of("self_evaluation")] == [date(2026, 3, 23)]


def test_at_most_two_audit_days(planned: Planned) -> None:
    """Three days on site are refused; two consecutive days are fine."""
    t = planned()
    with pytest.raises(SchedulingRefused, match="hoogstens 2 dagen"):
        schedule(t, "2026-01-08", date(2026, 4, 21), date(2026, 4, 22), date(2026, 4, 23))
    assert only(schedule(t, "2026-01-08", date(2026, 4, 22), date(2026, 4, 21)), AuditScheduled).audit_dates == (
        date(2026, 4, 21),
        date(2026, 4, 22),
    )


def test_the_previous_auditor_may_not_audit_again(planned: Planned) -> None:
    """Piet Oud did the previous audit: conflict of interest."""
    with pytest.raises(ConflictOfInterest, match="Piet Oud deed de vorige audit"):
        schedule(planned(), "2026-01-08", date(2026, 4, 21), peer="Piet Oud")


def test_an_auditor_with_a_declared_relation_may_not_audit(planned: Planned) -> None:
    """After declaring a relation, the auditor is refused for this auditee."""
    t = planned()
    t.do(DeclareConflictOfInterest, "2026-01-05", auditor="Ellen Expert", relation="oud-bestuurslid")
    with pytest.raises(ConflictOfInterest, match="relatie"):
        schedule(t, "2026-01-08", date(2026, 4, 21))


def test_expert_and_peer_must_be_two_people(planned: Planned) -> None:
    """The same auditor twice is refused."""
    with pytest.raises(SchedulingRefused, match="moeten verschillen"):
        schedule(planned(), "2026-01-08", date(2026, 4, 21), peer="Ellen Expert")


def test_a_planner_may_move_a_planned_audit(planned: Planned) -> None:
    """Rescheduling records a new AuditScheduled marked rescheduled (the iCal feed bumps SEQUENCE)."""
    t = planned()
    schedule(t, "2026-01-08", date(2026, 4, 21))
    moved = only(schedule(t, "2026-01-09", date(2026, 5, 19)), AuditScheduled)
    assert moved.rescheduled and t.s.round.audit_dates == (date(2026, 5, 19),)
