"""The verdict rule: from scores per question to a norm score, and from norm scores to a verdict.

Arithmetic is exact (fractions), so a norm at exactly the pass mark passes regardless of how the
mean is written in binary. The thresholds are framework data (``Rules.verdict``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

from domain.rules import Rules, VerdictRule
from domain.vocabulary import Result, Score

BASE = "basis"


class Evaluation(NamedTuple):
    """A verdict with the norms that failed it."""

    verdict: Result
    failing_norms: tuple[str, ...]


def norm_score(answers: Mapping[str, Score], rules: Rules) -> Fraction:
    """The mean of a norm's question scores on the framework's scale."""
    values = [rules.scale[score] for score in answers.values()]
    return Fraction(sum(values), len(values))


def norm_scores(scores: Mapping[str, Mapping[str, Score]], rules: Rules) -> dict[str, Fraction]:
    """Norm score per norm."""
    return {norm: norm_score(answers, rules) for norm, answers in scores.items()}


def _threshold(value: float) -> Fraction:
    return Fraction(str(value))


def _failing(scores: Mapping[str, Fraction], norms: Sequence[str], rule: VerdictRule) -> tuple[str, ...]:
    return tuple(n for n in norms if scores[n] < _threshold(rule.pass_threshold))


def full_verdict(scores: Mapping[str, Fraction], norms: Sequence[str], rule: VerdictRule) -> Evaluation:
    """All pass → gecertificeerd; a few fail and none below the floor → voorwaardelijk; else niet."""
    failing = _failing(scores, norms, rule)
    if not failing:
        return Evaluation(Result.CERTIFIED, ())
    above_floor = all(scores[n] >= _threshold(rule.conditional_floor) for n in norms)
    if len(failing) <= rule.max_failing_for_conditional and above_floor:
        return Evaluation(Result.CONDITIONAL, failing)
    return Evaluation(Result.NOT_CERTIFIED, failing)


def heraudit_verdict(scores: Mapping[str, Fraction], norms: Sequence[str], rule: VerdictRule) -> Evaluation:
    """A heraudit is positive when every norm in its scope passes; otherwise niet gecertificeerd."""
    failing = _failing(scores, norms, rule)
    return Evaluation(Result.NOT_CERTIFIED if failing else Result.CERTIFIED, failing)


def module_sets(scope: Sequence[str], rules: Rules) -> dict[str, tuple[str, ...]]:
    """The module sets a verdict is computed for: the base norms, and base + each module in scope."""
    base = tuple(n for n in scope if n in rules.base_norm_ids)
    sets = {BASE: base}
    for module in rules.modules:
        if module.id in scope:
            sets[f"{BASE}+{module.id}"] = (*base, module.id)
    return sets


def evaluate(
    scores: Mapping[str, Mapping[str, Score]], scope: Sequence[str], heraudit_rule: bool, rules: Rules
) -> tuple[Evaluation, dict[str, Result]]:
    """The decisive evaluation and the verdict per module set.

    A regular audit is judged per module set, and the widest set in scope decides (assumed: with
    module 1 in scope, the certificate covers base + module 1). A heraudit is judged on its scope.
    """
    means = norm_scores(scores, rules)
    if heraudit_rule:
        decisive = heraudit_verdict(means, tuple(scope), rules.verdict)
        return decisive, {"heraudit": decisive.verdict}
    sets = module_sets(scope, rules)
    per_set = {name: full_verdict(means, norms, rules.verdict) for name, norms in sets.items()}
    decisive = per_set[next(reversed(sets))]
    return decisive, {name: result.verdict for name, result in per_set.items()}
