"""Audit scores for the demo: question scores that lead to the register's verdict, and the findings,
improvement points and summary an auditor writes beside them.

CBCT's pattern of 2018-2022: norms 1, 2 and 5 score relatively well, 3, 4 and 6 weaker, 7 in between
(a norm's score is the sum of its four questions). A voorwaardelijk verdict has one or two failing
norms, a negative one three or four, chosen mostly among the weak norms. Every draw comes from the
trajectory's own random stream, so changing how scores are drawn changes the plan's later draws too.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from application.demo.scenario import PlanningError
from domain import Result, Rules, Score
from domain.verdict import evaluate

NORM_OFFSET = {"1": 1.2, "2": 1.0, "5": 1.3, "7": 0.3, "3": -0.6, "4": -0.7, "6": -0.8}
"""How far a norm's mean score sits from the organisation's overall strength."""
MODULE_OFFSET = 0.6
"""The same for the modules (M1, M2 …): somewhat above average."""
FAIL_WEIGHT = {"3": 3.0, "4": 3.0, "6": 3.0, "7": 1.5, "1": 0.4, "2": 0.4, "5": 0.4}
"""How likely each norm is to be a failing one."""

ScoreTable = dict[str, dict[str, Score]]
"""Norm id → question id → score."""


@dataclass(frozen=True)
class ScoreSheet:
    """The drawn scores and the norms they make fail (by the framework's verdict rule)."""

    scores: ScoreTable
    failing_norms: tuple[str, ...]


def draw_scores(
    rng: random.Random, scope: tuple[str, ...], verdict: Result, *, heraudit: bool, rules: Rules, label: str
) -> ScoreSheet:
    """Question scores consistent with ``verdict``: strong norms 1, 2, 5; weak 3, 4, 6; 7 between."""
    strength = max(-2.0, min(2.0, rng.gauss(0.0, 1.0)))
    failing: dict[str, int] = {}
    if not heraudit and verdict is not Result.CERTIFIED:
        candidates = [n for n in scope if n in FAIL_WEIGHT]
        count = (1 if rng.random() < 0.65 else 2) if verdict is Result.CONDITIONAL else rng.randint(3, 4)
        chosen: list[str] = []
        while len(chosen) < count:
            pick = rng.choices(candidates, weights=[FAIL_WEIGHT[n] for n in candidates])[0]
            if pick not in chosen:
                chosen.append(pick)
        low = 4 if verdict is Result.CONDITIONAL else 2
        failing = {n: rng.randint(low, 5) for n in chosen}
    result: ScoreTable = {}
    for norm in scope:
        offset = NORM_OFFSET.get(norm, MODULE_OFFSET)
        mean = 8.0 + strength + offset + rng.gauss(0.0, 0.9)
        total = failing.get(norm, max(6, min(12, round(mean))))
        result[norm] = _questions(rng, norm, total, rules)
    computed, _ = evaluate(result, scope, heraudit, rules)
    if computed.verdict is not verdict:  # by construction this cannot happen; keep the plan honest
        raise PlanningError(f"{label}: scores geven '{computed.verdict.value}', verwacht '{verdict.value}'")
    return ScoreSheet(result, computed.failing_norms)


def _questions(rng: random.Random, norm: str, total: int, rules: Rules) -> dict[str, Score]:
    """The four question scores of one norm adding up to ``total``; the last question usually weakest."""
    base, rest = divmod(total, 4)
    values = [base] * 4
    for index in rng.sample(range(4), rest):
        values[index] += 1
    for _ in range(rng.randint(0, 2)):
        up, down = rng.sample(range(4), 2)
        if values[up] < 3 and values[down] > 0:
            values[up] += 1
            values[down] -= 1
    if rng.random() < 0.6:
        values.sort(reverse=True)  # evaluation and improvement (d) is usually the weakest
    by_value = {value: score for score, value in rules.scale.items()}
    ids = [q.id for q in rules.norm(norm).questions]
    return {qid: by_value[value] for qid, value in zip(ids, values, strict=True)}


def _means(scores: ScoreTable, rules: Rules) -> dict[str, float]:
    return {n: sum(rules.scale[s] for s in q.values()) / len(q) for n, q in scores.items()}


def findings(scores: ScoreTable, rules: Rules) -> tuple[str, ...]:
    """The strongest norm, and every norm below the pass threshold with its mean."""
    means = _means(scores, rules)
    threshold = rules.verdict.pass_threshold
    best = max(means, key=lambda n: (means[n], n))
    found = [f"Norm {best} ({rules.norm(best).name}): sterk punt, de aanpak is zichtbaar in de praktijk."]
    found += [
        f"Norm {n} ({rules.norm(n).name}) voldoet niet: {means[n]:.2f} (< {threshold})."
        for n in sorted(means)
        if means[n] < threshold
    ]
    return tuple(found)


def improvement_points(scores: ScoreTable, rules: Rules) -> tuple[str, ...]:
    """An improvement point for each of the two weakest norms."""
    means = _means(scores, rules)
    weakest = sorted(means, key=lambda n: (means[n], n))[:2]
    return tuple(f"Norm {n} ({rules.norm(n).name}): evaluatie en verbetering systematisch beleggen." for n in weakest)


def summary(scores: ScoreTable, rules: Rules) -> str:
    """The draft report's one-line summary: every norm's mean score."""
    means = _means(scores, rules)
    return "Normscores: " + ", ".join(f"{n} {means[n]:.2f}" for n in scores)
