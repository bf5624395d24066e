"""Bezwaar: within the term, against voorwaardelijk or niet; upheld → reassessment, rejected → verdict stands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    ConflictOfInterest,
    DecideCertification,
    DecideObjection,
    FileObjection,
    HerauditRefused,
    ObjectionRefused,
    Phase,
    RequestHeraudit,
    Result,
    RoundKind,
    ScheduleAudit,
    Score,
    register_entry,
)
from domain.events import ObjectionDecided, ObjectionFiled
from tests.unit.driver import Trajectory, only, run_audit, scores

Planned = Callable[..., Trajectory]
B, G = Score.LIMITED, Score.LARGELY


def conditional(planned: Planned) -> Trajectory:
    t = planned()
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n3=[B, B, G, B]), plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    return t


def test_an_objection_within_the_term_goes_to_the_board(planned: Planned) -> None:
    """Filed 2026-06-01 against voorwaardelijk: the board decides by 2026-07-13; no heraudit meanwhile."""
    t = conditional(planned)
    filed = only(t.do(FileObjection, "2026-06-01", grounds="norm 3 is verkeerd beoordeeld"), ObjectionFiled)
    assert filed.against_verdict is Result.CONDITIONAL and filed.decision_due_on == date(2026, 7, 13)
    assert "objection_decision" in t.kinds() and "heraudit_window" not in t.kinds()
    with pytest.raises(HerauditRefused, match="bezwaar"):
        t.do(RequestHeraudit, "2026-06-02")


def test_an_objection_after_the_term_is_refused(planned: Planned) -> None:
    """The term ends 2026-07-03; on 2026-07-04 the objection is refused."""
    with pytest.raises(ObjectionRefused, match="verstreken op 2026-07-03"):
        conditional(planned).do(FileObjection, "2026-07-04", grounds="te laat")


def test_no_objection_against_gecertificeerd(planned: Planned) -> None:
    """A positive verdict allows no objection."""
    t = planned()
    run_audit(t, "2026-04-21", plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    with pytest.raises(ObjectionRefused, match="bezwaar kan alleen tegen"):
        t.do(FileObjection, "2026-05-25", grounds="x")


def test_a_rejected_objection_lets_the_verdict_stand_and_extends_the_heraudit_window(planned: Planned) -> None:
    """Pending 2026-06-01 … 2026-06-29 (28 days): the window moves from 2026-11-22 to 2026-12-20."""
    t = conditional(planned)
    t.do(FileObjection, "2026-06-01", grounds="oneens")
    decided = only(t.do(DecideObjection, "2026-06-29", upheld=False, reason="beoordeling is juist"), ObjectionDecided)
    assert decided.heraudit_window_closes_on == date(2026, 12, 20)
    assert register_entry(t.s) == (Result.CONDITIONAL, None)
    assert [d.due_on for d in t.deadlines_of("heraudit_window")] == [date(2026, 12, 20)]


def test_an_upheld_objection_leads_to_a_reassessment_by_other_auditors(planned: Planned) -> None:
    """Upheld: the verdict is annulled, the same scope is reassessed, the contested auditors are excluded."""
    t = conditional(planned)
    t.do(FileObjection, "2026-06-01", grounds="oneens")
    t.do(DecideObjection, "2026-06-15", upheld=True, reason="auditoren hebben bewijs gemist")
    assert t.s.phase is Phase.PLANNING and t.s.round.kind is RoundKind.REASSESSMENT
    assert t.s.verdict is None and register_entry(t.s) == (None, None)
    with pytest.raises(ConflictOfInterest, match="bezwaar gegrond"):
        t.do(
            ScheduleAudit,
            "2026-06-16",
            audit_dates=[date(2026, 7, 7)],
            expert_auditor="Ellen Expert",
            peer_auditor="Nieuwe Peer",
        )
    run_audit(t, "2026-07-07", expert="Nieuwe Expert", peer="Nieuwe Peer", plan_on="2026-06-16")
    t.do(DecideCertification, "2026-07-08", verdict="Gecertificeerd")
    assert register_entry(t.s) == (Result.CERTIFIED, None)
