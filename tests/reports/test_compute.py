"""The period report's arithmetic on hand-built rows, without a database."""

from __future__ import annotations

import json
from datetime import date

import pytest

from application.reports import ReportRow, compute
from application.reports.period import average_score, percentage
from tests.reports.rows import FROM, ROWS, TO


def test_outcomes_count_each_trajectory_by_result_and_remark() -> None:
    """Certified at once, not/conditional (without Geen deelname), after heraudit, remaining, undecided."""
    r = compute(ROWS, FROM, TO)
    assert r.trajectories == 5  # vob-outside was opened after --to
    assert r.certified_at_once == 1
    assert r.not_or_conditionally_certified == 2
    assert r.certified_after_heraudit == 1
    assert r.remaining_not_or_conditional == 1
    assert r.no_participation == 1
    assert r.undecided == 1


def test_participation_per_association_excludes_geen_deelname() -> None:
    """Members are all trajectories of the association; participated leaves out Geen deelname."""
    p = compute(ROWS, FROM, TO).as_dict()["participation"]
    assert p == {
        "VOB": {"members": 2, "participated": 2},
        "Cultuurconnectie": {"members": 2, "participated": 1},
        "Cultuurconnectie + VOB": {"members": 1, "participated": 1},
    }


def test_average_score_per_norm_is_percentage_of_maximum() -> None:
    """Mean regular audit score / 3 × 100, 1 decimal, over trajectories with a score for the norm."""
    r = compute(ROWS, FROM, TO)
    assert r.average_score_per_norm == {"1": 66.7, "2": 66.7, "3": 66.7, "4": 66.7, "5": 66.7, "6": 58.3, "7": 66.7}
    assert r.average_score_per_norm_by_association["VOB"]["1"] == 100.0
    assert r.average_score_per_norm_by_association["Cultuurconnectie"]["6"] == 41.7
    assert r.average_score_per_norm_by_association["Cultuurconnectie + VOB"]["1"] == 33.3
    assert r.average_score_per_norm_by_category["I"]["6"] == 66.7
    assert r.average_score_per_norm_by_category["II"]["6"] == 41.7
    assert r.average_score_per_norm_by_category["III"] == {n: None for n in "1234567"}


def test_module_1_scores() -> None:
    """Module 1: trajectories with M1 in scope, those scored, and their averages overall / per group."""
    m = compute(ROWS, FROM, TO).as_dict()["module_1"]
    assert (m["id"], m["name"], m["in_scope"], m["scored"], m["average_score"]) == (
        "M1",
        "Educatieve dienstverlening",
        2,
        2,
        58.3,
    )
    assert m["by_association"] == {"VOB": 83.3, "Cultuurconnectie": None, "Cultuurconnectie + VOB": 33.3}
    assert m["by_category"] == {"I": 58.3, "II": None, "III": None, "IV": None}


def test_satisfaction_is_percentage_of_answers_given() -> None:
    """Every answer in the scale's order, as a percentage of the answers given in the period."""
    r = compute(ROWS, FROM, TO)
    assert r.survey_answers == 3
    assert list(r.satisfaction) == ["zeer tevreden", "tevreden", "matig", "ontevreden", "zeer ontevreden"]
    assert r.satisfaction == {
        "zeer tevreden": 33.3,
        "tevreden": 33.3,
        "matig": 33.3,
        "ontevreden": 0.0,
        "zeer ontevreden": 0.0,
    }


def test_rounding_is_half_up_to_one_decimal() -> None:
    """6.25 % rounds to 6.3 (not banker's 6.2); an average of 0.1875 on 0..3 is 6.25 % → 6.3."""
    assert percentage(1, 16) == 6.3
    assert percentage(2, 3) == 66.7
    assert percentage(1, 0) is None
    assert average_score([0.25, 0.5, 0.0, 0.0]) == 6.3
    assert average_score([]) is None


def test_period_bounds_are_inclusive_on_opened_on() -> None:
    """A trajectory opened on --from or --to belongs to the period; one a day later does not."""
    assert compute(ROWS, date(2022, 12, 31), date(2022, 12, 31)).trajectories == 1
    assert compute(ROWS, date(2018, 6, 15), date(2018, 6, 15)).trajectories == 2
    assert compute(ROWS, date(2023, 3, 1), date(2023, 3, 31)).trajectories == 1
    assert compute(ROWS, date(2023, 3, 2), date(2023, 3, 31)).trajectories == 0


def test_empty_period() -> None:
    """No trajectories: counts are zero, averages and satisfaction percentages are null."""
    d = compute(ROWS, date(2030, 1, 1), date(2030, 12, 31)).as_dict()
    assert d["trajectories"] == d["certified_at_once"] == d["remaining_not_or_conditional"] == 0
    assert all(v == {"members": 0, "participated": 0} for v in d["participation"].values())
    assert set(d["average_score_per_norm"].values()) == {None}
    assert set(d["satisfaction"].values()) == {None}
    assert d["module_1"]["average_score"] is None and d["survey_answers"] == 0
    assert compute([], date(2030, 1, 1), date(2030, 1, 1)).trajectories == 0


def test_as_dict_is_json_with_every_key() -> None:
    """The JSON carries the period and every section under stable keys."""
    d = json.loads(compute(ROWS, FROM, TO).to_json())
    assert {
        "period",
        "trajectories",
        "certified_at_once",
        "not_or_conditionally_certified",
        "certified_after_heraudit",
        "remaining_not_or_conditional",
        "no_participation",
        "undecided",
        "participation",
        "average_score_per_norm",
        "average_score_per_norm_by_association",
        "average_score_per_norm_by_category",
        "module_1",
        "satisfaction",
        "survey_answers",
    } <= set(d)
    assert d["period"] == {"from": "2018-01-01", "to": "2023-02-21"}


def test_from_after_to_is_rejected() -> None:
    """A period that ends before it starts is an error, not an empty report."""
    with pytest.raises(ValueError, match="ligt na"):
        compute([ReportRow(opened_on=date(2019, 1, 1), association="VOB")], date(2020, 1, 1), date(2019, 1, 1))
