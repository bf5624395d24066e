"""Framework rule data: loading, assumed values, and versions that never leak into running trajectories."""

from __future__ import annotations

from datetime import date

import pytest

from domain import DecidePostponement, FrameworkMismatch, OpenTrajectory, RequestPostponement, Rules, deadlines, decide
from domain.vocabulary import PostponementGround, Score
from frameworks.loader import FrameworkNotFound, assumed_values, available_versions, load_rules
from tests.unit.driver import Trajectory, at


def test_both_framework_versions_load_with_seven_norms_of_four_questions(kib2018: Rules, kib2: Rules) -> None:
    """KiB 2018 and KiB II each have the seven norms, four questions each, and module 1."""
    assert available_versions() == ["kib-2018", "kib-ii-2023"]
    for rules in (kib2018, kib2):
        assert [n.name for n in rules.norms] == [
            "Missie, visie, strategie & beleid",
            "Middelen",
            "Mensen",
            "Samenwerking",
            "Producten & diensten",
            "Resultaten & verantwoording",
            "Compliance",
        ]
        assert all(len(n.questions) == 4 for n in rules.norms)
        assert rules.modules[0].name == "Educatieve dienstverlening"
        assert rules.scale[Score.LARGELY] == 2


def test_loading_is_cached(kib2: Rules) -> None:
    """Every caller shares one Rules instance per version."""
    assert load_rules("kib-ii-2023") is kib2


def test_unknown_framework_version_is_named() -> None:
    """Asking for a version without a data file lists the ones that exist."""
    with pytest.raises(FrameworkNotFound, match="kib-2099"):
        load_rules("kib-2099")


def test_assumed_values_are_listed_with_their_paths(kib2: Rules) -> None:
    """Unpublished values are marked in the file and listed, with their value and note."""
    listed = {a.path: a.value for a in assumed_values("kib-ii-2023")}
    assert listed["postponement.max_regular"] == 2
    verdict = listed["verdict"]
    assert isinstance(verdict, dict) and verdict["pass_threshold"] == 1.5
    assert listed["terms.draft_report_days"] == 21
    assert "terms.intake_days" not in listed  # published: 14 days
    assert set(kib2.assumed) == set(listed)


def test_kib_ii_differs_from_kib_2018_in_an_assumed_value(kib2018: Rules, kib2: Rules) -> None:
    """CBCT tightened the postponement limit after 2022: 3 under KiB 2018, 2 under KiB II (both assumed)."""
    assert (kib2018.postponement.max_regular, kib2.postponement.max_regular) == (3, 2)


def test_a_trajectory_refuses_rules_of_another_version(kib2018: Rules, kib2: Rules) -> None:
    """A trajectory opened under KiB 2018 is never judged by KiB II rules."""
    t = Trajectory(kib2018)
    t.do(
        OpenTrajectory,
        "2022-01-10",
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry=date(2022, 9, 30),
    )
    command = t.command(RequestPostponement, ground=PostponementGround.RELOCATION, reason="nieuwbouw")
    with pytest.raises(FrameworkMismatch, match="kib-2018"):
        decide(t.state, command, at("2023-03-01"), kib2)
    with pytest.raises(FrameworkMismatch):
        deadlines(t.s, kib2)


def test_a_rule_change_in_a_new_version_never_changes_a_running_trajectory(kib2018: Rules) -> None:
    """A KiB 2018 trajectory still in progress in 2023 keeps its third regular postponement (KiB II: 2)."""
    t = Trajectory(kib2018)
    t.do(
        OpenTrajectory,
        "2022-06-01",
        organisation="Muziekschool Krimpen",
        certificate_number="1081",
        association="Cultuurconnectie",
        framework_version="kib-2018",
        audit_quarter="2022-K4",
    )
    assert t.s.framework_version == "kib-2018"
    quarters = ["2023-K1", "2023-K2", "2023-K3"]
    for number, quarter in enumerate(quarters, start=1):
        t.do(RequestPostponement, f"2022-0{6 + number}-01", ground="verhuizing of nieuwbouw", reason="verbouwing")
        t.do(DecidePostponement, f"2022-0{6 + number}-02", grant=True, reason="verbouwing", new_quarter=quarter)
    assert t.s.postponements.regular_granted == 3  # allowed by the version it opened under
    rules_now = load_rules(t.s.framework_version)
    assert rules_now.version_id == "kib-2018" and rules_now.postponement.max_regular == 3
