"""Bad input: malformed commands name the field; commands in the wrong state are refused without events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from domain import (
    DecidePostponement,
    InvalidCommand,
    RecordAuditScores,
    RecordIntake,
    ScheduleAudit,
    ScoresRefused,
    SendAnnouncement,
    TrajectoryNotFound,
    WithdrawParticipation,
    decide,
)
from tests.unit.driver import Trajectory, at, scores

Planned = Callable[..., Trajectory]
ENVELOPE = {"command_id": "c-1", "trajectory_id": "t-1", "actor": "planner"}


def locations(error: ValidationError) -> list[str]:
    return [".".join(str(part) for part in e["loc"]) for e in error.errors()]


def test_a_missing_field_is_named() -> None:
    """ScheduleAudit without auditors names both fields."""
    with pytest.raises(ValidationError) as error:
        ScheduleAudit(**ENVELOPE, audit_dates=[date(2026, 4, 21)])
    assert locations(error.value) == ["expert_auditor", "peer_auditor"]


def test_a_score_out_of_range_names_the_norm_and_question() -> None:
    """'Uitstekend' is not on the scale: the error points at scores.3.b."""
    with pytest.raises(ValidationError) as error:
        RecordAuditScores(**ENVELOPE, scores={"3": {"a": "Volledig", "b": "Uitstekend"}})
    assert locations(error.value) == ["scores.3.b"]


def test_unknown_fields_empty_reasons_and_impossible_numbers_are_refused() -> None:
    """Extra fields, a blank reason and zero employees each fail on their field."""
    with pytest.raises(ValidationError) as extra:
        DecidePostponement(**ENVELOPE, grant=True, reason="ok", urgent=True)  # type: ignore[call-arg]
    assert locations(extra.value) == ["urgent"]
    with pytest.raises(ValidationError) as blank:
        DecidePostponement(**ENVELOPE, grant=False, reason="   ")
    assert locations(blank.value) == ["reason"]
    with pytest.raises(ValidationError) as zero:
        RecordIntake(**ENVELOPE, contacts=[{"name": "A", "email": "a@b.nl"}], locations=["x"], employees=0)
    assert locations(zero.value) == ["employees"]
    with pytest.raises(ValidationError) as email:
        RecordIntake(**ENVELOPE, contacts=[{"name": "A", "email": "geen-adres"}], locations=["x"], employees=3)
    assert locations(email.value)[0] == "contacts.0.email"


def test_a_command_for_an_unopened_trajectory_is_refused(kib2: object) -> None:
    """Nothing but OpenTrajectory starts a stream."""
    with pytest.raises(TrajectoryNotFound, match="niet geopend"):
        decide(None, SendAnnouncement(**ENVELOPE), at("2026-01-05"), kib2)  # type: ignore[arg-type]


def test_a_command_in_the_wrong_phase_is_refused_without_events(planned: Planned) -> None:
    """Scores while still planning: InvalidCommand naming the phase; the stream is untouched."""
    t = planned()
    before = list(t.events)
    with pytest.raises(InvalidCommand, match="fase 'planning'") as refused:
        t.do(RecordAuditScores, "2026-01-08", scores=scores(t.s.round.scope, t.rules))
    assert refused.value.rule == "state.phase" and t.events == before


def test_a_naive_clock_is_a_programming_error(planned: Planned) -> None:
    """decide refuses a naive 'now'."""
    t = planned()
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(t.state, t.command(SendAnnouncement), datetime(2026, 1, 5, 12), t.rules)


def test_a_command_for_another_trajectory_is_refused(planned: Planned) -> None:
    """The trajectory id of command and state must agree."""
    t = planned()
    command = SendAnnouncement(command_id="c", trajectory_id="t-2", actor="x")
    with pytest.raises(InvalidCommand, match="t-2"):
        decide(t.state, command, at("2026-01-05"), t.rules)


def test_incomplete_or_foreign_scores_are_refused(planned: Planned) -> None:
    """Missing norm, missing question, a norm outside scope, and scores before the audit date."""
    t = planned(services=("IDO",))
    t.do(ScheduleAudit, "2026-01-08", audit_dates=[date(2026, 4, 21)], expert_auditor="E", peer_auditor="P")
    full = scores(t.s.round.scope, t.rules)
    ido = {"4.IDO": True}
    with pytest.raises(ScoresRefused, match="pas vanaf de auditdatum 2026-04-21"):
        t.do(RecordAuditScores, "2026-04-20", scores=full, indicators=ido)
    with pytest.raises(ScoresRefused, match="ontbreken voor norm 7"):
        t.do(RecordAuditScores, "2026-04-21", scores={k: v for k, v in full.items() if k != "7"}, indicators=ido)
    with pytest.raises(ScoresRefused, match="norm 2: vraag b, c, d ontbreekt"):
        t.do(RecordAuditScores, "2026-04-21", scores={**full, "2": {"a": "Niet"}}, indicators=ido)
    with pytest.raises(ScoresRefused, match="norm M1 hoort niet bij deze audit"):
        t.do(RecordAuditScores, "2026-04-21", scores={**full, **scores(("M1",), t.rules)}, indicators=ido)
    with pytest.raises(ScoresRefused, match="IDO-indicator"):
        t.do(RecordAuditScores, "2026-04-21", scores=full)
    assert len(t.events) == 5


def test_a_closed_trajectory_refuses_everything(planned: Planned) -> None:
    """After Geen deelname nothing changes the trajectory."""
    t = planned()
    t.do(WithdrawParticipation, "2026-01-06", reason="stopt")
    with pytest.raises(InvalidCommand, match="afgesloten"):
        t.do(WithdrawParticipation, "2026-01-07", reason="nogmaals")
