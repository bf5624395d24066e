"""The auditee extends its self-evaluation deadline once, by up to 14 days, before it passes (issue 20)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from application.event_summaries import summarize
from domain import DomainError, Rules, ScheduleAudit, SubmitSelfEvaluation
from domain.self_evaluation import ExtendSelfEvaluation, SelfEvaluationExtended
from frameworks.loader import framework_values
from tests.unit.conftest import planned_under
from tests.unit.driver import Trajectory, names, only

Planned = Callable[..., Trajectory]
AUDIT = date(2026, 5, 4)  # due 2026-03-23, six weeks before


def scheduled(planned: Planned) -> Trajectory:
    """Planned on 2026-03-20 for 2026-05-04; the self-evaluation is due 2026-03-23."""
    t = planned(self_evaluation=False)
    t.do(ScheduleAudit, "2026-03-20", audit_dates=[AUDIT], expert_auditor="Ellen Expert", peer_auditor="Peer Bakker")
    return t


def test_the_deadline_moves_and_every_date_follows(planned: Planned) -> None:
    """Extended by 14 days on the due day: the deadline, its listing (verlengd), the late flag and the summary move."""
    t = scheduled(planned)
    extended = only(t.do(ExtendSelfEvaluation, "2026-03-23", days=14), SelfEvaluationExtended)
    assert (extended.previous_due_on, extended.due_on) == (date(2026, 3, 23), date(2026, 4, 6))
    [deadline] = t.deadlines_of("self_evaluation")
    assert deadline.due_on == date(2026, 4, 6) and deadline.label == "zelfevaluatie (verlengd)"
    assert summarize(extended) == "Termijn zelfevaluatie verlengd met 14 dagen: uiterlijk 06-04-2026"
    submitted = t.do(SubmitSelfEvaluation, "2026-04-06", documents=("zelfevaluatie.pdf",))
    assert submitted[0].model_dump()["late"] is False


def test_alerts_follow_the_new_date(planned: Planned) -> None:
    """Nothing is missed after the old date; the alert comes after the new one, naming it."""
    t = scheduled(planned)
    t.do(ExtendSelfEvaluation, "2026-03-20", days=7)
    assert "DeadlineMissed" not in names(t.fire_due("2026-03-25"))
    missed = [e for e in t.fire_due("2026-04-01") if type(e).__name__ == "DeadlineMissed"]
    assert [e.model_dump()["due_on"] for e in missed] == [date(2026, 3, 30)]


@pytest.mark.parametrize(
    ("setup", "when", "days", "rule"),
    [
        ("extended", "2026-03-21", 3, "self_evaluation.already_extended"),
        ("scheduled", "2026-03-21", 15, "self_evaluation.extension_too_long"),
        ("scheduled", "2026-03-24", 7, "self_evaluation.deadline_passed"),
        ("submitted", "2026-03-21", 7, "self_evaluation.not_expected"),
        ("planning", "2026-03-21", 7, "state.phase"),
    ],
)
def test_each_refusal_names_its_rule(planned: Planned, setup: str, when: str, days: int, rule: str) -> None:
    """Once, at most 14 days, before the deadline passed, only while one is expected, only once scheduled."""
    t = planned(self_evaluation=False) if setup == "planning" else scheduled(planned)
    if setup == "extended":
        t.do(ExtendSelfEvaluation, "2026-03-20", days=2)
    if setup == "submitted":
        t.do(SubmitSelfEvaluation, "2026-03-20", documents=("zelfevaluatie.pdf",))
    with pytest.raises(DomainError) as refused:
        t.do(ExtendSelfEvaluation, when, days=days)
    assert refused.value.rule == rule


def test_the_audit_stays_four_weeks_after_the_new_deadline(kib2: Rules) -> None:
    """Under a five-week lead, 14 days would leave three weeks before the audit: refused, naming the latest date."""
    short = kib2.model_copy(update={"terms": kib2.terms.model_copy(update={"self_evaluation_lead_days": 35})})
    t = scheduled(planned_under(short))
    with pytest.raises(DomainError, match="verlengen kan tot uiterlijk 2026-04-06") as refused:
        t.do(ExtendSelfEvaluation, "2026-03-30", days=14)
    assert refused.value.rule == "self_evaluation.audit_too_close"
    assert only(t.do(ExtendSelfEvaluation, "2026-03-30", days=7), SelfEvaluationExtended).due_on == date(2026, 4, 6)


def test_the_settings_come_from_added_settings_not_from_the_version_files() -> None:
    """Both versions get the defaults, shown with origin 'default'; their own files are untouched."""
    for version in ("kib-2018", "kib-ii-2023"):
        values = {v.path: (v.value, v.origin) for v in framework_values(version)}
        assert values["terms.self_evaluation_extension_max_days"] == (14, "default")
        assert values["terms.self_evaluation_extension_audit_gap_days"] == (28, "default")
