"""The period report: CBCT's *hoofdlijnenrapportage*, computed from trajectory facts as of a peildatum.

Which trajectories belong to the period: those **opened** (``opened_on``) between ``date_from`` and
``date_to``, both inclusive; a trajectory counts in the round it was opened for, even when its verdict
or heraudit falls after the round. Every figure is as the events stood at the end of the peildatum
(see ``as_of``).

CBCT's definitions (the register's Dutch values, see ``domain.vocabulary``):

- ``register_rows``: trajectories in the period (one register row each).
- ``carried_out`` (*uitgevoerde certificeringstrajecten*): trajectories in which the regular audit took
  place (its scores were recorded). A heraudit is part of its trajectory, not another one.
- ``no_participation``: remark *Geen deelname* (registered *niet gecertificeerd*); never carried out.
- ``not_yet_audited``: neither audited nor withdrawn (still planned or postponed).
- ``certified_at_once``: carried out, result *Gecertificeerd* (a heraudit keeps the remedied result).
- ``not_or_conditional``: carried out, result *Voorwaardelijk gecertificeerd* or *Niet gecertificeerd*;
  of those ``certified_after_heraudit`` (remark *Gecertificeerd na heraudit*) and ``remaining``,
  split into *Heraudit in voorbereiding*, *Geen heraudit aangevraagd* and no remark yet.
- ``undecided``: carried out, no verdict yet.
- Percentages: of ``carried_out`` (outcomes) or of all ratings (bands), rounded half up to one
  decimal and printed with a Dutch comma.
- Score bands per norm: every rating of the regular audit (per beoordelingsvraag) in *niet/beperkt*
  (red), *grotendeels* (yellow), *volledig* (green).
- Averages: the regular audit's norm score (0..3, the mean of its questions) as % of the maximum;
  the total score of a trajectory is the mean of its norm scores 1-7.
- Reading-promotion module (module 1, public libraries): bands per criterion (question) and the number
  of libraries whose reading-promotion base was not in order (*basis niet op orde*): its base
  criterion, embedding and policy (a), rated niet or beperkt. (Not the module's verdict: with the
  module in scope the widest module set decides the certificate, so a failing module would have made
  those libraries voorwaardelijk, and CBCT certified them.)
- Postponements: every request by ground (*overmacht* = force majeure, the rest regular) and answer;
  certificates extended; *uitstel werd afstel*: granted a postponement, then ended without an audit.
- Members: the number of members of each association at a date is an input (CBCT: VOB 138,
  Cultuurconnectie 134 on 31-12-2022), shown beside register rows and participants.
- Satisfaction: the survey answers of the period's trajectories as they stood at the survey's own
  cut-off date, an input (CBCT: 20-02-2023, a day before its peildatum); without one, at the peildatum.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from application.reports.backlog import BacklogQuarter, backlog_per_quarter
from application.reports.facts import GRANTED, LAPSED, PENDING, REFUSED, TrajectoryFacts
from application.reports.groups import GROUPS, Group
from domain.vocabulary import Association, Remark, Result, Satisfaction

MAX_SCORE = 3
MODULE_1 = "M1"
MODULE_1_NAME = "Educatieve dienstverlening (leesbevordering)"
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
#: The reading-promotion module's criteria as CBCT names them; the framework's questions a-d (assumed mapping).
CRITERIA: Mapping[str, str] = {
    "a": "Inbedding en beleid",
    "b": "Doelen en resultaten",
    "c": "Collectie en leesomgeving",
    "d": "Sturen op resultaten (PDCA)",
}
#: The criterion that says whether the library's reading-promotion base is in order (assumed: embedding and
#: policy); rated niet or beperkt, the base was not in order.
BASE_CRITERION = "a"
CATEGORIES: tuple[str, ...] = ("I", "II", "III", "IV")
ASSOCIATIONS: tuple[str, ...] = tuple(a.value for a in Association)
ANSWERS: tuple[str, ...] = tuple(s.value for s in Satisfaction)
#: CBCT's survey labels (its charts print *Niet tevreden*, not *ontevreden*).
ANSWER_LABELS: Mapping[str, str] = {
    "zeer tevreden": "Zeer tevreden",
    "tevreden": "Tevreden",
    "matig": "Matig tevreden",
    "ontevreden": "Niet tevreden",
    "zeer ontevreden": "Zeer ontevreden",
}
BANDS: tuple[str, ...] = ("niet/beperkt", "grotendeels", "volledig")
BAND_OF: Mapping[str, int] = {"Niet": 0, "Beperkt": 0, "Grotendeels": 1, "Volledig": 2}
NOT_OR_CONDITIONAL = frozenset({Result.CONDITIONAL.value, Result.NOT_CERTIFIED.value})
FORCE_MAJEURE = "overmacht"


def percentage(part: Fraction | int, whole: Fraction | int) -> float | None:
    """part / whole × 100, rounded half up to 1 decimal; None when whole is 0."""
    if not whole:
        return None
    value = Fraction(part) * 100 / Fraction(whole)
    return math.floor(value * 10 + Fraction(1, 2)) / 10


def average_score(scores: Iterable[float | Fraction]) -> float | None:
    """The mean of norm scores (0..3) as a percentage of the maximum, 1 decimal; None without scores.
    Exact: floats and Fractions (a trajectory's total) are summed as Fractions."""
    values = [Fraction(s) for s in scores]
    if not values:
        return None
    return percentage(sum(values, Fraction(0)), len(values) * MAX_SCORE)


@dataclass(frozen=True)
class Bands:
    """Ratings counted per band: niet/beperkt, grotendeels, volledig."""

    counts: tuple[int, int, int] = (0, 0, 0)

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def shares(self) -> tuple[float | None, float | None, float | None]:
        return (
            percentage(self.counts[0], self.total),
            percentage(self.counts[1], self.total),
            percentage(self.counts[2], self.total),
        )

    @classmethod
    def of(cls, ratings: Iterable[str]) -> Bands:
        counts = [0, 0, 0]
        for rating in ratings:
            counts[BAND_OF[rating]] += 1
        return cls((counts[0], counts[1], counts[2]))


@dataclass(frozen=True)
class Outcomes:
    """Trajectories and their results (CBCT §3.1)."""

    register_rows: int
    carried_out: int
    certified_at_once: int
    not_or_conditional: int
    certified_after_heraudit: int
    heraudit_in_preparation: int
    no_heraudit_requested: int
    no_participation: int
    not_yet_audited: int
    undecided: int

    @property
    def remaining(self) -> int:
        return self.not_or_conditional - self.certified_after_heraudit

    @property
    def certified_at_once_pct(self) -> float | None:
        return percentage(self.certified_at_once, self.carried_out)

    @property
    def not_or_conditional_pct(self) -> float | None:
        return percentage(self.not_or_conditional, self.carried_out)

    @property
    def participation_pct(self) -> float | None:
        """Carried out, as a share of the register rows less those not yet audited."""
        return percentage(self.carried_out, self.carried_out + self.no_participation)


@dataclass(frozen=True)
class Postponements:
    """Uitstel (CBCT §3.3): requests by ground and answer, extensions, and uitstel werd afstel."""

    requests: int = 0
    force_majeure_requests: int = 0
    force_majeure_granted: int = 0
    force_majeure_refused: int = 0
    regular_requests: int = 0
    regular_granted: int = 0
    regular_refused: int = 0
    lapsed: int = 0
    pending: int = 0
    trajectories_postponed: int = 0
    certificates_extended: int = 0
    became_no_participation: int = 0


@dataclass(frozen=True)
class CategoryFigures:
    trajectories: int
    average_total: float | None


@dataclass(frozen=True)
class ModuleFigures:
    """The reading-promotion module: libraries with it scored, bands per criterion, base not in order."""

    libraries: int
    criteria: dict[str, Bands]
    average: float | None
    not_in_order: int


@dataclass(frozen=True)
class GroupFigures:
    group: Group
    members: int | None
    outcomes: Outcomes
    norm_averages: dict[str, float | None]
    norm_bands: dict[str, Bands]
    all_bands: Bands
    average_total: float | None
    categories: dict[str, CategoryFigures]
    postponements: Postponements
    module: ModuleFigures


@dataclass(frozen=True)
class Membership:
    """Member counts of the associations at a date: an input of the report, not derived."""

    on: date | None = None
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodReport:
    """The hoofdlijnenrapportage of one period as of one peildatum; see the module docstring."""

    date_from: date
    date_to: date
    peildatum: date
    membership: Membership
    groups: dict[str, GroupFigures]
    satisfaction: dict[str, int]
    register: tuple[TrajectoryFacts, ...]
    norm_names: dict[str, str] = field(default_factory=lambda: dict(NORM_NAMES))
    criteria_names: dict[str, str] = field(default_factory=lambda: dict(CRITERIA))
    survey_on: date | None = None
    backlog: tuple[BacklogQuarter, ...] = ()

    @property
    def all(self) -> GroupFigures:
        return self.groups["alle"]

    @property
    def survey_date(self) -> date:
        """The date the survey figures stand at: the survey's cut-off, else the peildatum."""
        return self.survey_on or self.peildatum

    @property
    def survey_answers(self) -> int:
        return sum(self.satisfaction.values())

    def satisfaction_pct(self, answer: str) -> float | None:
        return percentage(self.satisfaction.get(answer, 0), self.survey_answers)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings; percentages as numbers with one decimal)."""
        return {
            "period": {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()},
            "peildatum": self.peildatum.isoformat(),
            "survey_date": self.survey_date.isoformat(),
            "members": {
                "on": self.membership.on.isoformat() if self.membership.on else None,
                "counts": dict(self.membership.counts),
            },
            "groups": {key: _group_dict(g) for key, g in self.groups.items()},
            "satisfaction": {
                a: {"label": ANSWER_LABELS[a], "answers": self.satisfaction.get(a, 0), "pct": self.satisfaction_pct(a)}
                for a in ANSWERS
            },
            "survey_answers": self.survey_answers,
            "backlog": [
                {
                    "quarter": q.label,
                    "end": q.end.isoformat(),
                    "granted": q.granted,
                    "caught_up": q.caught_up,
                    "backlog": q.backlog,
                }
                for q in self.backlog
            ],
            "norm_names": dict(self.norm_names),
            "criteria_names": dict(self.criteria_names),
            "register": [
                {
                    "certificate_number": r.certificate_number,
                    "organisation": r.organisation,
                    "association": r.association,
                    "result": r.result,
                    "remark": r.remark,
                }
                for r in self.register
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


def _bands_dict(b: Bands) -> dict[str, Any]:
    return {"counts": dict(zip(BANDS, b.counts, strict=True)), "pct": dict(zip(BANDS, b.shares, strict=True))}


def _group_dict(g: GroupFigures) -> dict[str, Any]:
    o = g.outcomes
    return {
        "name": g.group.name,
        "members": g.members,
        "outcomes": {
            "register_rows": o.register_rows,
            "carried_out": o.carried_out,
            "certified_at_once": o.certified_at_once,
            "certified_at_once_pct": o.certified_at_once_pct,
            "not_or_conditional": o.not_or_conditional,
            "not_or_conditional_pct": o.not_or_conditional_pct,
            "certified_after_heraudit": o.certified_after_heraudit,
            "remaining": o.remaining,
            "heraudit_in_preparation": o.heraudit_in_preparation,
            "no_heraudit_requested": o.no_heraudit_requested,
            "no_participation": o.no_participation,
            "not_yet_audited": o.not_yet_audited,
            "undecided": o.undecided,
        },
        "norm_averages": dict(g.norm_averages),
        "average_total": g.average_total,
        "norm_bands": {n: _bands_dict(b) for n, b in g.norm_bands.items()},
        "categories": {
            c: {"trajectories": f.trajectories, "average_total": f.average_total} for c, f in g.categories.items()
        },
        "postponements": dict(vars(g.postponements)),
        "module_1": {
            "libraries": g.module.libraries,
            "average": g.module.average,
            "not_in_order": g.module.not_in_order,
            "criteria": {c: _bands_dict(b) for c, b in g.module.criteria.items()},
        },
    }


# --- computing ------------------------------------------------------------------------------------------


def outcomes(rows: Sequence[TrajectoryFacts]) -> Outcomes:
    done = [r for r in rows if r.audited and not r.no_participation]
    return Outcomes(
        register_rows=len(rows),
        carried_out=len(done),
        certified_at_once=sum(1 for r in done if r.result == Result.CERTIFIED.value),
        not_or_conditional=sum(1 for r in done if r.result in NOT_OR_CONDITIONAL),
        certified_after_heraudit=sum(1 for r in done if r.remark == Remark.CERTIFIED_AFTER_HERAUDIT.value),
        heraudit_in_preparation=sum(1 for r in done if r.remark == Remark.HERAUDIT_IN_PREPARATION.value),
        no_heraudit_requested=sum(1 for r in done if r.remark == Remark.NO_HERAUDIT_REQUESTED.value),
        no_participation=sum(1 for r in rows if r.no_participation),
        not_yet_audited=sum(1 for r in rows if not r.audited and not r.no_participation),
        undecided=sum(1 for r in done if r.result is None),
    )


def postponements(rows: Sequence[TrajectoryFacts]) -> Postponements:
    requests = [p for r in rows for p in r.postponements]
    fm = [p for p in requests if p.force_majeure or p.ground == FORCE_MAJEURE]
    regular = [p for p in requests if not (p.force_majeure or p.ground == FORCE_MAJEURE)]
    return Postponements(
        requests=len(requests),
        force_majeure_requests=len(fm),
        force_majeure_granted=sum(1 for p in fm if p.outcome == GRANTED),
        force_majeure_refused=sum(1 for p in fm if p.outcome == REFUSED),
        regular_requests=len(regular),
        regular_granted=sum(1 for p in regular if p.outcome == GRANTED),
        regular_refused=sum(1 for p in regular if p.outcome == REFUSED),
        lapsed=sum(1 for p in requests if p.outcome == LAPSED),
        pending=sum(1 for p in requests if p.outcome == PENDING),
        trajectories_postponed=sum(1 for r in rows if r.postponed),
        certificates_extended=sum(1 for r in rows if r.extended),
        became_no_participation=sum(1 for r in rows if r.postponement_became_cancellation),
    )


def _total(row: TrajectoryFacts) -> Fraction | None:
    scores = [Fraction(row.audit_norm_scores[n]) for n in NORMS if n in row.audit_norm_scores]
    return sum(scores, Fraction(0)) / len(scores) if scores else None


def _average_total(rows: Iterable[TrajectoryFacts]) -> float | None:
    totals = [t for r in rows if (t := _total(r)) is not None]
    return average_score(totals)


def module_figures(rows: Sequence[TrajectoryFacts]) -> ModuleFigures:
    scored = [r for r in rows if MODULE_1 in r.audit_ratings]
    return ModuleFigures(
        libraries=len(scored),
        criteria={
            c: Bands.of(r.audit_ratings[MODULE_1][c] for r in scored if c in r.audit_ratings[MODULE_1])
            for c in CRITERIA
        },
        average=average_score(r.audit_norm_scores[MODULE_1] for r in scored if MODULE_1 in r.audit_norm_scores),
        not_in_order=sum(1 for r in scored if BAND_OF[r.audit_ratings[MODULE_1].get(BASE_CRITERION, "Volledig")] == 0),
    )


def group_figures(group: Group, rows: Sequence[TrajectoryFacts], membership: Membership) -> GroupFigures:
    mine = [r for r in rows if group.includes(r)]
    audited = [r for r in mine if r.audited and not r.no_participation]
    ratings = {n: [s for r in audited for s in r.audit_ratings.get(n, {}).values()] for n in NORMS}
    return GroupFigures(
        group=group,
        members=membership.counts.get(group.member_key) if group.member_key else None,
        outcomes=outcomes(mine),
        norm_averages={
            n: average_score(r.audit_norm_scores[n] for r in audited if n in r.audit_norm_scores) for n in NORMS
        },
        norm_bands={n: Bands.of(ratings[n]) for n in NORMS},
        all_bands=Bands.of(s for n in NORMS for s in ratings[n]),
        average_total=_average_total(audited),
        categories={
            c: CategoryFigures(
                sum(1 for r in audited if r.category == c), _average_total(r for r in audited if r.category == c)
            )
            for c in CATEGORIES
        },
        postponements=postponements(mine),
        module=module_figures(audited),
    )


def register_rows(rows: Iterable[TrajectoryFacts]) -> tuple[TrajectoryFacts, ...]:
    """One row per certificate number: its newest trajectory in the period (as the register shows it)."""
    newest: dict[str, TrajectoryFacts] = {}
    for r in rows:
        seen = newest.get(r.certificate_number)
        if seen is None or (seen.opened_on, seen.trajectory_id) < (r.opened_on, r.trajectory_id):
            newest[r.certificate_number] = r
    return tuple(sorted(newest.values(), key=lambda r: (len(r.certificate_number), r.certificate_number)))


def compute(
    facts: Iterable[TrajectoryFacts],
    date_from: date,
    date_to: date,
    peildatum: date,
    membership: Membership | None = None,
    groups: Sequence[Group] = GROUPS,
    survey: tuple[date, Iterable[TrajectoryFacts]] | None = None,
) -> PeriodReport:
    """The report over the trajectories opened between date_from and date_to (inclusive); pure.
    `survey` is the survey's cut-off date with the facts as they stood then (satisfaction is counted there)."""
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} ligt na date_to {date_to}")
    rows = [r for r in facts if date_from <= r.opened_on <= date_to]
    membership = membership or Membership()
    surveyed = rows if survey is None else [r for r in survey[1] if date_from <= r.opened_on <= date_to]
    answers = [r.survey_answer for r in surveyed if r.survey_answer]
    return PeriodReport(
        date_from=date_from,
        date_to=date_to,
        peildatum=peildatum,
        membership=membership,
        groups={g.key: group_figures(g, rows, membership) for g in groups},
        satisfaction={a: answers.count(a) for a in ANSWERS},
        register=register_rows(rows),
        survey_on=survey[0] if survey else None,
        # audits of the period's trajectories go on after its last opening day: up to the peildatum
        backlog=backlog_per_quarter(rows, date_from, peildatum),
    )


async def period_report(
    store: Any, date_from: date, date_to: date, peildatum: date, membership: Membership | None = None
) -> PeriodReport:
    """The report from the event store as the events stood at the end of the peildatum."""
    from application.reports.as_of import facts_as_of

    if date_from > date_to:
        raise ValueError(f"date_from {date_from} ligt na date_to {date_to}")
    return compute(await facts_as_of(store, peildatum), date_from, date_to, peildatum, membership)
