"""Force majeure (calamity, pandemic, overmacht): always granted, never refused by the limit, counted
apart — under both framework versions, whose rule data names the grounds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from pydantic import ValidationError

from domain import DecidePostponement, PostponementRefused, RequestPostponement, Rules, ScheduleAudit
from domain.events import PostponementGranted, PostponementRequested
from domain.rules import PostponementRules
from domain.vocabulary import PostponementGround
from frameworks.loader import assumed_values, load_rules
from tests.unit.driver import Trajectory, only

Planned = Callable[..., Trajectory]
FORCE_MAJEURE = ["calamiteit", "pandemie", "overmacht"]
QUARTERS = ["2026-K3", "2026-K4", "2027-K1", "2027-K2", "2027-K3"]


def use_up_regular(t: Trajectory) -> int:
    """Grant regular postponements up to the framework's limit (KiB 2018: 3, KiB II: 2); the last one
    granted is the boundary case that must still pass."""
    limit = t.rules.postponement.max_regular
    for n in range(limit):
        t.do(RequestPostponement, f"2026-01-{5 + 2 * n:02d}", ground="verhuizing of nieuwbouw", reason="verbouwing")
        granted = t.do(DecidePostponement, f"2026-01-{6 + 2 * n:02d}", grant=True, reason="ok", new_quarter=QUARTERS[n])
        assert only(granted, PostponementGranted).regular_granted == n + 1
    return limit


@pytest.mark.parametrize("version", ["kib-2018", "kib-ii-2023"])
def test_the_rule_data_names_calamity_pandemic_and_overmacht_as_force_majeure(version: str) -> None:
    """Published by CBCT (DESIGN §1), so not marked assumed; the limit itself stays assumed."""
    rules = load_rules(version)
    assert [g.value for g in rules.postponement.force_majeure] == FORCE_MAJEURE
    paths = [a.path for a in assumed_values(version)]
    assert "postponement.force_majeure" not in paths and "postponement.max_regular" in paths


def test_a_force_majeure_ground_must_be_admissible_before_and_after_the_date_is_fixed() -> None:
    """Rule data that would refuse an always-granted ground as inadmissible does not load."""
    with pytest.raises(ValidationError, match=r"overmacht-grond pandemie ontbreekt in postponement\.after_date_fixed"):
        PostponementRules(
            max_regular=2,
            before_date_fixed=(PostponementGround.CALAMITY, PostponementGround.PANDEMIC),
            after_date_fixed=(PostponementGround.CALAMITY,),
            force_majeure=(PostponementGround.CALAMITY, PostponementGround.PANDEMIC),
            merger_within_months=9,
            decision_days=14,
        )


@pytest.mark.parametrize("ground", FORCE_MAJEURE)
def test_force_majeure_is_granted_after_the_limit_and_counted_apart(planned_each: Planned, ground: str) -> None:
    """With every regular postponement used, one more regular request is refused by the limit; a
    calamity, pandemic or overmacht is still admitted, cannot be refused, and counts apart."""
    t = planned_each()
    limit = use_up_regular(t)
    with pytest.raises(PostponementRefused) as refused:
        t.do(RequestPostponement, "2026-02-02", ground="langdurige afwezigheid management", reason="ziek")
    assert refused.value.rule == "postponement.limit"
    assert refused.value.message == (
        f"uitstel geweigerd: maximaal {limit} reguliere uitstellen per traject en er zijn er al {limit} verleend; "
        "alleen overmacht (calamiteit, pandemie of overmacht) wordt nog toegekend"
    )

    requested = only(t.do(RequestPostponement, "2026-02-02", ground=ground, reason="brand"), PostponementRequested)
    assert requested.force_majeure
    before = len(t.events)
    with pytest.raises(PostponementRefused) as refusal_refused:
        t.do(DecidePostponement, "2026-02-03", grant=False, reason="past niet")
    assert refusal_refused.value.rule == "postponement.force_majeure_always_granted"
    assert refusal_refused.value.message == (
        f"uitstelverzoek {limit + 1} ({ground}) is overmacht en wordt altijd toegekend; weigeren kan niet — "
        "verleen het met een nieuw auditkwartaal of een nieuwe auditdatum"
    )
    assert len(t.events) == before

    granted = only(
        t.do(DecidePostponement, "2026-02-03", grant=True, reason="overmacht", new_quarter=QUARTERS[limit]),
        PostponementGranted,
    )
    assert (granted.regular_granted, granted.force_majeure_granted) == (limit, 1)
    assert (t.s.postponements.regular_granted, t.s.postponements.force_majeure_granted) == (limit, 1)


def test_a_second_force_majeure_is_granted_as_well(planned_each: Planned) -> None:
    """Force majeure has no limit of its own: a calamity after a pandemic is granted too."""
    t = planned_each()
    for n, ground in enumerate(["pandemie", "calamiteit"]):
        t.do(RequestPostponement, f"2026-01-0{5 + 2 * n}", ground=ground, reason="overmacht")
        t.do(DecidePostponement, f"2026-01-0{6 + 2 * n}", grant=True, reason="ok", new_quarter=QUARTERS[n])
    assert (t.s.postponements.regular_granted, t.s.postponements.force_majeure_granted) == (0, 2)


def test_a_pandemic_is_admissible_once_the_date_is_fixed(planned_each: Planned) -> None:
    """After the date is fixed only force majeure counts, and a pandemic is force majeure."""
    t = planned_each()
    t.do(ScheduleAudit, "2026-01-08", audit_dates=[date(2026, 4, 21)], expert_auditor="E", peer_auditor="P")
    requested = only(
        t.do(RequestPostponement, "2026-03-02", ground="pandemie", reason="lockdown"), PostponementRequested
    )
    assert requested.date_fixed and requested.force_majeure


def test_a_regular_ground_is_not_force_majeure(each_framework: Rules, planned_each: Planned) -> None:
    """A relocation counts against the limit."""
    t = planned_each()
    requested = only(
        t.do(RequestPostponement, "2026-01-05", ground="verhuizing of nieuwbouw", reason="x"), PostponementRequested
    )
    assert not requested.force_majeure
    granted = only(
        t.do(DecidePostponement, "2026-01-06", grant=True, reason="ok", new_quarter="2026-K3"), PostponementGranted
    )
    assert (granted.regular_granted, granted.force_majeure_granted) == (1, 0)
