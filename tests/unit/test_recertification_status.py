"""The register during recertification, under both framework versions: while a voorwaardelijk period or
a heraudit in preparation runs past the old certificate's gecertificeerd tot (2026-06-30), the register
says 'hercertificering loopt' — until the interim limit (2026-12-30) — and not 'verlopen'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from domain import (
    CertificateStatus,
    DecideCertification,
    RecordSurveyAnswer,
    RequestHeraudit,
    ScheduleAudit,
    Score,
    certificate_status,
)
from domain.events import CertificateExpired
from tests.unit.driver import Trajectory, at, names, only, run_audit, scores

Planned = Callable[..., Trajectory]
B, G = Score.LIMITED, Score.LARGELY
RUNNING, EXPIRED, VALID = (
    CertificateStatus.RECERTIFICATION_RUNNING,
    CertificateStatus.EXPIRED,
    CertificateStatus.VALID,
)


def decided(planned_each: Planned, *, conditional: bool = True) -> Trajectory:
    """Decided 2026-05-22, before the old certificate ends on 2026-06-30; survey answered."""
    t = planned_each()
    failing = {"n3": [B, B, G, B]} if conditional else {"n1": B, "n2": B, "n3": B}
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, **failing), plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    t.do(RecordSurveyAnswer, "2026-05-25", answer="tevreden")
    return t


def test_a_voorwaardelijk_period_past_the_old_expiry_is_hercertificering_loopt(planned_each: Planned) -> None:
    """On 2026-06-30 the old certificate still counts; from 2026-07-01 'hercertificering loopt'."""
    t = decided(planned_each)
    t.fire_due(at("2026-06-30", 23))
    assert certificate_status(t.s) is VALID
    expired = only(t.fire_due("2026-07-01"), CertificateExpired)
    assert expired.recertification_running
    assert certificate_status(t.s) is RUNNING
    assert [d.due_on for d in t.deadlines_of("interim_limit")] == [date(2026, 12, 30)]


def test_a_heraudit_in_preparation_past_the_old_expiry_runs_until_the_interim_limit(planned_each: Planned) -> None:
    """Heraudit requested 2026-06-10 and planned 2026-11-20: running on 2026-12-30, 'verlopen' the next day."""
    t = decided(planned_each)
    t.do(RequestHeraudit, "2026-06-10")
    t.do(ScheduleAudit, "2026-06-11", audit_dates=[date(2026, 11, 20)], expert_auditor="E", peer_auditor="P")
    t.fire_due("2026-07-01")
    assert certificate_status(t.s) is RUNNING
    t.fire_due(at("2026-12-30", 23))
    assert certificate_status(t.s) is RUNNING
    assert "InterimStatusEnded" in names(t.fire_due("2026-12-31"))
    assert certificate_status(t.s) is EXPIRED


def test_after_niet_gecertificeerd_the_old_certificate_simply_ends(planned_each: Planned) -> None:
    """Niet gecertificeerd: 'verlopen' once the old certificate ends; a heraudit is a year away."""
    t = decided(planned_each, conditional=False)
    t.fire_due("2026-07-01")
    assert certificate_status(t.s) is EXPIRED
    assert t.kinds().count("interim_limit") == 0


def test_a_lapsed_heraudit_window_ends_it(planned_each: Planned) -> None:
    """No heraudit asked by 2026-11-22: the verdict stands, the trajectory closes, 'verlopen'."""
    t = decided(planned_each)
    t.fire_due("2026-07-01")
    assert certificate_status(t.s) is RUNNING
    t.fire_due("2026-11-23")
    assert not t.s.is_open and certificate_status(t.s) is EXPIRED


def test_a_positive_heraudit_makes_it_valid_again(planned_each: Planned) -> None:
    """Heraudit 2026-07-07 passes: a new certificate, gecertificeerd tot 2030-07-08."""
    t = decided(planned_each)
    t.do(RequestHeraudit, "2026-06-10")
    t.fire_due("2026-07-01")
    run_audit(t, "2026-07-07", scores(("3",), t.rules, n3=G), plan_on="2026-06-11")
    t.do(DecideCertification, "2026-07-08")
    assert certificate_status(t.s) is VALID and t.s.certificate is not None
