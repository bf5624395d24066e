"""Issue 18, case 4: a corrected event keeps the bounds of the command that made it (domain/event_bounds.py).

Every event the domain itself produces passes those bounds unchanged; what no command could have
produced — year 1, a 2 KB organisation, CR/LF in an e-mail address, 2**64 employees — is refused,
naming the field. The JSON a user hands in is bounded before it is parsed (application/bounded_json.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from pydantic import ValidationError

from application.bounded_json import JsonInputError, nesting_depth, parse_object
from domain import EVENT_TYPES, Event, event_to_dict, event_type
from domain.certificate_holder import CertificateFacts
from domain.correction import CorrectionRefused, check_holder, fold_corrected
from domain.event_bounds import bounded_event, bounds_model, check_every_event_type
from domain.events import CertificateIssued, TrajectoryOpened
from tests.reports.histories import events_of, histories
from tests.unit import driver


def _refused(name: str, data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        bounded_event(name, data)
    return str(caught.value)


def _opened() -> dict[str, Any]:
    return next(event_to_dict(e) for e in events_of(*histories()) if isinstance(e, TrajectoryOpened))


def test_every_event_type_has_bounds_for_every_field() -> None:
    check_every_event_type()
    for name, cls in EVENT_TYPES.items():
        assert set(bounds_model(name).model_fields) == set(cls.model_fields), name


def test_every_event_of_the_report_histories_keeps_its_bounds_unchanged() -> None:
    events = events_of(*histories())
    assert len({event_type(e) for e in events}) >= 15
    for event in events:
        assert bounded_event(event_type(event), event_to_dict(event)) == event


def test_every_event_the_domain_makes_in_random_lifecycles_keeps_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stateful machine's random commands and deadlines: whatever decide makes, a correction may repeat."""
    from tests.unit.test_stateful import TrajectoryMachine

    seen: set[str] = set()
    apply = driver.Trajectory.apply

    def checked(self: driver.Trajectory, events: Any) -> list[Event]:
        new = list(events)
        for event in new:
            seen.add(event_type(event))
            assert bounded_event(event_type(event), event_to_dict(event)) == event, event
        return apply(self, new)

    monkeypatch.setattr(driver.Trajectory, "apply", checked)
    run_state_machine_as_test(
        TrajectoryMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert len(seen) >= 15, seen


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("previous_certificate_expiry", "0001-01-01", "2000-01-01"),
        ("opened_on", "9999-12-31", "2100-12-31"),
        ("organisation", "B" * 2048, "200"),
        ("organisation", "Bieb\r\nBcc: x@y.nl", "één regel"),
        ("contact_email", "an@bieb.example\r\nBcc: x@y.nl", "contact_email"),
        ("certificate_number", "1" * 51, "50"),
        ("trajectory_id", "../etc", "pattern"),
        ("occurred_at", "0001-01-01T00:00:00+00:00", "2000-01-01"),
    ],
)
def test_a_value_no_command_could_have_produced_is_refused_naming_the_field(field: str, value: str, rule: str) -> None:
    message = _refused("TrajectoryOpened", {**_opened(), field: value})
    assert field in message and rule in message


def test_numbers_and_collections_keep_the_commands_limits() -> None:
    intake = next(event_to_dict(e) for e in events_of(*histories()) if event_type(e) == "IntakeRecorded")
    assert "employees" in _refused("IntakeRecorded", {**intake, "employees": 2**64})
    assert "employees" in _refused("IntakeRecorded", {**intake, "employees": 0})
    assert "dagdelen" in _refused("IntakeRecorded", {**intake, "dagdelen": 10**9})
    assert "locations" in _refused("IntakeRecorded", {**intake, "locations": ["x"] * 201})


def test_a_value_is_kept_as_a_command_would_have_given_it() -> None:
    event = bounded_event("TrajectoryOpened", {**_opened(), "organisation": "  Bibliotheek Een "})
    assert isinstance(event, TrajectoryOpened) and event.organisation == "Bibliotheek Een"


def test_the_corrected_stream_must_fold_and_keep_its_certificate() -> None:
    events = [e for e in events_of(*histories()) if e.trajectory_id == events_of(*histories())[0].trajectory_id]
    trajectory_id = events[0].trajectory_id
    state = fold_corrected(trajectory_id, events)
    with pytest.raises(CorrectionRefused, match="trajectory_id"):
        fold_corrected(trajectory_id, [events[0].model_copy(update={"trajectory_id": "other"}), *events[1:]])
    with pytest.raises(CorrectionRefused, match="al geopend"):
        fold_corrected(trajectory_id, [events[0], events[0]])
    issued = [i for i, e in enumerate(events) if isinstance(e, CertificateIssued)]
    if issued:
        i = issued[0]
        moved = [*events[:i], events[i].model_copy(update={"certificate_number": "9999"}), *events[i + 1 :]]
        with pytest.raises(CorrectionRefused, match="certificate_number"):
            fold_corrected(trajectory_id, moved)
        renamed = [*events[:i], events[i].model_copy(update={"organisation": "Andere Bieb"}), *events[i + 1 :]]
        with pytest.raises(CorrectionRefused, match="organisation"):
            fold_corrected(trajectory_id, renamed)
    check_holder(state, CertificateFacts.unknown(state.certificate_number))
    check_holder(state, CertificateFacts(number=state.certificate_number, holder=f" {state.organisation.upper()} "))
    other = CertificateFacts(number=state.certificate_number, holder="Bibliotheek Een", holder_trajectory="t-een")
    with pytest.raises(CorrectionRefused, match="Bibliotheek Een") as caught:
        check_holder(state, other)
    assert caught.value.rule == "correction.certificate_number_taken"


# --- --data: bounded before the parser runs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "te diep genest"),
        ('{"a":' * 40 + "1" + "}" * 40, "te diep genest"),
        ('{"a": "' + "x" * 300_000 + '"}', "te groot"),
        ('{"a": NaN}', "geen bruikbare JSON"),
        ('{"a": 1' + "0" * 5000 + "}", "geen bruikbare JSON"),
        ("{nope", "geen geldige JSON"),
        ("[1, 2]", "JSON-object"),
    ],
)
def test_data_is_refused_in_one_dutch_line_naming_the_option(text: str, says: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        parse_object(text, name="--data", max_bytes=256 * 1024, max_depth=32)
    message = str(caught.value)
    assert message.startswith("--data: ") and says in message and "\n" not in message


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert nesting_depth('{"a": "[[[[{{{{"}', 32) == 1
    assert nesting_depth('{"a": "\\"[[["}', 32) == 1
    assert parse_object('{"a": {"b": [1, "]]]"]}}', name="--data", max_bytes=1000, max_depth=3) == {
        "a": {"b": [1, "]]]"]}
    }
