"""Input errors read in Dutch, naming the field and the rule, wherever they are shown (CLI, API, forms)."""

from __future__ import annotations

import pytest

from application.input_errors import dutch_message, input_errors
from application.trajectories import InvalidCommandInput, parse_command

OPEN = {
    "command_id": "c-1",
    "trajectory_id": "T-1",
    "actor": "planner:anna",
    "organisation": "Bibliotheek Een",
    "certificate_number": "C-1",
    "association": "VOB",
    "framework_version": "2024",
}


@pytest.mark.parametrize(
    ("change", "field", "rule", "dutch"),
    [
        ({"association": "Bond"}, "association", "enum", "moet een van deze waarden zijn: 'VOB'"),
        ({"organisation": None}, "organisation", "string_type", "moet tekst zijn"),
        ({"organisation": "x" * 201}, "organisation", "string_too_long", "mag hoogstens 200 tekens hebben"),
        ({"organisation": "a\nb"}, "organisation", "one_line", "moet één regel tekst zijn"),
        ({"trajectory_id": "../x"}, "trajectory_id", "string_pattern_mismatch", "heeft niet de juiste vorm (patroon"),
        ({"previous_certificate_expiry": "1990-01-01"}, "previous_certificate_expiry", "date_out_of_range",
         "datum 1990-01-01 moet tussen 2000-01-01 en 2100-12-31 liggen"),
        ({"previous_certificate_expiry": "morgen"}, "previous_certificate_expiry", "date_from_datetime_parsing",
         "moet een datum zijn (JJJJ-MM-DD)"),
        ({"kleur": "blauw"}, "kleur", "extra_forbidden", "is onbekend"),
    ],
)  # fmt: skip
def test_each_broken_rule_is_named_with_its_field_and_a_dutch_message(
    change: dict[str, object], field: str, rule: str, dutch: str
) -> None:
    with pytest.raises(InvalidCommandInput) as caught:
        parse_command("OpenTrajectory", {**OPEN, **change})
    [error] = input_errors(caught.value.errors)
    assert (error.field, error.rule) == (field, rule)
    assert error.message.startswith(dutch), error.message
    assert f"{field}: {error.message}" in str(caught.value)


def test_a_missing_field_and_an_unknown_rule() -> None:
    with pytest.raises(InvalidCommandInput) as caught:
        parse_command("OpenTrajectory", {k: v for k, v in OPEN.items() if k != "organisation"})
    assert [e.as_dict() for e in input_errors(caught.value.errors)] == [
        {"field": "organisation", "rule": "missing", "message": "is verplicht"}
    ]
    assert dutch_message({"type": "some_future_rule", "msg": "Something else"}) == "Something else"
