"""The heraudit window bounds the heraudit itself, not only its request — under both framework versions.

Voorwaardelijk on Friday 2026-05-22: the window closes Sunday 2026-11-22, so the last day a heraudit can
take place is Friday 2026-11-20, and with 14 days' preparation the last day to ask for it is 2026-11-06.
Niet gecertificeerd on 2026-05-22: no heraudit before Saturday 2027-05-22, so not before Monday 2027-05-24.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import DecideCertification, HerauditRefused, RecordSurveyAnswer, RequestHeraudit, ScheduleAudit, Score
from domain.events import AuditScheduled, Event, HerauditRequested
from domain.heraudit import heraudit_date_bounds
from domain.vocabulary import Result
from tests.unit.driver import Trajectory, at, only, run_audit, scores

Planned = Callable[..., Trajectory]
B, G = Score.LIMITED, Score.LARGELY


def decided(planned_each: Planned, verdict: Result) -> Trajectory:
    """Decided on 2026-05-22 (norm 3 fails for voorwaardelijk; 1-3 for niet); survey answered."""
    t = planned_each()
    failing = {"n3": [B, B, G, B]} if verdict is Result.CONDITIONAL else {"n1": B, "n2": B, "n3": B}
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, **failing), plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    assert t.s.verdict is verdict
    t.do(RecordSurveyAnswer, "2026-05-25", answer="tevreden")
    return t


def schedule(t: Trajectory, on: str, *days: str) -> list[Event]:
    return t.do(
        ScheduleAudit, on, audit_dates=[date.fromisoformat(d) for d in days], expert_auditor="E", peer_auditor="P"
    )


def test_the_bounds_follow_the_verdict(planned_each: Planned) -> None:
    """Voorwaardelijk: no later than the window's end; niet gecertificeerd: no earlier than a year on."""
    conditional = decided(planned_each, Result.CONDITIONAL).s.decision
    negative = decided(planned_each, Result.NOT_CERTIFIED).s.decision
    assert conditional is not None and negative is not None
    assert heraudit_date_bounds(conditional) == (None, date(2026, 11, 22))
    assert heraudit_date_bounds(negative) == (date(2027, 5, 22), None)


def test_after_voorwaardelijk_the_heraudit_takes_place_within_the_window(planned_each: Planned) -> None:
    """Requested 2026-06-10: Friday 2026-11-20 is the last possible day; Monday 2026-11-23 is refused."""
    t = decided(planned_each, Result.CONDITIONAL)
    t.do(RequestHeraudit, "2026-06-10")
    with pytest.raises(HerauditRefused) as refused:
        schedule(t, "2026-06-11", "2026-11-23")
    assert refused.value.rule == "heraudit.after_window"
    assert refused.value.message == (
        "heraudit op 2026-11-23 valt buiten de termijn: na 'Voorwaardelijk gecertificeerd' (besluit van 2026-05-22) "
        "vindt de heraudit uiterlijk op 2026-11-22 plaats (6 maanden na het besluit)"
    )
    assert only(schedule(t, "2026-06-11", "2026-11-20"), AuditScheduled).audit_dates == (date(2026, 11, 20),)


def test_a_two_day_heraudit_whose_second_day_falls_outside_the_window_is_refused(planned_each: Planned) -> None:
    """Thursday 2026-11-19 and Monday 2026-11-23: the second day is after the window."""
    t = decided(planned_each, Result.CONDITIONAL)
    t.do(RequestHeraudit, "2026-06-10")
    with pytest.raises(HerauditRefused, match="heraudit op 2026-11-23 valt buiten de termijn"):
        schedule(t, "2026-06-11", "2026-11-19", "2026-11-23")


def test_moving_a_planned_heraudit_out_of_the_window_is_refused(planned_each: Planned) -> None:
    """Planned 2026-07-07; moving it to 2027-01-12 is refused, the plan stands."""
    t = decided(planned_each, Result.CONDITIONAL)
    t.do(RequestHeraudit, "2026-06-10")
    schedule(t, "2026-06-11", "2026-07-07")
    with pytest.raises(HerauditRefused, match="uiterlijk op 2026-11-22"):
        schedule(t, "2026-06-12", "2027-01-12")
    assert t.s.round.audit_dates == (date(2026, 7, 7),)


def test_a_request_that_leaves_no_time_for_the_heraudit_is_refused(planned_each: Planned) -> None:
    """The last day to ask is 2026-11-06 (14 days before Friday 2026-11-20); the 7th and the window's
    last day itself are refused with the dates, nothing is recorded."""
    t = decided(planned_each, Result.CONDITIONAL)
    before = len(t.events)
    with pytest.raises(HerauditRefused) as refused:
        t.do(RequestHeraudit, "2026-11-22")
    assert refused.value.rule == "heraudit.no_time_left"
    assert refused.value.message == (
        "een heraudit na 'Voorwaardelijk gecertificeerd' vindt uiterlijk op 2026-11-20 plaats en de auditee heeft "
        "recht op 14 dagen voorbereiding; aanvragen kon tot en met 2026-11-06 (vandaag is 2026-11-22)"
    )
    with pytest.raises(HerauditRefused, match="aanvragen kon tot en met 2026-11-06"):
        t.do(RequestHeraudit, "2026-11-07")
    assert len(t.events) == before
    only(t.do(RequestHeraudit, "2026-11-06"), HerauditRequested)
    assert only(schedule(t, "2026-11-06", "2026-11-20"), AuditScheduled).audit_dates == (date(2026, 11, 20),)


def test_after_niet_gecertificeerd_the_heraudit_is_no_earlier_than_a_year_after_the_decision(
    planned_each: Planned,
) -> None:
    """A request recorded early (under older rules, say) still cannot plan the heraudit before 2027-05-22."""
    t = decided(planned_each, Result.NOT_CERTIFIED)
    early = HerauditRequested(
        trajectory_id="t-1",
        occurred_at=at("2027-01-11"),
        round=1,
        requested_on=date(2027, 1, 11),
        after_verdict=Result.NOT_CERTIFIED,
        scope=t.s.intake.scope if t.s.intake else (),
    )
    t.apply([early])
    with pytest.raises(HerauditRefused) as refused:
        schedule(t, "2027-01-12", "2027-05-21")
    assert refused.value.rule == "heraudit.before_window"
    assert refused.value.message == (
        "heraudit op 2027-05-21 is te vroeg: na 'Niet gecertificeerd' (besluit van 2026-05-22) vindt de heraudit "
        "niet eerder plaats dan 2027-05-22 (een jaar na het besluit)"
    )
    assert only(schedule(t, "2027-01-12", "2027-05-24"), AuditScheduled).audit_dates == (date(2027, 5, 24),)


def test_after_niet_gecertificeerd_a_late_heraudit_is_fine(planned_each: Planned) -> None:
    """Requested on the day the window opens, the heraudit may be planned months later."""
    t = decided(planned_each, Result.NOT_CERTIFIED)
    t.do(RequestHeraudit, "2027-05-22")
    assert only(schedule(t, "2027-05-24", "2027-11-30"), AuditScheduled).audit_dates == (date(2027, 11, 30),)
