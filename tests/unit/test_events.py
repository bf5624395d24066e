"""Events as stored data: a registry, JSON-safe dicts, exact round trips, no envelope fields."""

from __future__ import annotations

import json
from collections.abc import Callable

from domain import (
    EVENT_TYPES,
    DecideCertification,
    Event,
    RecordSurveyAnswer,
    RequestHeraudit,
    Score,
    event_from_dict,
    event_to_dict,
    event_type,
    replay,
)
from tests.unit.driver import Trajectory, run_audit, scores

Planned = Callable[..., Trajectory]


def lifecycle(planned: Planned) -> Trajectory:
    """A full trajectory: voorwaardelijk, heraudit, certified after heraudit, survey answered."""
    t = planned(services=("BoekStart", "IDO"))
    t.fire_due("2026-01-07")
    run_audit(t, "2026-04-21", scores(t.s.round.scope, t.rules, n3=Score.LIMITED), plan_on="2026-01-08")
    t.do(DecideCertification, "2026-05-22")
    t.do(RecordSurveyAnswer, "2026-05-25", answer="zeer tevreden", comment="prettige audit")
    t.do(RequestHeraudit, "2026-06-10")
    run_audit(t, "2026-07-07", scores(("3",), t.rules, n3=Score.LARGELY))
    t.do(DecideCertification, "2026-07-08")
    return t


def test_every_event_type_is_registered_under_its_class_name() -> None:
    """EVENT_TYPES maps each name to its class, each with an integer schema version."""
    assert all(name == cls.__name__ and isinstance(cls.schema_version, int) for name, cls in EVENT_TYPES.items())
    assert len(EVENT_TYPES) == len(Event.__subclasses__())


def test_events_carry_no_envelope_metadata() -> None:
    """event id, actor, command id and recording time live in the store's envelope, not in events."""
    envelope = {"event_id", "actor", "command_id", "recorded_at", "correlation_id", "causation_id"}
    assert all(not envelope & set(cls.model_fields) for cls in EVENT_TYPES.values())


def test_events_round_trip_through_json_exactly(planned: Planned) -> None:
    """to_dict → JSON → from_dict gives equal events, and replaying them gives the same state."""
    t = lifecycle(planned)
    stored = [(event_type(e), json.dumps(event_to_dict(e))) for e in t.events]
    restored = [event_from_dict(name, json.loads(data)) for name, data in stored]
    assert restored == t.events
    assert replay(restored) == t.state


def test_events_carry_what_the_read_models_need(planned: Planned) -> None:
    """Association, category, modules, per-norm scores, survey answer, certificate number and end are recorded."""
    events = lifecycle(planned).events
    data = {event_type(e): event_to_dict(e) for e in events}
    decided = [event_to_dict(e) for e in events if event_type(e) == "CertificationDecided"]
    assert [d["norm_scores"]["3"] for d in decided] == [1.0, 2.0]
    assert (
        decided[0]["norm_scores"]["M1"] == 3.0 and decided[0]["verdicts"]["basis+M1"] == "Voorwaardelijk gecertificeerd"
    )
    assert data["TrajectoryOpened"]["association"] == "VOB"
    assert data["TrajectoryOpened"]["organisation"] == "Bibliotheek Hengelo"
    assert data["IntakeRecorded"]["category"] == "II" and data["IntakeRecorded"]["modules"] == ["M1"]
    assert data["SurveyAnswered"]["answer"] == "zeer tevreden"
    assert data["CertificateIssued"]["certificate_number"] == "1002"
    assert data["CertificateIssued"]["valid_until"] == "2030-07-08"
    assert data["TrajectoryClosed"]["remark"] == "Gecertificeerd na heraudit"
