"""Audit scores for the demo: question scores that lead to the register's verdict and bear out CBCT's
findings for 2018-2022, and the findings, improvement points and summary an auditor writes beside them.

The findings are built in, not left to the luck of a seed. A norm's total (the sum of its four
questions, 0..12) is a level fixed by who is audited, plus a little noise:

- the norm (CBCT's finding 1): norms 1, 2 and 5 high, compliance (7) in between, 6, 3 and 4 low, two
  points apart, so the order holds per trajectory and hence in every group;
- the association (findings 2, 5, 6): VOB members above the Cultuurconnectie members, who are lower
  on people (3) and results & accountability (6) in particular; members of both above the other
  Cultuurconnectie members, with cooperation (4) and compliance (7) up and norm 1 down;
- the audit category (findings 4 and 7): in the VOB group categories I and II below III and IV, in the
  Cultuurconnectie group II and IV above I and III; category I weak and IV strong in both.

The noise (a shared strength and a per-norm jitter of at most half a point each) is several times
smaller than every gap the findings rest on. A trajectory that fails gets its failing norms among the
weak ones (3, 4, 6), so failing never lifts a weak norm above a strong one, and the points it loses
there are given back on its strong norms as far as they reach, so its total stays at its level.

The reading-promotion module (module 1, libraries) is mostly *volledig* on every criterion, weaker on
embedding and policy (a), collection and reading environment (c) and steering on results (d); where
the planner marks the library's reading-promotion base as not in order (six libraries in the register,
as CBCT reports), criterion a is *beperkt* while the module still passes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from application.demo.scenario import PlanningError
from domain import Association, Result, Rules, Score
from domain.verdict import evaluate

LEVEL = {"1": 10.5, "2": 10.5, "5": 10.5, "7": 9.0, "3": 7.5, "4": 7.5, "6": 7.5}
"""A norm's total (of 12) for an average auditee: strong 1, 2, 5; compliance between; weak 3, 4, 6."""
ASSOCIATION_OFFSET: dict[Association, dict[str, float]] = {
    Association.VOB: {n: 0.5 for n in LEVEL},
    Association.CULTUURCONNECTIE: {**{n: -0.4 for n in LEVEL}, "3": -0.8, "6": -0.8},
    Association.BOTH: {**{n: 0.3 for n in LEVEL}, "1": -1.2, "4": 1.5, "7": 1.2},
}
"""Per association and norm, added to the level (members of both are their own association here)."""
CATEGORY_OFFSET: dict[Association, dict[str, float]] = {
    Association.VOB: {"I": -0.7, "II": -0.4, "III": 0.4, "IV": 0.8},
    Association.CULTUURCONNECTIE: {"I": -0.7, "II": 0.4, "III": -0.6, "IV": 0.8},
    Association.BOTH: {"I": -1.0, "II": 0.4, "III": -1.0, "IV": 0.8},
}
"""Per association and audit category, added to every norm."""
WEAK_NORMS = ("6", "3", "4")
"""Where failing norms are chosen: the weak norms only."""
STRONG_NORMS = ("5", "1", "2", "7")
"""Where a failing trajectory's lost points are given back, in this order."""
MODULE_CRITERIA = {"a": 0.72, "b": 0.88, "c": 0.62, "d": 0.58}
"""Module 1 (reading promotion): the chance of *volledig* per criterion; otherwise *grotendeels*."""
BASE_CRITERION = "a"
"""The criterion that says whether the library's reading-promotion base is in order."""
MAX_TOTAL = 12
PASSING_TOTAL = 6
"""The lowest total that passes (mean 1.5); a norm not chosen to fail never goes below it."""

ScoreTable = dict[str, dict[str, Score]]
"""Norm id → question id → score."""


@dataclass(frozen=True)
class ScoreSheet:
    """The drawn scores and the norms they make fail (by the framework's verdict rule)."""

    scores: ScoreTable
    failing_norms: tuple[str, ...]


@dataclass(frozen=True)
class Auditee:
    """Who is audited, as far as the scores depend on it."""

    association: Association
    category: str
    reading_base_in_order: bool = True


def level(auditee: Auditee, norm: str) -> float:
    """The designed total (of 12) of a norm for this auditee, before noise."""
    association = auditee.association
    return LEVEL[norm] + ASSOCIATION_OFFSET[association][norm] + CATEGORY_OFFSET[association][auditee.category]


def draw_scores(
    rng: random.Random,
    scope: tuple[str, ...],
    verdict: Result,
    *,
    heraudit: bool,
    rules: Rules,
    label: str,
    auditee: Auditee,
) -> ScoreSheet:
    """Question scores consistent with ``verdict`` that follow CBCT's findings (see the module docstring)."""
    strength = rng.uniform(-0.5, 0.5)
    base = [n for n in scope if n in LEVEL]
    totals = {
        n: max(PASSING_TOTAL, min(MAX_TOTAL, round(level(auditee, n) + strength + rng.uniform(-0.5, 0.5))))
        for n in base
    }
    if not heraudit and verdict is not Result.CERTIFIED:
        candidates = [n for n in WEAK_NORMS if n in totals]
        count = (1 if rng.random() < 0.65 else 2) if verdict is Result.CONDITIONAL else len(candidates)
        chosen = rng.sample(candidates, min(count, len(candidates)))
        low = 4 if verdict is Result.CONDITIONAL else 2
        lost = 0
        for norm in chosen:
            failed = rng.randint(low, 5)
            lost += max(0, totals[norm] - failed)
            totals[norm] = min(totals[norm], failed)
        for norm in STRONG_NORMS:  # give the lost points back where the norm order allows it
            if norm in totals and lost > 0:
                room = MAX_TOTAL - totals[norm]
                totals[norm] += min(room, lost)
                lost -= min(room, lost)
    result: ScoreTable = {n: _questions(rng, n, totals[n], rules) for n in base}
    for module in (n for n in scope if n not in LEVEL):
        result[module] = _module(rng, module, auditee, rules)
    computed, _ = evaluate(result, scope, heraudit, rules)
    if computed.verdict is not verdict:  # by construction this cannot happen; keep the plan honest
        raise PlanningError(f"{label}: scores geven '{computed.verdict.value}', verwacht '{verdict.value}'")
    return ScoreSheet(result, computed.failing_norms)


def _module(rng: random.Random, module: str, auditee: Auditee, rules: Rules) -> dict[str, Score]:
    """A module's criteria: volledig or grotendeels by the criterion's chance; the base beperkt if not in order."""
    answers: dict[str, Score] = {}
    for question in rules.norm(module).questions:
        chance = MODULE_CRITERIA.get(question.id, 0.7)
        answers[question.id] = Score.FULLY if rng.random() < chance else Score.LARGELY
    if not auditee.reading_base_in_order and BASE_CRITERION in answers:
        answers[BASE_CRITERION] = Score.LIMITED
    return answers


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


def _dutch(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def findings(scores: ScoreTable, rules: Rules) -> tuple[str, ...]:
    """The strongest norm, and every norm below the pass threshold with its mean."""
    means = _means(scores, rules)
    threshold = f"{rules.verdict.pass_threshold:g}".replace(".", ",")
    best = max(means, key=lambda n: (means[n], n))
    found = [f"Norm {best} ({rules.norm(best).name}): sterk punt, de aanpak is zichtbaar in de praktijk."]
    found += [
        f"Norm {n} ({rules.norm(n).name}) voldoet niet: {_dutch(means[n])} (< {threshold})."
        for n in sorted(means)
        if means[n] < rules.verdict.pass_threshold
    ]
    return tuple(found)


def improvement_points(scores: ScoreTable, rules: Rules) -> tuple[str, ...]:
    """An improvement point for each of the two weakest norms."""
    means = _means(scores, rules)
    weakest = sorted(means, key=lambda n: (means[n], n))[:2]
    return tuple(f"Norm {n} ({rules.norm(n).name}): evaluatie en verbetering systematisch beleggen." for n in weakest)


def summary(scores: ScoreTable, rules: Rules) -> str:
    """The draft report's one-line summary: every norm's mean score (decimal commas)."""
    means = _means(scores, rules)
    return "Normscores: " + "; ".join(f"{n} {_dutch(means[n])}" for n in scores)
