"""Deadlines as data: deterministic ids, Amsterdam due moments, and firing that re-checks the state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from domain import (
    DeadlineKind,
    DeadlineNature,
    DecideCertification,
    FireDeadline,
    InvalidCommand,
    IssueDraftReport,
    OpenTrajectory,
    Party,
    ReactToDraft,
    RecordAuditScores,
    RecordIntake,
    ScheduleAudit,
    deadlines,
    decide,
    on_deadline,
)
from domain.events import DeadlineMissed, ReminderSent, SurveyClosed
from tests.unit.driver import Trajectory, at, intake_fields, names, only, run_audit, scores

Planned = Callable[..., Trajectory]


def opened(t: Trajectory) -> Trajectory:
    t.do(
        OpenTrajectory,
        "2025-11-03",
        organisation="Bibliotheek Den Haag",
        certificate_number="1014",
        association="VOB",
        framework_version=t.rules.version_id,
        previous_certificate_expiry=date(2026, 6, 30),
    )
    return t


def test_deadline_ids_are_deterministic_and_readable(planned: Planned) -> None:
    """The same state always lists the same ids: '{trajectory}:{kind}:{due date}:{sequence}'."""
    t = planned()
    first, second = deadlines(t.s, t.rules), deadlines(t.s, t.rules)
    assert first == second
    assert [d.deadline_id for d in first] == [
        "t-1:certificate_expiry_reminder:2025-12-30:0",
        "t-1:certificate_expiry_reminder:2026-03-30:1",
        "t-1:certificate_expiry:2026-06-30:0",
        "t-1:planning:2026-06-30:0",
    ]
    assert first[0].nature is DeadlineNature.AUDITEE_REMINDER and first[3].party is Party.PLANNER


def test_a_deadline_already_met_does_nothing(kib2: object) -> None:
    """The intake came in on time: firing the old intake deadline later yields no events."""
    t = opened(Trajectory(kib2))  # type: ignore[arg-type]
    t.fire_due("2025-12-30")
    intake = t.deadlines_of("intake")[0]
    t.do(RecordIntake, "2026-01-05", **intake_fields())
    assert on_deadline(t.state, intake.deadline_id, at("2026-02-01"), t.rules) == []


def test_a_deadline_not_yet_due_does_nothing(kib2: object) -> None:
    """Firing the intake deadline (due end of 2026-01-13) at 23:59 that day yields nothing; at midnight it fires."""
    t = opened(Trajectory(kib2))  # type: ignore[arg-type]
    t.fire_due("2025-12-30")
    intake = t.deadlines_of("intake")[0]
    assert intake.due_at == datetime(2026, 1, 13, 23, 0, tzinfo=UTC)
    assert on_deadline(t.state, intake.deadline_id, datetime(2026, 1, 13, 22, 59, tzinfo=UTC), t.rules) == []
    missed = only(on_deadline(t.state, intake.deadline_id, intake.due_at, t.rules), DeadlineMissed)
    assert missed.kind.value == "intake"


def test_a_missed_deadline_stays_listed_as_fired_and_fires_once(kib2: object) -> None:
    """An overdue intake stays visible (fired=True) until it comes in, and never fires twice."""
    t = opened(Trajectory(kib2))  # type: ignore[arg-type]
    t.fire_due("2025-12-30")
    assert names(t.fire_due("2026-01-14")) == ["DeadlineMissed"]
    [intake] = t.deadlines_of("intake")
    assert intake.fired
    assert on_deadline(t.state, intake.deadline_id, at("2026-02-01"), t.rules) == []
    assert t.fire_due("2026-02-01") == []
    t.do(RecordIntake, "2026-02-02", **intake_fields())
    assert t.deadlines_of("intake") == []


def test_fire_deadline_is_a_command_that_decide_handles(planned: Planned) -> None:
    """FireDeadline goes through decide; a deadline that is not (yet) pending yields []."""
    t = planned()
    reminder = t.deadlines_of("certificate_expiry_reminder")[0]
    command = t.command(FireDeadline, deadline_id=reminder.deadline_id)
    assert only(decide(t.state, command, at("2026-01-02"), t.rules), ReminderSent).due_on == date(2025, 12, 30)
    assert (
        decide(t.state, t.command(FireDeadline, deadline_id="t-1:intake:2099-01-01:0"), at("2026-01-02"), t.rules) == []
    )


def test_a_deadline_for_an_unknown_trajectory_is_refused(kib2: object) -> None:
    """There is nothing to fire without a trajectory."""
    with pytest.raises(InvalidCommand):
        on_deadline(None, "x:intake:2026-01-01:0", at("2026-01-02"), kib2)  # type: ignore[arg-type]


def test_the_survey_reminder_follows_after_14_days_and_the_survey_closes_after_28(planned: Planned) -> None:
    """Decided 2026-05-22: reminder 2026-06-05 09:00 Amsterdam, closed end of 2026-06-19, then the trajectory ends."""
    t = planned()
    run_audit(t, "2026-04-21", plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    [reminder] = t.deadlines_of("survey_reminder")
    assert reminder.due_at == datetime(2026, 6, 5, 7, 0, tzinfo=UTC)
    assert names(t.fire_due(at("2026-06-05", hour=9))) == ["ReminderSent"]
    events = t.fire_due("2026-06-20")
    assert names(events) == ["SurveyClosed", "TrajectoryClosed"]
    assert only(events, SurveyClosed).closed_on == date(2026, 6, 19)


def test_hoor_en_wederhoor_ends_at_amsterdam_midnight_across_the_dst_switch(planned: Planned) -> None:
    """Draft 2026-03-16 → reaction until 2026-03-30, which ends 22:00 UTC (CEST); at 22:30 UTC it is too late."""
    t = planned(expiry=date(2026, 3, 31))
    t.do(ScheduleAudit, "2025-12-01", audit_dates=[date(2026, 3, 10)], expert_auditor="E", peer_auditor="P")
    t.do(RecordAuditScores, "2026-03-10", scores=scores(t.s.round.scope, t.rules))
    t.do(IssueDraftReport, "2026-03-16")
    [window] = t.deadlines_of("reaction_window")
    assert window.due_on == date(2026, 3, 30) and window.due_at == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)
    with pytest.raises(InvalidCommand, match="verstreken op 2026-03-30"):
        t.do(ReactToDraft, datetime(2026, 3, 30, 22, 30, tzinfo=UTC), reaction="te laat")
    assert names(t.do(ReactToDraft, datetime(2026, 3, 30, 21, 59, tzinfo=UTC), reaction="net op tijd")) == [
        "DraftReactionReceived"
    ]


def test_every_deadline_kind_has_a_dutch_label() -> None:
    """Planners see Dutch names: 'hoor en wederhoor', 'termijn heraudit' …"""
    assert DeadlineKind.REACTION_WINDOW.label == "hoor en wederhoor"
    assert all(kind.label for kind in DeadlineKind)
