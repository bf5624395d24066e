"""Framework versions stay immutable: later settings come from added-settings.toml; every value shows its origin."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from frameworks.loader import AddedSetting, fill_added_settings, framework_values, parse_added_settings
from interfaces.cli.app import app

LATER = AddedSetting("terms.later_days", 14, ("kib-ii-2023",), True, "a later rule")


def test_a_later_setting_is_filled_in_where_the_version_file_does_not_name_it() -> None:
    raw: dict[str, Any] = {"terms": {"intake_days": 14}}
    tree, filled = fill_added_settings(raw, "kib-ii-2023", (LATER,))
    assert tree["terms"]["later_days"] == {"value": 14, "assumed": True, "note": "a later rule"}
    assert filled == {"terms.later_days"}
    assert raw == {"terms": {"intake_days": 14}}  # the file's own tree is left as read


def test_the_version_file_wins_and_other_versions_do_not_get_the_setting() -> None:
    own, filled = fill_added_settings({"terms": {"later_days": 7}}, "kib-ii-2023", (LATER,))
    assert own["terms"]["later_days"] == 7 and not filled
    other, filled = fill_added_settings({"terms": {}}, "kib-2018", (LATER,))
    assert other == {"terms": {}} and not filled


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"setting": [{"path": "terms.x", "default": 1}]}, "path, default and versions are required"),
        ({"setting": [{"path": "terms.x", "default": 1, "versions": ["kib-1999"]}]}, "unknown framework version"),
        (
            {"setting": [{"path": "terms.x", "default": 1, "versions": ["kib-2018"]}] * 2},
            "terms.x is declared twice",
        ),
    ],
)
def test_a_bad_declaration_is_refused_naming_it(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_added_settings(raw)


def test_every_value_has_its_origin() -> None:
    values = {v.path: v for v in framework_values("kib-ii-2023")}
    assert values["terms.intake_days"].origin == "file"
    assert values["terms.reaction_days"].origin == "assumed"
    assert values["scale.Niet"].origin == "assumed"  # a table marked assumed as a whole
    assert values["norms[0].id"].value == "1"


def test_cbct_framework_show_prints_every_value_with_its_origin() -> None:
    result = CliRunner().invoke(app, ["framework", "show", "kib-ii-2023", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["origin"] for row in rows} <= {"file", "default", "assumed"}
    assert {"path": "terms.intake_days", "value": 14, "origin": "file", "note": ""} in rows
    table = CliRunner().invoke(app, ["framework", "show", "kib-2018"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "bestand" in table.output and "aangenomen" in table.output
    unknown = CliRunner().invoke(app, ["framework", "show", "kib-1999"])
    assert unknown.exit_code == 2 and "onbekend kader 'kib-1999'" in unknown.output
