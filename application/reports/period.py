"""The period report: CBCT's *hoofdlijnenrapportage* computed from the trajectory overview read model.

Which trajectories belong to the period: those **opened** (``opened_on``) between ``date_from`` and
``date_to``, both inclusive. A trajectory belongs to the certification round it was opened for, so a
report over a round counts it even when its verdict (or heraudit) falls after the round ended; an
undecided trajectory counts in ``trajectories`` and ``undecided`` only.

Definitions (the register's Dutch values, see ``domain.vocabulary``):

- ``trajectories``: every trajectory in the period.
- ``participation[association]``: ``members`` = trajectories of that association (VOB,
  Cultuurconnectie, "Cultuurconnectie + VOB"); ``participated`` = those without remark "Geen deelname".
- ``no_participation``: trajectories with remark "Geen deelname".
- ``certified_at_once``: result "Gecertificeerd" (a heraudit keeps the remedied result, so these
  were certified on the regular audit).
- ``not_or_conditionally_certified``: participated, and result "Voorwaardelijk gecertificeerd" or
  "Niet gecertificeerd" (withdrawals, "Niet gecertificeerd" + "Geen deelname", are excluded).
- ``certified_after_heraudit``: remark "Gecertificeerd na heraudit".
- ``remaining_not_or_conditional``: not_or_conditionally_certified − certified_after_heraudit.
- ``undecided``: participated and no result yet.
- ``average_score_per_norm[norm]``: the mean of the regular audit's norm score (``audit_norm_scores``,
  the mean of the norm's questions on the 0..3 scale) as a percentage of the maximum score:
  mean / 3 × 100, rounded half up to 1 decimal; over the trajectories that have a regular audit score
  for that norm (a heraudit does not change it). Norms "1".."7"; ``None`` when nobody has a score.
  The same per association (``average_score_per_norm_by_association``) and per audit category
  (``average_score_per_norm_by_category``, categories I..IV).
- ``module_1``: module 1 Educatieve dienstverlening (id "M1"): ``in_scope`` = trajectories with M1 in
  their modules, ``scored`` = those with a regular audit score for M1, ``average_score`` (percentage as
  above), and ``by_association`` / ``by_category`` averages.
- ``satisfaction[answer]``: percentage of the survey answers given (rounded half up to 1 decimal), for
  every answer of ``Satisfaction`` in order; ``None`` each when no answer was given.
  ``survey_answers`` is the number of answers given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Protocol

from domain.vocabulary import Association, Remark, Result, Satisfaction

MAX_SCORE = 3
MODULE_1 = "M1"
MODULE_1_NAME = "Educatieve dienstverlening"
NORMS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7")
NORM_NAMES: Mapping[str, str] = {
    "1": "Missie, visie, strategie & beleid",
    "2": "Middelen",
    "3": "Mensen",
    "4": "Samenwerking",
    "5": "Producten & diensten",
    "6": "Resultaten & verantwoording",
    "7": "Compliance",
}
CATEGORIES: tuple[str, ...] = ("I", "II", "III", "IV")
ASSOCIATIONS: tuple[str, ...] = tuple(a.value for a in Association)
ANSWERS: tuple[str, ...] = tuple(s.value for s in Satisfaction)
NOT_OR_CONDITIONAL = frozenset({Result.CONDITIONAL.value, Result.NOT_CERTIFIED.value})


class Row(Protocol):
    """What the report needs of a trajectory (a ``ReportRow`` or ``projections.overview.TrajectoryOverview``)."""

    @property
    def opened_on(self) -> date: ...
    @property
    def association(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def modules(self) -> Sequence[str]: ...
    @property
    def result(self) -> str | None: ...
    @property
    def remark(self) -> str | None: ...
    @property
    def audit_norm_scores(self) -> Mapping[str, float] | None: ...
    @property
    def survey_answer(self) -> str | None: ...


@dataclass(frozen=True)
class ReportRow:
    """One trajectory as the report reads it from the ``trajectories`` read model."""

    opened_on: date
    association: str
    category: str | None = None
    modules: tuple[str, ...] = ()
    result: str | None = None
    remark: str | None = None
    audit_norm_scores: Mapping[str, float] | None = None
    survey_answer: str | None = None
    trajectory_id: str = ""
    decided_on: date | None = None


def percentage(part: Fraction | int, whole: Fraction | int) -> float | None:
    """part / whole × 100, rounded half up to 1 decimal; None when whole is 0."""
    if not whole:
        return None
    value = Fraction(part) * 100 / Fraction(whole)
    return math.floor(value * 10 + Fraction(1, 2)) / 10


def average_score(scores: Iterable[float]) -> float | None:
    """The mean of norm scores (0..3) as a percentage of the maximum, 1 decimal; None without scores."""
    values = [Fraction(s) for s in scores]
    if not values:
        return None
    return percentage(sum(values, Fraction(0)), len(values) * MAX_SCORE)


def _norm_averages(rows: Sequence[Row], norms: Sequence[str] = NORMS) -> dict[str, float | None]:
    return {
        norm: average_score(
            r.audit_norm_scores[norm] for r in rows if r.audit_norm_scores and norm in r.audit_norm_scores
        )
        for norm in norms
    }


@dataclass(frozen=True)
class Participation:
    members: int
    participated: int


@dataclass(frozen=True)
class Module1:
    in_scope: int
    scored: int
    average_score: float | None
    by_association: dict[str, float | None]
    by_category: dict[str, float | None]


@dataclass(frozen=True)
class PeriodReport:
    """The hoofdlijnenrapportage of one period; see the module docstring for every definition."""

    date_from: date
    date_to: date
    trajectories: int
    certified_at_once: int
    not_or_conditionally_certified: int
    certified_after_heraudit: int
    remaining_not_or_conditional: int
    no_participation: int
    undecided: int
    participation: dict[str, Participation]
    average_score_per_norm: dict[str, float | None]
    average_score_per_norm_by_association: dict[str, dict[str, float | None]]
    average_score_per_norm_by_category: dict[str, dict[str, float | None]]
    module_1: Module1
    satisfaction: dict[str, float | None]
    survey_answers: int
    norm_names: dict[str, str] = field(default_factory=lambda: dict(NORM_NAMES))

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings)."""
        return {
            "period": {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()},
            "trajectories": self.trajectories,
            "certified_at_once": self.certified_at_once,
            "not_or_conditionally_certified": self.not_or_conditionally_certified,
            "certified_after_heraudit": self.certified_after_heraudit,
            "remaining_not_or_conditional": self.remaining_not_or_conditional,
            "no_participation": self.no_participation,
            "undecided": self.undecided,
            "participation": {
                a: {"members": p.members, "participated": p.participated} for a, p in self.participation.items()
            },
            "average_score_per_norm": dict(self.average_score_per_norm),
            "average_score_per_norm_by_association": {
                a: dict(v) for a, v in self.average_score_per_norm_by_association.items()
            },
            "average_score_per_norm_by_category": {
                c: dict(v) for c, v in self.average_score_per_norm_by_category.items()
            },
            "module_1": {
                "id": MODULE_1,
                "name": MODULE_1_NAME,
                "in_scope": self.module_1.in_scope,
                "scored": self.module_1.scored,
                "average_score": self.module_1.average_score,
                "by_association": dict(self.module_1.by_association),
                "by_category": dict(self.module_1.by_category),
            },
            "satisfaction": dict(self.satisfaction),
            "survey_answers": self.survey_answers,
            "norm_names": dict(self.norm_names),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def compute(rows: Iterable[Row], date_from: date, date_to: date) -> PeriodReport:
    """The report over the rows opened between date_from and date_to (inclusive); pure."""
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} ligt na date_to {date_to}")
    rows = [r for r in rows if date_from <= r.opened_on <= date_to]
    withdrawn = [r for r in rows if r.remark == Remark.NO_PARTICIPATION.value]
    taking_part = [r for r in rows if r.remark != Remark.NO_PARTICIPATION.value]
    not_or_conditional = sum(1 for r in taking_part if r.result in NOT_OR_CONDITIONAL)
    after_heraudit = sum(1 for r in rows if r.remark == Remark.CERTIFIED_AFTER_HERAUDIT.value)

    by_association = {a: [r for r in rows if r.association == a] for a in ASSOCIATIONS}
    by_category = {c: [r for r in rows if r.category == c] for c in CATEGORIES}
    m1_scored = [r for r in rows if r.audit_norm_scores and MODULE_1 in r.audit_norm_scores]

    answers = [r.survey_answer for r in rows if r.survey_answer]
    return PeriodReport(
        date_from=date_from,
        date_to=date_to,
        trajectories=len(rows),
        certified_at_once=sum(1 for r in rows if r.result == Result.CERTIFIED.value),
        not_or_conditionally_certified=not_or_conditional,
        certified_after_heraudit=after_heraudit,
        remaining_not_or_conditional=not_or_conditional - after_heraudit,
        no_participation=len(withdrawn),
        undecided=sum(1 for r in taking_part if r.result is None),
        participation={
            a: Participation(
                members=len(members),
                participated=sum(1 for r in members if r.remark != Remark.NO_PARTICIPATION.value),
            )
            for a, members in by_association.items()
        },
        average_score_per_norm=_norm_averages(rows),
        average_score_per_norm_by_association={a: _norm_averages(rs) for a, rs in by_association.items()},
        average_score_per_norm_by_category={c: _norm_averages(rs) for c, rs in by_category.items()},
        module_1=Module1(
            in_scope=sum(1 for r in rows if MODULE_1 in r.modules),
            scored=len(m1_scored),
            average_score=_norm_averages(rows, (MODULE_1,))[MODULE_1],
            by_association={a: _norm_averages(rs, (MODULE_1,))[MODULE_1] for a, rs in by_association.items()},
            by_category={c: _norm_averages(rs, (MODULE_1,))[MODULE_1] for c, rs in by_category.items()},
        ),
        satisfaction={a: percentage(answers.count(a), len(answers)) for a in ANSWERS},
        survey_answers=len(answers),
    )


QUERY = """SELECT trajectory_id, opened_on, decided_on, association, category, modules, result, remark,
                  audit_norm_scores, survey_answer
             FROM trajectories
            WHERE opened_on BETWEEN $1 AND $2
            ORDER BY opened_on, trajectory_id"""


async def period_report(pool: Any, date_from: date, date_to: date) -> PeriodReport:
    """The report from the ``trajectories`` read model (catch up the projections first)."""
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} ligt na date_to {date_to}")
    records = await pool.fetch(QUERY, date_from, date_to)
    rows = []
    for rec in records:
        scores = rec["audit_norm_scores"]
        if isinstance(scores, str):
            scores = json.loads(scores)
        rows.append(
            ReportRow(
                trajectory_id=rec["trajectory_id"],
                opened_on=rec["opened_on"],
                decided_on=rec["decided_on"],
                association=rec["association"],
                category=rec["category"],
                modules=tuple(rec["modules"] or ()),
                result=rec["result"],
                remark=rec["remark"],
                audit_norm_scores={str(k): float(v) for k, v in scores.items()} if scores else None,
                survey_answer=rec["survey_answer"],
            )
        )
    return compute(rows, date_from, date_to)
