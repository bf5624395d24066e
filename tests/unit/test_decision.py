"""The director's decision: verdict from the scores, certificate, survey, and the windows it opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from domain import (
    DecideCertification,
    InvalidCommand,
    IssueDraftReport,
    RecordAuditScores,
    Result,
    ScheduleAudit,
    Score,
    VerdictContradictsScores,
    register_entry,
)
from domain.events import CertificateIssued, CertificationDecided, SurveySent
from tests.unit.driver import Trajectory, names, only, run_audit, scores

Planned = Callable[..., Trajectory]
B, G = Score.LIMITED, Score.LARGELY


def test_a_conditional_verdict_opens_a_six_month_heraudit_window(planned: Planned) -> None:
    """Voorwaardelijk on 2026-05-22 (norm 3 at 1.25): heraudit window until 2026-11-22, bezwaar until 2026-07-03."""
    t = planned()
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n3=[B, B, G, B]), plan_on="2026-01-08")
    decided = only(t.do(DecideCertification, "2026-05-22"), CertificationDecided)
    assert decided.verdict is Result.CONDITIONAL and decided.failing_norms == ("3",)
    assert decided.heraudit_window_closes_on == date(2026, 11, 22)
    assert decided.objection_term_ends_on == date(2026, 7, 3)
    window = t.deadlines_of("heraudit_window")[0]
    assert window.due_at == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # midnight in Amsterdam (CET)
    assert window.deadline_id == "t-1:heraudit_window:2026-11-22:1"
    assert register_entry(t.s) == (Result.CONDITIONAL, None)


def test_a_positive_decision_before_expiry_is_anchored_on_the_old_expiry(planned: Planned) -> None:
    """Gecertificeerd on 2026-05-22, old certificate valid until 2026-06-30 → gecertificeerd tot 2030-06-30."""
    t = planned()
    run_audit(t, "2026-04-21", plan_on="2026-01-08")
    events = t.do(DecideCertification, "2026-05-22", verdict="Gecertificeerd")
    assert names(events) == ["CertificationDecided", "CertificateIssued", "SurveySent"]
    certificate = only(events, CertificateIssued)
    assert (certificate.certificate_number, certificate.valid_until) == ("1002", date(2030, 6, 30))
    assert certificate.anchored_on == date(2026, 6, 30)
    survey = only(events, SurveySent)
    assert (survey.reminder_on, survey.closes_on) == (date(2026, 6, 5), date(2026, 6, 19))


def test_a_verdict_that_contradicts_the_scores_is_refused(planned: Planned) -> None:
    """The director cannot certify when norm 3 scores 1.25; the error names the norm and the rule."""
    t = planned()
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n3=[B, B, G, B]), plan_on="2026-01-08")
    before = list(t.events)
    with pytest.raises(VerdictContradictsScores, match=r"norm 3 scoort 1,25 \(< 1,5\)") as refused:
        t.do(DecideCertification, "2026-05-22", verdict="Gecertificeerd")
    assert refused.value.values == {"given": "Gecertificeerd", "computed": "Voorwaardelijk gecertificeerd"}
    assert t.events == before


def test_no_decision_while_hoor_en_wederhoor_runs(planned: Planned) -> None:
    """The director waits for the reaction window (draft 2026-04-24 → until 2026-05-08)."""
    t = planned()
    t.do(ScheduleAudit, "2026-01-08", audit_dates=[date(2026, 4, 21)], expert_auditor="E", peer_auditor="P")
    t.do(RecordAuditScores, "2026-04-21", scores=scores(t.s.round.scope, t.rules))
    t.do(IssueDraftReport, "2026-04-24")
    with pytest.raises(InvalidCommand, match="hoor en wederhoor loopt nog tot en met 2026-05-08"):
        t.do(DecideCertification, "2026-05-01")
    t.fire_due("2026-05-09")
    assert t.deadlines_of("decision")[0].due_on == date(2026, 5, 22)
    assert only(t.do(DecideCertification, "2026-05-11"), CertificationDecided).verdict is Result.CERTIFIED


def test_a_negative_verdict_names_no_window_before_a_year(planned: Planned) -> None:
    """Niet gecertificeerd on 2026-05-22: a heraudit may be requested from 2027-05-22 to 2027-11-22."""
    t = planned()
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n1=B, n2=B, n3=B), plan_on="2026-01-08")
    decided = only(t.do(DecideCertification, "2026-05-22"), CertificationDecided)
    assert decided.verdict is Result.NOT_CERTIFIED
    assert (decided.heraudit_window_opens_on, decided.heraudit_window_closes_on) == (
        date(2027, 5, 22),
        date(2027, 11, 22),
    )
