"""The register replayed through the pure domain with deadlines firing in between, as the demo will run it."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from application.demo import (
    REFERENCE_DATE,
    REFERENCE_MOMENT,
    RegisterRow,
    Scenario,
    SimulationError,
    Step,
    plan_trajectory,
    simulate,
)
from application.demo.postponements import LOCKDOWN_AUDITS
from domain import (
    CertificateStatus,
    DecideCertification,
    Event,
    PostponementGround,
    RecordSurveyAnswer,
    Remark,
    RequestPostponement,
    Result,
    certificate_status,
    register_entry,
)
from domain.events import (
    AuditScheduled,
    AuditScoresRecorded,
    CertificateIssued,
    CertificationDecided,
    DeadlineMissed,
    HerauditRequested,
    HerauditWindowLapsed,
    ParticipationWithdrawn,
    PostponementGranted,
    PostponementRejected,
    PostponementRequested,
    ReminderSent,
    SurveyAnswered,
    ValidityExtended,
)
from tests.unit.demo.conftest import Replayed, replay


def of(events: list[Event], kind: type[Event]) -> list[Any]:
    """The events of one type."""
    return [e for e in events if isinstance(e, kind)]


def everything(demo: Replayed, kind: type[Event]) -> list[Any]:
    """The events of one type over all trajectories."""
    return [e for events in demo.simulation.events.values() for e in events if isinstance(e, kind)]


def test_the_replay_reproduces_the_published_register(demo: Replayed) -> None:
    """On 2023-02-21 every certificate number shows the CSV's organisation, association, result and remark."""
    assert len(demo.simulation.states) == 251
    for scenario in demo.scenarios:
        state = demo.simulation.states[scenario.trajectory_id]
        row = scenario.row
        assert (state.certificate_number, state.organisation, state.association) == (
            row.certificate_number,
            row.organisation,
            row.association,
        )
        assert register_entry(state) == (row.result, row.remark), scenario.trajectory_id


def test_the_full_replay_is_fast(demo: Replayed) -> None:
    """Planning and simulating all 251 rows takes well under 20 seconds."""
    assert demo.seconds < 20
    assert demo.simulation.steps_executed == sum(len(s) for s in demo.scenarios)


def test_the_plan_meets_every_term_and_the_dispatcher_does_the_rest(demo: Replayed) -> None:
    """No step is late (no DeadlineMissed), while deadlines fire: automatic announcements, reminders, lapses."""
    assert everything(demo, DeadlineMissed) == []
    kinds = Counter(e.kind.value for e in everything(demo, ReminderSent))
    assert kinds["survey_reminder"] > 20 and kinds["certificate_expiry_reminder"] > 100
    assert demo.simulation.deadlines_fired > 500


def test_each_remark_arises_from_its_process(demo: Replayed) -> None:
    """Heraudit passed, heraudit pending past 2023-02-21, window lapsed, and withdrawal: each by its own events."""
    for scenario in demo.scenarios:
        events = demo.simulation.events[scenario.trajectory_id]
        state = demo.simulation.states[scenario.trajectory_id]
        remark = scenario.row.remark
        if remark is Remark.NO_PARTICIPATION:
            assert of(events, ParticipationWithdrawn) and not of(events, CertificationDecided)
        elif remark is Remark.CERTIFIED_AFTER_HERAUDIT:
            decisions = of(events, CertificationDecided)
            assert [d.verdict for d in decisions] == [scenario.row.result, Result.CERTIFIED]
            assert of(events, CertificateIssued)[0].after_heraudit and not state.is_open
        elif remark is Remark.HERAUDIT_IN_PREPARATION:
            assert of(events, HerauditRequested) and len(of(events, CertificationDecided)) == 1
            assert of(events, AuditScheduled)[-1].audit_dates[0] > REFERENCE_DATE and state.is_open
        elif remark is Remark.NO_HERAUDIT_REQUESTED:
            assert not of(events, HerauditRequested)
            assert of(events, HerauditWindowLapsed)[0].lapsed_on < REFERENCE_DATE and not state.is_open
        else:
            assert of(events, CertificateIssued) and certificate_status(state) is CertificateStatus.VALID


def test_spring_2020_lockdown_postponements_were_all_granted(demo: Replayed) -> None:
    """Force-majeure requests from March to May 2020, each granted, certificate extended; no audit in lockdown."""
    requests = [e for e in everything(demo, PostponementRequested) if e.ground is PostponementGround.FORCE_MAJEURE]
    assert len(requests) >= 5
    assert all(date(2020, 3, 16) <= e.requested_on <= date(2020, 5, 31) for e in requests)
    for request in requests:
        events = demo.simulation.events[request.trajectory_id]
        answer = [e for e in events if getattr(e, "request_number", None) == request.request_number][1:]
        assert isinstance(answer[0], PostponementGranted) and answer[0].force_majeure
        assert answer[0].new_quarter.year == 2020 and answer[0].new_quarter.number >= 3
        assert of(events, ValidityExtended)
    audited = [e.audit_dates[0] for e in everything(demo, AuditScoresRecorded)]
    assert not [d for d in audited if LOCKDOWN_AUDITS[0] <= d <= LOCKDOWN_AUDITS[1]]
    moved = {e.trajectory_id for e in requests}
    withdrawn = {e.trajectory_id for e in everything(demo, ParticipationWithdrawn)}
    planned_in_lockdown = {
        e.trajectory_id
        for e in everything(demo, AuditScheduled)
        if LOCKDOWN_AUDITS[0] <= e.audit_dates[0] <= LOCKDOWN_AUDITS[1]
    }
    assert planned_in_lockdown - withdrawn == moved


def test_regular_postponements_are_granted_rejected_or_refused_with_an_explanation(demo: Replayed) -> None:
    """A few regular requests are granted; others are rejected by a planner or refused by the policy, explained."""
    granted = [e for e in everything(demo, PostponementGranted) if not e.force_majeure]
    assert len(granted) >= 3
    refused = demo.simulation.refusals
    assert len(refused) >= 3
    assert {r.rule for r in refused} <= {
        "postponement.ground_not_admissible",
        "postponement.ground_after_date_fixed",
        "postponement.merger_window",
    }
    assert all(r.message.startswith("uitstel geweigerd: ") for r in refused)
    rejected = [e for e in everything(demo, PostponementRejected) if e.reason.startswith("afgewezen")]
    assert rejected and all(e.reason for e in rejected)


def test_the_survey_answers_in_the_replay_follow_cbcts_mix(demo: Replayed) -> None:
    """Recorded answers: 39/56/4/1 within 2 points; some answer after the reminder, a few never."""
    answers = Counter(e.answer.value for e in everything(demo, SurveyAnswered))
    total = sum(answers.values())
    for answer, expected in {"zeer tevreden": 39, "tevreden": 56, "matig": 4, "ontevreden": 1}.items():
        assert abs(100 * answers[answer] / total - expected) <= 2
    assert 0 < 214 - total < 40


def test_another_seed_gives_the_same_register(rows: list[RegisterRow]) -> None:
    """Seed 7: other dates and scores, the same result and remark per certificate number."""
    other = replay(rows, seed=7)
    for scenario in other.scenarios:
        assert register_entry(other.simulation.states[scenario.trajectory_id]) == (
            scenario.row.result,
            scenario.row.remark,
        )


def test_scale_two_gives_distinct_ids_and_the_same_outcomes_per_copy(rows: list[RegisterRow]) -> None:
    """Each row twice: 'kib2018-1036' and 'kib2018-1036-1' (certificate 1036-1), both with the row's outcome."""
    scaled = replay(rows, seed=2023, scale=2)
    assert len(scaled.scenarios) == 502 == len({s.trajectory_id for s in scaled.scenarios})
    command_ids = [step.command.command_id for s in scaled.scenarios for step in s]
    assert len(command_ids) == len(set(command_ids))
    copies = {s.trajectory_id: s for s in scaled.scenarios if s.scale_index == 1}
    assert copies["kib2018-1036-1"].certificate_number == "1036-1"
    for scenario in scaled.scenarios:
        state = scaled.simulation.states[scenario.trajectory_id]
        assert state.certificate_number == scenario.certificate_number
        assert register_entry(state) == (scenario.row.result, scenario.row.remark)


def _certified(rows: list[RegisterRow]) -> Scenario:
    row = next(r for r in rows if r.result is Result.CERTIFIED)
    return plan_trajectory(row, seed=3, satisfaction=None)


def test_an_unexpected_refusal_names_the_trajectory_the_step_and_the_rule(rows: list[RegisterRow]) -> None:
    """A decision moved before the audit is a plan bug: the simulator raises with the domain's explanation."""
    scenario = _certified(rows)
    index = next(i for i, s in enumerate(scenario) if isinstance(s.command, DecideCertification))
    early = Step(scenario[1].at + timedelta(minutes=1), scenario[index].command)
    broken = Scenario(scenario.trajectory_id, scenario.certificate_number, scenario.row, 0, (scenario[0], early))
    with pytest.raises(SimulationError) as error:
        simulate([broken], REFERENCE_MOMENT)
    assert error.value.trajectory_id == scenario.trajectory_id and error.value.step_index == 1
    assert error.value.rule == "state.phase" and "DecideCertification" in str(error.value)


def test_a_deliberate_refusal_that_is_accepted_is_a_plan_bug_too(rows: list[RegisterRow]) -> None:
    """A step marked expect_refusal must be refused with its rule; an admissible request fails the plan."""
    scenario = _certified(rows)
    opened = scenario[0]
    request = RequestPostponement(
        command_id=f"{scenario.trajectory_id}/x",
        trajectory_id=scenario.trajectory_id,
        actor="auditee:test",
        ground=PostponementGround.RELOCATION,
        reason="verhuizing",
    )
    step = Step(
        opened.at + timedelta(hours=1), request, expect_refusal=True, expected_rule="postponement.merger_window"
    )
    broken = Scenario(scenario.trajectory_id, scenario.certificate_number, scenario.row, 0, (opened, step))
    with pytest.raises(SimulationError, match=r"weigering 'postponement\.merger_window' verwacht"):
        simulate([broken], REFERENCE_MOMENT)


def test_deadlines_fire_after_the_last_step_up_to_until(rows: list[RegisterRow]) -> None:
    """Without the survey answer, the survey reminder and closing fire by themselves and close the trajectory."""
    scenario = _certified(rows)
    steps = tuple(s for s in scenario if not isinstance(s.command, RecordSurveyAnswer))
    state = simulate(
        [Scenario(scenario.trajectory_id, scenario.certificate_number, scenario.row, 0, steps)], REFERENCE_MOMENT
    )
    only = state[scenario.trajectory_id]
    assert register_entry(only) == (Result.CERTIFIED, None) and not only.is_open
    assert only.survey.reminder_sent
