"""Scenario files: valid ones become typed steps; a malformed one is refused naming the step and field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from application.scenarios.file import ExpectedDeadline, ScenarioFileError, load_scenario, parse_scenario
from domain import OpenTrajectory, RecordAuditScores, Score

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"

OPEN = """
  - at: 2025-11-03 10:00
    command: OpenTrajectory
    organisation: Bibliotheek Voorbeeld
    certificate_number: "9001"
    association: VOB
    framework_version: kib-ii-2023
    previous_certificate_expiry: 2026-06-30
"""


def scenario(steps: str, head: str = "") -> str:
    return f"{head}steps:{steps}"


def refused(text: str) -> ScenarioFileError:
    with pytest.raises(ScenarioFileError) as error:
        parse_scenario(text, default_name="Mijn oefening")
    return error.value


def test_a_step_becomes_a_domain_command_with_defaults_for_its_envelope() -> None:
    """Trajectory id from the file's name, command id '<trajectory>/<n>-<command>', actor 'scenario'."""
    parsed = parse_scenario(scenario(OPEN), default_name="Mijn oefening")
    [step] = parsed.steps
    assert isinstance(step.command, OpenTrajectory)
    assert (parsed.name, parsed.trajectory_id) == ("Mijn oefening", "mijn-oefening")
    assert step.command.command_id == "mijn-oefening/1-OpenTrajectory" and step.command.actor == "scenario"
    assert step.command.previous_certificate_expiry == date(2026, 6, 30)
    assert step.at == datetime(2025, 11, 3, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam (winter time)
    assert parsed.until == step.at and step.expect.empty


def test_a_date_alone_means_nine_in_the_morning_amsterdam_time() -> None:
    """'at: 2026-06-01' is 09:00 Amsterdam (summer time: 07:00 UTC)."""
    parsed = parse_scenario(scenario(OPEN + "  - at: 2026-06-01\n    command: SendAnnouncement\n"))
    assert parsed.steps[1].at == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def test_scores_per_norm_expand_to_every_question_of_the_framework() -> None:
    """'*': Volledig fills every base norm; '6': Beperkt fills norm 6's four questions."""
    steps = (
        OPEN + "  - at: 2026-04-14 17:00\n    command: RecordAuditScores\n    scores: {'*': Volledig, '6': Beperkt}\n"
    )
    command = parse_scenario(scenario(steps)).steps[1].command
    assert isinstance(command, RecordAuditScores)
    assert sorted(command.scores) == ["1", "2", "3", "4", "5", "6", "7"]
    assert command.scores["6"] == dict.fromkeys("abcd", Score.LIMITED)
    assert command.scores["1"]["a"] is Score.FULLY


def test_expectations_are_read_per_step_and_for_the_end() -> None:
    """A rule implies a refusal; deadlines may carry their due day; the register compares named fields."""
    steps = OPEN + (
        "    expect:\n      rule: postponement.limit\n"
        "      deadlines: [announcement, {kind: certificate_expiry, due: 2026-06-30}]\n"
    )
    parsed = parse_scenario(
        scenario(steps) + "expect:\n  register: {result: Gecertificeerd, remark: null}\n  events: [TrajectoryOpened]\n"
    )
    expect = parsed.steps[0].expect
    assert (expect.accepted, expect.rule) == (False, "postponement.limit")
    assert expect.deadlines == (
        ExpectedDeadline("announcement"),
        ExpectedDeadline("certificate_expiry", date(2026, 6, 30)),
    )
    assert parsed.expect.register == {"result": "Gecertificeerd", "remark": None}
    assert parsed.expect.events == ("TrajectoryOpened",)


@pytest.mark.parametrize(
    ("text", "step", "field", "fragment"),
    [
        ("steps: [", None, None, "geen geldige YAML"),
        ("- a\n- b\n", None, None, "YAML-mapping"),
        ("steps: []\n", None, "steps", "ten minste één stap"),
        ("stepz: []\n", None, "stepz", "onbekend veld"),
        (scenario(OPEN.replace("    command: OpenTrajectory\n", "")), 1, "command", "ontbreekt"),
        (scenario(OPEN.replace("OpenTrajectory", "OpenTraject")), 1, "command", "onbekend commando 'OpenTraject'"),
        (
            scenario(OPEN.replace("association: VOB", "association: Bond")),
            1,
            "association",
            "moet een van deze waarden zijn",
        ),
        (scenario(OPEN.replace("    association: VOB\n", "")), 1, "association", "is verplicht"),
        (scenario(OPEN + "    kleur: blauw\n"), 1, "kleur", "is onbekend"),
        (scenario(OPEN.replace("2025-11-03 10:00", "gisteren")), 1, "at", "geen moment"),
        (scenario(OPEN + "  - at: 2025-11-01\n    command: SendAnnouncement\n"), 2, "at", "vóór stap 1"),
        (scenario(OPEN + "    expect: {accepted: ja}\n"), 1, "expect.accepted", "true of false"),
        (scenario(OPEN + "    expect: {accepted: true, rule: x.y}\n"), 1, "expect.rule", "weigering"),
        (
            scenario(OPEN + "    expect: {deadlines: [{kind: intake, due: morgen}]}\n"),
            1,
            "expect.deadlines[0].due",
            "datum",
        ),
        (scenario(OPEN + "    expect: {register: {kleur: rood}}\n"), 1, "expect.register.kleur", "onbekend veld"),
        (scenario(OPEN + "    expect: {colour: red}\n"), 1, "expect.colour", "onbekend veld"),
        ("until: 2020-01-01\n" + scenario(OPEN), None, "until", "vóór de laatste stap"),
        (
            scenario(OPEN + "  - at: 2026-04-14\n    command: RecordAuditScores\n    scores: {'9': Niet}\n"),
            2,
            "scores.9",
            "bestaat niet",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_the_step_and_the_field(
    text: str, step: int | None, field: str | None, fragment: str
) -> None:
    """The error says where (stap N, veld X) and why; nothing is run."""
    error = refused(text)
    assert (error.step, error.field) == (step, field)
    assert fragment in str(error)
    if step is not None:
        assert str(error).startswith(f"stap {step}")


def test_an_unreadable_file_is_a_scenario_error(tmp_path: Path) -> None:
    """A path that does not exist is refused like a malformed file, not with a traceback."""
    with pytest.raises(ScenarioFileError, match="bestand bestaat niet"):
        load_scenario(tmp_path / "nergens.yaml")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_shipped_scenarios_are_valid(path: Path) -> None:
    """Every example under scenarios/ parses, and says what it expects."""
    parsed = load_scenario(path)
    assert parsed.steps and (not parsed.expect.empty or any(not s.expect.empty for s in parsed.steps))
