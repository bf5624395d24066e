"""Heraudit after voorwaardelijk and after niet gecertificeerd, and the window that lapses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    DecideCertification,
    HerauditRefused,
    Phase,
    RecordSurveyAnswer,
    Remark,
    RequestHeraudit,
    Result,
    Score,
    register_entry,
)
from domain.events import HerauditRequested, HerauditWindowLapsed, TrajectoryClosed
from tests.unit.driver import Trajectory, names, only, run_audit, scores

Planned = Callable[..., Trajectory]
B, G = Score.LIMITED, Score.LARGELY


def conditional(planned: Planned) -> Trajectory:
    """Voorwaardelijk on 2026-05-22 on norm 3; survey answered."""
    t = planned()
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n3=[B, B, G, B]), plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    t.do(RecordSurveyAnswer, "2026-05-25", answer="tevreden")
    return t


def negative(planned: Planned) -> Trajectory:
    """Niet gecertificeerd on 2026-05-22; survey answered."""
    t = planned()
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n1=B, n2=B, n3=B), plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    t.do(RecordSurveyAnswer, "2026-05-25", answer="matig")
    return t


def test_a_heraudit_after_voorwaardelijk_covers_the_failing_norms_only(planned: Planned) -> None:
    """Requested 2026-06-10: scope is norm 3; the register says 'Heraudit in voorbereiding'."""
    t = conditional(planned)
    requested = only(t.do(RequestHeraudit, "2026-06-10"), HerauditRequested)
    assert requested.scope == ("3",) and requested.round == 1
    assert register_entry(t.s) == (Result.CONDITIONAL, Remark.HERAUDIT_IN_PREPARATION)
    assert [d.due_on for d in t.deadlines_of("planning")] == [date(2026, 7, 8)]


def test_a_positive_heraudit_certifies_after_all(planned: Planned) -> None:
    """Heraudit 2026-07-07 passes on norm 3 → certificate and 'Gecertificeerd na heraudit'; the trajectory closes."""
    t = conditional(planned)
    t.do(RequestHeraudit, "2026-06-10")
    run_audit(t, "2026-07-07", scores(("3",), t.rules, n3=G))
    events = t.do(DecideCertification, "2026-07-08", verdict="Gecertificeerd")
    assert names(events) == ["CertificationDecided", "CertificateIssued", "TrajectoryClosed"]
    closed = only(events, TrajectoryClosed)
    assert (closed.result, closed.remark) == (Result.CONDITIONAL, Remark.CERTIFIED_AFTER_HERAUDIT)
    # decided after the old expiry (2026-06-30): validity counts from the decision
    assert t.s.certificate is not None and t.s.certificate.valid_until == date(2030, 7, 8)


def test_a_failed_heraudit_makes_the_verdict_niet_gecertificeerd(planned: Planned) -> None:
    """Norm 3 still at 1.25 at the heraudit → niet gecertificeerd, with a new one-year wait."""
    t = conditional(planned)
    t.do(RequestHeraudit, "2026-06-10")
    run_audit(t, "2026-07-07", scores(("3",), t.rules, n3=[B, B, G, B]))
    t.do(DecideCertification, "2026-07-08")
    assert register_entry(t.s) == (Result.NOT_CERTIFIED, None)
    assert t.s.decision is not None and t.s.decision.heraudit_window_opens_on == date(2027, 7, 8)


def test_the_window_closing_without_a_request_lets_the_verdict_stand(planned: Planned) -> None:
    """No request by 2026-11-22: 'Geen heraudit aangevraagd' at Amsterdam midnight, and the trajectory ends."""
    t = conditional(planned)
    t.fire_due("2026-07-04")  # the objection term passes first
    assert t.fire_due("2026-11-22") == []
    events = t.fire_due("2026-11-23")
    assert names(events) == ["HerauditWindowLapsed", "TrajectoryClosed"]
    assert only(events, HerauditWindowLapsed).lapsed_on == date(2026, 11, 22)
    assert register_entry(t.s) == (Result.CONDITIONAL, Remark.NO_HERAUDIT_REQUESTED)
    assert t.s.phase is Phase.CLOSED and t.kinds() == []


def test_a_request_after_the_window_is_refused(planned: Planned) -> None:
    """On 2026-11-23 (deadline not yet fired) the request is refused with the closing date."""
    with pytest.raises(HerauditRefused, match="verstreken op 2026-11-22"):
        conditional(planned).do(RequestHeraudit, "2026-11-23")


def test_a_heraudit_after_niet_gecertificeerd_waits_a_year(planned: Planned) -> None:
    """Decided 2026-05-22: refused on 2027-05-21 with an explanation, accepted on 2027-05-22 for all norms."""
    t = negative(planned)
    with pytest.raises(HerauditRefused) as refused:
        t.do(RequestHeraudit, "2027-05-21")
    assert refused.value.message == (
        "heraudit na 'Niet gecertificeerd' kan pas vanaf 2027-05-22 (een jaar na het besluit van 2026-05-22); "
        "vandaag is 2027-05-21"
    )
    requested = only(t.do(RequestHeraudit, "2027-05-22"), HerauditRequested)
    assert requested.scope == ("1", "2", "3", "4", "5", "6", "7")
    assert register_entry(t.s) == (Result.NOT_CERTIFIED, Remark.HERAUDIT_IN_PREPARATION)


def test_no_heraudit_after_niet_gecertificeerd_ends_as_geen_heraudit_aangevraagd(planned: Planned) -> None:
    """Window 2027-05-22 … 2027-11-22 passes: (Niet gecertificeerd, Geen heraudit aangevraagd)."""
    t = negative(planned)
    t.fire_due("2027-11-23")
    assert register_entry(t.s) == (Result.NOT_CERTIFIED, Remark.NO_HERAUDIT_REQUESTED)
    assert not t.s.is_open
