"""The verdict rule, on its own: norm score = mean of questions; pass at 1.5; voorwaardelijk with 1-2
failing norms none below 1.0; otherwise niet gecertificeerd."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from domain import Result, Rules, Score
from domain.verdict import evaluate, full_verdict, norm_score, norm_scores
from tests.unit.driver import scores

N, B, G, V = Score.NOT, Score.LIMITED, Score.LARGELY, Score.FULLY
BASE = ("1", "2", "3", "4", "5", "6", "7")


def test_a_norm_score_is_the_mean_of_its_questions(kib2: Rules) -> None:
    """Niet, Beperkt, Grotendeels, Volledig → (0+1+2+3)/4 = 1.5."""
    assert norm_score({"a": N, "b": B, "c": G, "d": V}, kib2) == Fraction(3, 2)


@pytest.mark.parametrize(
    ("overrides", "verdict", "failing"),
    [
        ({}, Result.CERTIFIED, ()),
        ({"n3": [N, B, G, V]}, Result.CERTIFIED, ()),  # exactly 1.5 passes
        ({"n3": [B, B, G, B]}, Result.CONDITIONAL, ("3",)),  # 1.25
        ({"n3": [B, B, B, B], "n6": [B, B, G, B]}, Result.CONDITIONAL, ("3", "6")),  # 1.0 is not below the floor
        ({"n3": [N, B, B, B]}, Result.NOT_CERTIFIED, ("3",)),  # 0.75 below the floor
        ({"n1": B, "n2": B, "n3": B}, Result.NOT_CERTIFIED, ("1", "2", "3")),  # three failing norms
    ],
)
def test_the_verdict_follows_from_the_norm_scores(
    kib2: Rules, overrides: dict[str, Any], verdict: Result, failing: tuple[str, ...]
) -> None:
    """Boundary cases of the rule, with the failing norms named."""
    means = norm_scores(scores(BASE, kib2, **overrides), kib2)
    assert full_verdict(means, BASE, kib2.verdict) == (verdict, failing)


def test_the_verdict_is_computed_per_module_set_and_module_1_decides_when_in_scope(kib2: Rules) -> None:
    """Base all pass but module 1 fails: base → gecertificeerd, base + module 1 → voorwaardelijk (decisive)."""
    scope = (*BASE, "M1")
    decisive, per_set = evaluate(scores(scope, kib2, nM1=B), scope, False, kib2)
    assert per_set == {"basis": Result.CERTIFIED, "basis+M1": Result.CONDITIONAL}
    assert decisive == (Result.CONDITIONAL, ("M1",))


def test_a_heraudit_passes_only_when_every_norm_in_its_scope_passes(kib2: Rules) -> None:
    """Heraudit on norm 3: 1.5 → gecertificeerd; 1.25 → niet gecertificeerd."""
    assert evaluate(scores(("3",), kib2, n3=[N, B, G, V]), ("3",), True, kib2)[0].verdict is Result.CERTIFIED
    assert evaluate(scores(("3",), kib2, n3=[B, B, G, B]), ("3",), True, kib2)[0].verdict is Result.NOT_CERTIFIED
