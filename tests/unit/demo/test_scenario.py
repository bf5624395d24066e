"""The scenario planner: deterministic ids and steps, realistic timing, scores that fit the verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from statistics import mean

import pytest

from application.demo import (
    DEMO_START,
    Marks,
    PlanningError,
    RegisterRow,
    Scenario,
    plan_register,
    plan_trajectory,
    register_marks,
)
from application.demo.period import LAST_STEP_DAY
from application.demo.survey import allocate_survey_answers
from application.demo.workdays import is_working_day
from domain import (
    Association,
    OpenTrajectory,
    Quarter,
    RecordAuditScores,
    RecordSurveyAnswer,
    Remark,
    Result,
    Satisfaction,
    ScheduleAudit,
    Score,
    SubmitSelfEvaluation,
)
from domain.calendar import local_date
from domain.events import (
    AnnouncementSent,
    AuditScoresRecorded,
    CertificationDecided,
    IntakeRecorded,
    SelfEvaluationSubmitted,
)
from tests.unit.demo.conftest import Replayed


def test_the_same_seed_plans_identical_scenarios(rows: list[RegisterRow], demo: Replayed) -> None:
    """Planning twice with one seed gives equal scenarios: same moments, commands and command ids."""
    assert plan_register(rows, seed=2023) == demo.scenarios


def test_ids_are_deterministic_and_unique(demo: Replayed) -> None:
    """Trajectory ids follow the certificate number; command ids are '<trajectory>/<step>' and unique."""
    ids = [s.trajectory_id for s in demo.scenarios]
    assert ids[:2] == [f"kib2018-{r}" for r in ("1002", "1011")]
    command_ids = [step.command.command_id for s in demo.scenarios for step in s]
    assert len(command_ids) == len(set(command_ids))
    assert all(step.command.command_id.startswith(f"{s.trajectory_id}/") for s in demo.scenarios for step in s)


def test_steps_are_ordered_and_within_the_demo_period(demo: Replayed) -> None:
    """Each scenario's steps strictly increase in time, from mid-2018 to before the reference date."""
    for scenario in demo.scenarios:
        moments = [step.at for step in scenario]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        assert local_date(moments[0]) >= DEMO_START and local_date(moments[-1]) <= LAST_STEP_DAY
        assert isinstance(scenario[0].command, OpenTrajectory)


def test_expiries_and_audit_quarters_spread_over_the_period(demo: Replayed) -> None:
    """Previous expiries spread over 2018-K4 … 2022-K4, and audits take place in at least 15 quarters."""
    expiries = [
        s[0].command.previous_certificate_expiry for s in demo.scenarios if isinstance(s[0].command, OpenTrajectory)
    ]
    quarters = Counter(str(Quarter.of(e)) for e in expiries if e is not None)
    assert min(quarters) == "2018-K4" and max(quarters) == "2022-K4"
    audited = {
        str(Quarter.of(e.audit_dates[0]))
        for events in demo.simulation.events.values()
        for e in events
        if isinstance(e, AuditScoresRecorded)
    }
    assert len(audited) >= 15


def test_planning_is_on_working_days_and_self_evaluation_six_weeks_ahead(demo: Replayed) -> None:
    """Audit dates avoid weekends and Dutch holidays; every self-evaluation is in ≥ 42 days before the audit."""
    for scenario in demo.scenarios:
        for step in scenario:
            if isinstance(step.command, ScheduleAudit):
                assert all(is_working_day(d) for d in step.command.audit_dates)
            if isinstance(step.command, SubmitSelfEvaluation | ScheduleAudit | RecordAuditScores):
                assert is_working_day(local_date(step.at))
    submitted = [e for ev in demo.simulation.events.values() for e in ev if isinstance(e, SelfEvaluationSubmitted)]
    assert submitted and all(e.due_on is None or not e.late for e in submitted)
    scheduled_first = {}
    for tid, events in demo.simulation.events.items():
        for e in events:
            if isinstance(e, AuditScoresRecorded) and e.round == 0:
                scheduled_first[tid] = e.audit_dates[0]
    for e in submitted:
        if e.trajectory_id in scheduled_first:
            assert scheduled_first[e.trajectory_id] - e.submitted_on >= timedelta(days=42)


def test_announcements_are_sent_by_hand_or_by_the_deadline(demo: Replayed) -> None:
    """Both happen: some planners announce early, the announcement deadline does the rest."""
    sent = [e for ev in demo.simulation.events.values() for e in ev if isinstance(e, AnnouncementSent)]
    assert len(sent) == 251
    automatic = sum(e.automatic for e in sent)
    assert 0.5 * len(sent) < automatic < 0.9 * len(sent)


def test_libraries_often_have_module_1_and_some_an_ido(demo: Replayed) -> None:
    """Most libraries offer Bibliotheek op school or BoekStart (module 1); some have an IDO; culture never."""
    intakes = [e for ev in demo.simulation.events.values() for e in ev if isinstance(e, IntakeRecorded)]
    by_association = {s.trajectory_id: s.row.association for s in demo.scenarios}
    libraries = [e for e in intakes if by_association[e.trajectory_id].is_library]
    culture = [e for e in intakes if by_association[e.trajectory_id] is Association.CULTUURCONNECTIE]
    assert sum("M1" in e.modules for e in libraries) > 0.6 * len(libraries)
    assert 0.15 * len(libraries) < sum(e.ido for e in libraries) < 0.6 * len(libraries)
    assert not any(e.modules or e.ido for e in culture)
    assert len({e.category for e in intakes}) >= 3


def test_norms_1_2_5_score_best_3_4_6_weakest_and_7_between(demo: Replayed) -> None:
    """Average regular-audit norm scores over the register follow CBCT's pattern."""
    scores: dict[str, list[float]] = {}
    for events in demo.simulation.events.values():
        for e in events:
            if isinstance(e, AuditScoresRecorded) and e.round == 0:
                for norm, value in e.norm_scores.items():
                    scores.setdefault(norm, []).append(value)
    avg = {norm: mean(values) for norm, values in scores.items()}
    assert min(avg[n] for n in "125") > avg["7"] > max(avg[n] for n in "346")


def test_first_verdicts_fit_the_scores_rule(demo: Replayed) -> None:
    """Voorwaardelijk: 1-2 failing norms, none below 1.0; niet gecertificeerd: more failing; certified: none."""
    for events in demo.simulation.events.values():
        decisions = [e for e in events if isinstance(e, CertificationDecided)]
        if not decisions:
            continue
        first = decisions[0]
        if first.verdict is Result.CERTIFIED:
            assert not first.failing_norms and min(first.norm_scores.values()) >= 1.5
        elif first.verdict is Result.CONDITIONAL:
            assert 1 <= len(first.failing_norms) <= 2 and min(first.norm_scores.values()) >= 1.0
        else:
            assert len(first.failing_norms) >= 3


def test_a_different_seed_changes_the_plan_not_the_outcomes(rows: list[RegisterRow], demo: Replayed) -> None:
    """Seed 7 gives other dates and scores for the same rows."""
    other = plan_register(rows, seed=7)
    assert [s.trajectory_id for s in other] == [s.trajectory_id for s in demo.scenarios]

    def scores(scenarios: list[Scenario]) -> list[object]:
        return [step.command.scores for s in scenarios for step in s if isinstance(step.command, RecordAuditScores)]

    assert scores(other) != scores(demo.scenarios)
    assert [s.steps[0].at for s in other] != [s.steps[0].at for s in demo.scenarios]


def test_the_survey_answers_follow_cbcts_mix(demo: Replayed) -> None:
    """Planned survey answers: 39 % zeer tevreden, 56 % tevreden, 4 % matig, 1 % ontevreden, within 2 points."""
    answers = [
        step.command.answer for s in demo.scenarios for step in s if isinstance(step.command, RecordSurveyAnswer)
    ]
    assert len(answers) > 180
    share = Counter(answers)
    for answer, expected in {"zeer tevreden": 39, "tevreden": 56, "matig": 4, "ontevreden": 1}.items():
        assert abs(100 * share[Satisfaction(answer)] / len(answers) - expected) <= 2


def test_survey_allocation_is_exact_up_to_rounding() -> None:
    """Largest-remainder quotas: 100 respondents get exactly 39/56/4/1."""
    answers = allocate_survey_answers([f"t{i}" for i in range(100)], seed=1)
    assert Counter(answers.values()) == {
        Satisfaction.VERY_SATISFIED: 39,
        Satisfaction.SATISFIED: 56,
        Satisfaction.MODERATE: 4,
        Satisfaction.DISSATISFIED: 1,
    }


def test_one_trajectory_alone_plans_the_same_steps_as_in_the_register(rows: list[RegisterRow], demo: Replayed) -> None:
    """plan_trajectory with the register's survey answer and marks equals the register plan's scenario."""
    marks = register_marks(rows, seed=2023)
    for scenario in (demo.scenarios[10], *(s for s in demo.scenarios if (s.certificate_number, 0) in marks)):
        answers = [s.command.answer for s in scenario if isinstance(s.command, RecordSurveyAnswer)]
        mark = marks.get((scenario.certificate_number, 0), Marks())
        scored = [s.command.scores for s in scenario if isinstance(s.command, RecordAuditScores)]
        if scored and scored[0].get("M1", {}).get("a") is Score.LIMITED:  # the base not in order
            mark = replace(mark, reading_base_in_order=False)
        again = plan_trajectory(scenario.row, seed=2023, satisfaction=answers[0] if answers else None, marks=mark)
        assert again == scenario


def test_an_outcome_the_process_cannot_reach_is_refused() -> None:
    """'Geen deelname' next to 'Voorwaardelijk gecertificeerd' has no process; the planner says so."""
    row = RegisterRow("9999", "Bibliotheek Nergens", Association.VOB, Result.CONDITIONAL, Remark.NO_PARTICIPATION)
    with pytest.raises(PlanningError, match="kib2018-9999"):
        plan_trajectory(row, seed=1)
