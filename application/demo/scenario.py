"""The scenario planner: which commands the demo sends at which moments so that CBCT's published
2018-2022 register arises from the process itself.

Pure and deterministic: the same row, seed and scale index always give the same steps, dates, scores
and command ids (so a re-run of the demo appends nothing twice). Nothing here writes an outcome: each
register row's result and remark follows from intake, planning, scores, decisions, heraudits, a
withdrawal, and from the deadlines the domain fires itself while the demo moves its clock (automatic
announcements, reaction windows closing, survey reminders, heraudit windows lapsing …). Those
deadlines are not steps; the steps are placed so that they stay valid once those deadlines have fired.

Timeline of one trajectory: opened a few weeks before its announcement (previous expiry − 6 months; the
audit quarter is the expiry's quarter), intake within the intake term, planning on a working day at
least six weeks (self-evaluation) ahead, self-evaluation at least six weeks before the audit, scores,
draft report, sometimes a reaction, the director's decision, the survey answer; and where the register
says so a heraudit, a pending heraudit, a lapsed window or a withdrawal. Along the way: spring-2020
lockdown postponements (force majeure, all granted, with a six-month extension of the certificate) for
audits that fell in March-June 2020, and a few regular requests that are granted, rejected by the
planner, or refused by the policy (marked ``expect_refusal``).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from application.demo.register import RegisterRow
from domain import (
    Association,
    Command,
    Contact,
    DecideCertification,
    DecidePostponement,
    DeclareConflictOfInterest,
    ExtendValidity,
    IssueDraftReport,
    OpenTrajectory,
    PostponementGround,
    Quarter,
    ReactToDraft,
    RecordAuditScores,
    RecordIntake,
    RecordSurveyAnswer,
    Remark,
    RequestHeraudit,
    RequestPostponement,
    Result,
    Rules,
    Satisfaction,
    ScheduleAudit,
    Score,
    SendAnnouncement,
    SubmitSelfEvaluation,
    WithdrawParticipation,
)
from domain.calendar import add_days, add_months, local_moment, non_working_reason
from domain.heraudit import heraudit_window
from domain.intake import has_ido, modules_in_scope
from domain.verdict import evaluate
from frameworks.loader import load_rules

FRAMEWORK_VERSION = "kib-2018"
DEFAULT_SEED = 2023
"""The seed the demo uses unless told otherwise."""
DEMO_START = date(2018, 7, 2)
"""The demo clock starts here (a Monday); no trajectory opens earlier."""
REFERENCE_DATE = date(2023, 2, 21)
"""The date of CBCT's published register: the replay's outcomes must match it then."""
REFERENCE_MOMENT = local_moment(REFERENCE_DATE, time(12, 0))
"""Noon in Amsterdam on the reference date: where the replay stops its clock."""
LAST_STEP_DAY = date(2023, 2, 10)
"""No step after this day, so nothing the plan does is still in flight at the reference date."""
LAST_DECISION_DAY = date(2022, 12, 23)
"""Regular certifications and heraudits are decided within the 2018-2022 period."""
MARGIN = timedelta(days=14)
"""A heraudit window that must (not) have lapsed by the reference date lapses at least this far from it."""

LOCKDOWN_FIRST_REQUEST = date(2020, 3, 16)
LOCKDOWN_LAST_REQUEST = date(2020, 5, 29)
LOCKDOWN_AUDITS = (date(2020, 3, 18), date(2020, 6, 30))
"""Audits planned in this range were moved by a force-majeure postponement, as CBCT did in 2020."""
_NO_AUDITS = (date(2020, 3, 12), date(2020, 3, 17))
"""No regular audit is planned in the days the lockdown was announced."""
LOCKDOWN_EXTENSION_MONTHS = 6

SURVEY_MIX: dict[Satisfaction, float] = {
    Satisfaction.VERY_SATISFIED: 0.39,
    Satisfaction.SATISFIED: 0.56,
    Satisfaction.MODERATE: 0.04,
    Satisfaction.DISSATISFIED: 0.01,
}
"""CBCT's published satisfaction mix of the 2018-2022 period."""


@dataclass(frozen=True)
class Step:
    """One command to send at one moment (UTC, aware); ``expect_refusal`` marks a deliberate refusal."""

    at: datetime
    command: Command
    expect_refusal: bool = False
    expected_rule: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() != timedelta(0):
            raise ValueError(f"step {self.command.command_id}: 'at' must be an aware UTC datetime")
        if self.expect_refusal != (self.expected_rule is not None):
            raise ValueError(f"step {self.command.command_id}: a deliberate refusal names its expected rule")


@dataclass(frozen=True)
class Scenario:
    """The ordered steps of one trajectory, with the register row it must reproduce."""

    trajectory_id: str
    certificate_number: str
    row: RegisterRow
    scale_index: int
    steps: tuple[Step, ...]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> Step:
        return self.steps[index]


class PlanningError(ValueError):
    """The planner cannot produce this register row (unsupported outcome, or no valid timeline)."""


class PostponementVariant(StrEnum):
    """Which regular uitstel story a trajectory gets (besides the spring-2020 lockdown)."""

    NONE = "none"
    GRANTED = "granted"  # merger / relocation / management absence, before the date is fixed
    CALAMITY_GRANTED = "calamity_granted"  # after the date is fixed, granted with new dates
    REJECTED_BY_PLANNER = "rejected_by_planner"  # admissible ground, the planner says no (explained)
    REFUSED_GROUND = "refused_ground"  # 'overig' is no ground: refused by the policy
    REFUSED_AFTER_FIXED = "refused_after_fixed"  # a relocation once the date is fixed: refused
    REFUSED_MERGER_WINDOW = "refused_merger_window"  # a merger too far ahead: refused


_VARIANT_SHARES: tuple[tuple[PostponementVariant, float], ...] = (
    (PostponementVariant.GRANTED, 0.03),
    (PostponementVariant.CALAMITY_GRANTED, 0.02),
    (PostponementVariant.REJECTED_BY_PLANNER, 0.02),
    (PostponementVariant.REFUSED_GROUND, 0.02),
    (PostponementVariant.REFUSED_AFTER_FIXED, 0.02),
    (PostponementVariant.REFUSED_MERGER_WINDOW, 0.01),
)


class SurveyResponse(StrEnum):
    """When the auditee answers the satisfaction survey."""

    BEFORE_REMINDER = "before_reminder"
    AFTER_REMINDER = "after_reminder"
    NONE = "none"  # the survey closes unanswered


# Audit quarters (of the previous expiry) from which each register outcome can be reached in time.
_QUARTERS: dict[tuple[Result, Remark | None], tuple[str, str]] = {
    (Result.CERTIFIED, None): ("2018-K4", "2022-K4"),
    (Result.NOT_CERTIFIED, Remark.NO_PARTICIPATION): ("2018-K4", "2022-K4"),
    (Result.CONDITIONAL, None): ("2022-K3", "2022-K4"),
    (Result.NOT_CERTIFIED, None): ("2021-K4", "2022-K3"),
    (Result.CONDITIONAL, Remark.CERTIFIED_AFTER_HERAUDIT): ("2018-K4", "2022-K1"),
    (Result.NOT_CERTIFIED, Remark.CERTIFIED_AFTER_HERAUDIT): ("2018-K4", "2021-K1"),
    (Result.CONDITIONAL, Remark.HERAUDIT_IN_PREPARATION): ("2022-K2", "2022-K3"),
    (Result.NOT_CERTIFIED, Remark.HERAUDIT_IN_PREPARATION): ("2021-K2", "2021-K4"),
    (Result.CONDITIONAL, Remark.NO_HERAUDIT_REQUESTED): ("2018-K4", "2021-K4"),
    (Result.NOT_CERTIFIED, Remark.NO_HERAUDIT_REQUESTED): ("2018-K4", "2020-K4"),
}

# Norms 1, 2 and 5 score relatively well, 3, 4 and 6 weaker, 7 in between (sum of four questions).
_NORM_OFFSET = {"1": 1.2, "2": 1.0, "5": 1.3, "7": 0.3, "3": -0.6, "4": -0.7, "6": -0.8}
_MODULE_OFFSET = 0.6
_FAIL_WEIGHT = {"3": 3.0, "4": 3.0, "6": 3.0, "7": 1.5, "1": 0.4, "2": 0.4, "5": 0.4}

PLANNERS = ("Marieke Jansen", "Ruud Verhoeven", "Sanne de Boer")
EXPERT_AUDITORS = (
    "Ellen Schouten",
    "Hans Kramer",
    "Ingrid Visser",
    "Joost Mulder",
    "Karin Bos",
    "Marcel Dijkstra",
    "Petra Smit",
    "Wim de Graaf",
)
PEER_AUDITORS = (
    "Anouk Peters",
    "Bas Hendriks",
    "Carla van Dam",
    "Dirk Jacobs",
    "Esther Koster",
    "Frank Willems",
    "Gerda Vos",
    "Henk Meijer",
    "Iris de Wit",
    "Jeroen Post",
    "Linda Kuipers",
    "Maarten Huisman",
)
DIRECTOR = "director:CBCT"
_CONTACT_NAMES = (
    "Anna de Vries",
    "Bram Bakker",
    "Chantal Janssen",
    "Daan van Leeuwen",
    "Eva Brouwer",
    "Floor de Jong",
    "Gijs van den Berg",
    "Hanneke Dekker",
    "Ilse Vermeulen",
    "Jan Hoekstra",
    "Kees van Wijk",
    "Lotte Mertens",
)
_LIBRARY_SERVICES = (
    "Collectie en uitleen",
    "Leesbevordering",
    "Digitale vaardigheden",
    "Taalhuis",
    "Programmering en debat",
    "Leesclubs",
    "Makerplaats",
    "Mediawijsheid",
)
_CULTURE_SERVICES = (
    "Muziekonderwijs",
    "Dansonderwijs",
    "Theaterlessen",
    "Beeldende kunst",
    "Cultuuronderwijs op school",
    "Cursussen voor volwassenen",
    "Ondersteuning amateurkunst",
    "Talentontwikkeling",
    "Cultuurcoaches",
)
_SURVEY_COMMENTS = {
    Satisfaction.VERY_SATISFIED: ("Prettig en deskundig auditteam.", "Heldere audit, nuttige verbeterpunten.", ""),
    Satisfaction.SATISFIED: ("Goed verlopen.", "Duidelijk rapport, wel veel voorbereiding.", ""),
    Satisfaction.MODERATE: ("De voorbereiding kostte erg veel tijd.", "Rapport kwam laat."),
    Satisfaction.DISSATISFIED: ("De audit sloot slecht aan bij onze organisatie.",),
    Satisfaction.VERY_DISSATISFIED: ("",),
}


def trajectory_id_for(certificate_number: str, scale_index: int = 0) -> str:
    """'kib2018-1036' for the register row, 'kib2018-1036-3' for its fourth scale copy."""
    suffix = f"-{scale_index}" if scale_index else ""
    return f"kib2018-{certificate_number}{suffix}"


def certificate_number_for(certificate_number: str, scale_index: int = 0) -> str:
    """The register's number for the row itself, a derived one ('1036-3') for a scale copy."""
    return f"{certificate_number}-{scale_index}" if scale_index else certificate_number


def unit(seed: int, key: str, purpose: str) -> float:
    """A uniform number in [0, 1) from a seeded hash: stable across processes and Python versions."""
    digest = hashlib.sha256(f"{seed}|{key}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def postponement_variant(seed: int, trajectory_id: str) -> PostponementVariant:
    """The regular uitstel story of this trajectory (most have none)."""
    u, edge = unit(seed, trajectory_id, "postponement"), 0.0
    for variant, share in _VARIANT_SHARES:
        edge += share
        if u < edge:
            return variant
    return PostponementVariant.NONE


def survey_response(seed: int, trajectory_id: str) -> SurveyResponse:
    """Whether and when the auditee answers the survey: most before the reminder, some after, a few never."""
    u = unit(seed, trajectory_id, "survey-response")
    if u < 0.08:
        return SurveyResponse.NONE
    return SurveyResponse.AFTER_REMINDER if u < 0.33 else SurveyResponse.BEFORE_REMINDER


def satisfaction_at(u: float) -> Satisfaction:
    """The answer at position ``u`` in [0, 1) of CBCT's mix."""
    edge = 0.0
    for answer, share in SURVEY_MIX.items():
        edge += share
        if u < edge:
            return answer
    return Satisfaction.SATISFIED


def allocate_survey_answers(trajectory_ids: Sequence[str], seed: int) -> dict[str, Satisfaction]:
    """Answers for these respondents in CBCT's mix (largest remainder), assigned in a seeded order."""
    n = len(trajectory_ids)
    exact = {answer: share * n for answer, share in SURVEY_MIX.items()}
    counts = {answer: int(value) for answer, value in exact.items()}
    by_remainder = sorted(exact, key=lambda a: (-(exact[a] - counts[a]), list(SURVEY_MIX).index(a)))
    for answer in by_remainder[: n - sum(counts.values())]:
        counts[answer] += 1
    ordered = sorted(trajectory_ids, key=lambda tid: (unit(seed, tid, "satisfaction-order"), tid))
    answers: dict[str, Satisfaction] = {}
    position = 0
    for answer, count in counts.items():
        for tid in ordered[position : position + count]:
            answers[tid] = answer
        position += count
    return answers


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """No weekend and no Dutch public holiday (the domain's calendar)."""
    return non_working_reason(day) is None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.casefold())[:40] or "organisatie"


class _Retry(Exception):
    """This draw gives no valid timeline; draw again."""


@dataclass
class _Audit:
    dates: tuple[date, ...]
    expert: str
    peer: str

    @property
    def first(self) -> date:
        return self.dates[0]

    @property
    def last(self) -> date:
        return self.dates[-1]


class _Planner:
    """Builds one trajectory's steps from one random stream; raises _Retry when a draw does not fit."""

    def __init__(
        self, row: RegisterRow, scale_index: int, seed: int, rules: Rules, satisfaction: Satisfaction | None
    ) -> None:
        self.row, self.rules, self.seed = row, rules, seed
        self.tid = trajectory_id_for(row.certificate_number, scale_index)
        self.number = certificate_number_for(row.certificate_number, scale_index)
        self.rng = random.Random(f"{seed}|{self.tid}")
        self.variant = postponement_variant(seed, self.tid)
        self.response = survey_response(seed, self.tid)
        self.satisfaction = satisfaction or satisfaction_at(unit(seed, self.tid, "satisfaction"))
        self.auditee = f"auditee:{self.number}"

    # -- primitives ---------------------------------------------------------------------------------

    def reset(self) -> None:
        self.steps: list[Step] = []
        self.requests = 0
        self.excluded: set[str] = set()
        self.failing_norms: tuple[str, ...] = ()
        self.planner = f"planner:{self.rng.choice(PLANNERS)}"

    def day(self, lo: date, hi: date) -> date:
        """A random working day in [lo, hi]."""
        span = (hi - lo).days
        if span < 0:
            raise _Retry
        start = self.rng.randint(0, span)
        for offset in range(span + 1):
            candidate = add_days(lo, (start + offset) % (span + 1))
            if is_working_day(candidate):
                return candidate
        raise _Retry

    def add(
        self,
        day: date,
        hours: tuple[int, int],
        label: str,
        command: type[Command],
        actor: str,
        *,
        expect_rule: str | None = None,
        **fields: Any,
    ) -> None:
        if day > LAST_STEP_DAY:
            raise _Retry
        at = local_moment(day, time(self.rng.randint(*hours), self.rng.choice((0, 15, 30, 45))))
        built = command(command_id=f"{self.tid}/{label}", trajectory_id=self.tid, actor=actor, **fields)
        self.steps.append(Step(at=at, command=built, expect_refusal=expect_rule is not None, expected_rule=expect_rule))

    def audit_dates(self, lo: date, hi: date, two_days: bool, prefer_before: date | None = None) -> tuple[date, ...]:
        """One or two consecutive working days in [lo, hi], in one quarter, clear of the lockdown's start."""
        if prefer_before is not None and self.rng.random() < 0.75 and prefer_before >= lo:
            hi = min(hi, prefer_before)
        for _ in range(20):
            first = self.day(lo, hi)
            if _NO_AUDITS[0] <= first <= _NO_AUDITS[1]:
                continue
            if not two_days:
                return (first,)
            second = add_days(first, 1)
            while not is_working_day(second):
                second = add_days(second, 1)
            if second <= hi and Quarter.of(second) == Quarter.of(first):
                return (first, second)
        raise _Retry

    def auditors(self) -> tuple[str, str]:
        expert = self.rng.choice([a for a in EXPERT_AUDITORS if a not in self.excluded])
        peer = self.rng.choice([a for a in PEER_AUDITORS if a not in self.excluded])
        return expert, peer

    # -- the trajectory -----------------------------------------------------------------------------

    def plan(self) -> tuple[Step, ...]:
        key = (self.row.result, self.row.remark)
        if key not in _QUARTERS:
            remark = self.row.remark.value if self.row.remark else "-"
            raise PlanningError(f"{self.tid}: uitkomst '{self.row.result.value}' / '{remark}' wordt niet ondersteund")
        first, last = (Quarter.model_validate(q) for q in _QUARTERS[key])
        quarters = [first]
        while quarters[-1] < last:
            quarters.append(quarters[-1].next())
        for _ in range(200):
            self.reset()
            try:
                self.trajectory(self.rng.choice(quarters))
            except _Retry:
                continue
            return self.ordered()
        raise PlanningError(f"{self.tid}: geen geldige tijdlijn gevonden voor deze uitkomst")

    def ordered(self) -> tuple[Step, ...]:
        """Steps in time order; same-moment steps keep their causal order a minute apart."""
        steps = sorted(self.steps, key=lambda s: s.at)
        out: list[Step] = []
        for step in steps:
            if out and step.at <= out[-1].at:
                step = Step(out[-1].at + timedelta(minutes=1), step.command, step.expect_refusal, step.expected_rule)
            out.append(step)
        return tuple(out)

    def trajectory(self, quarter: Quarter) -> None:
        rng, row = self.rng, self.row
        expiry = add_days(quarter.start, rng.randint(0, (quarter.end - quarter.start).days))
        nominal = add_months(expiry, -self.rules.terms.announcement_lead_months)
        opened = self.day(max(DEMO_START, add_days(nominal, -42)), max(add_days(DEMO_START, 9), add_days(nominal, -5)))
        previous = (rng.choice(EXPERT_AUDITORS), rng.choice(PEER_AUDITORS))
        self.excluded.update(previous)
        self.add(
            opened,
            (9, 11),
            "open",
            OpenTrajectory,
            self.planner,
            organisation=row.organisation,
            certificate_number=self.number,
            association=row.association,
            framework_version=self.rules.version_id,
            previous_certificate_expiry=expiry,
            previous_auditors=previous,
            contact_email=f"kwaliteit@{_slug(row.organisation)}.example",
        )
        announcement_due = max(opened, nominal)
        if rng.random() < 0.3 and add_days(opened, 1) < announcement_due:
            announced = self.day(
                max(add_days(opened, 1), add_days(announcement_due, -14)), add_days(announcement_due, -1)
            )
            self.add(announced, (9, 16), "announce", SendAnnouncement, self.planner)
        else:
            announced = announcement_due  # the announcement deadline fires (09:00 Amsterdam)
        withdraw_at = rng.choice(("before_intake", "after_intake", "after_planning")) if row.withdrawn else None
        if withdraw_at == "before_intake":
            self.withdraw(self.day(add_days(announced, 2), add_days(announced, 13)))
            return

        intake_day = self.day(add_days(announced, 2), add_days(announced, self.rules.terms.intake_days - 1))
        scope, two_days, ido = self.intake(intake_day)
        cursor = intake_day
        if rng.random() < 0.06:
            cursor = self.declare_conflict(cursor)
        cursor, quarter = self.before_date_fixed(cursor, quarter)
        if withdraw_at == "after_intake":
            self.withdraw(self.day(add_days(cursor, 3), add_days(cursor, 25)))
            return

        planned_on = self.day(add_days(cursor, 3), add_days(cursor, 20))
        lead = self.rules.terms.self_evaluation_lead_days
        dates = self.audit_dates(max(quarter.start, add_days(planned_on, lead + 7)), quarter.end, two_days, expiry)
        audit = _Audit(dates, *self.auditors())
        self.schedule(planned_on, audit, "schedule")
        if withdraw_at == "after_planning":
            self.withdraw(self.day(add_days(planned_on, 3), add_days(audit.first, -lead - 1)))
            return

        lockdown = LOCKDOWN_AUDITS[0] <= audit.first <= LOCKDOWN_AUDITS[1]
        request_day = None
        if lockdown:
            latest = min(add_days(audit.first, -1), LOCKDOWN_LAST_REQUEST)
            request_day = self.day(max(LOCKDOWN_FIRST_REQUEST, add_days(audit.first, -45)), latest)
        submit_by = add_days(audit.first, -lead)
        if request_day is not None:
            submit_by = min(submit_by, add_days(request_day, -1))
        self_evaluation = self.day(add_days(planned_on, 1), submit_by)
        self.add(
            self_evaluation,
            (10, 16),
            "self-evaluation",
            SubmitSelfEvaluation,
            self.auditee,
            documents=("zelfevaluatie.pdf", f"jaarverslag-{self_evaluation.year - 1}.pdf", "beleidsplan.pdf"),
        )
        if request_day is not None:
            audit = self.lockdown(request_day, audit, two_days)
        else:
            audit = self.after_date_fixed(self_evaluation, audit, two_days)

        decided = self.audit_round(audit, scope, ido, self.row.result, "", heraudit_scope=None)
        if row.result is Result.CERTIFIED and decided > LAST_DECISION_DAY:
            raise _Retry
        self.survey(decided)
        self.follow_up(decided, scope, audit)

    # -- pieces -------------------------------------------------------------------------------------

    def withdraw(self, day: date) -> None:
        reasons = (
            "Het bestuur heeft besloten niet deel te nemen aan deze certificeringsronde.",
            "De organisatie is geen lid meer van de branchevereniging.",
            "De organisatie gaat op in een fusie en neemt in deze ronde niet deel.",
            "Geen capaciteit voor een audit in deze periode; wij zien af van certificering.",
        )
        self.add(day, (9, 16), "withdraw", WithdrawParticipation, self.auditee, reason=self.rng.choice(reasons))

    def intake(self, day: date) -> tuple[tuple[str, ...], bool, bool]:
        rng, association = self.rng, self.row.association
        services: list[str] = []
        if association.is_library:
            services += rng.sample(_LIBRARY_SERVICES, rng.randint(3, 6))
            if rng.random() < 0.75:
                services.append("Bibliotheek op school")
            if rng.random() < 0.6:
                services.append("BoekStart")
            if rng.random() < 0.35:
                services.append("Informatiepunt Digitale Overheid")
            employees = max(4, int(rng.lognormvariate(3.7, 0.8)))
            locations = max(1, min(30, int(employees / rng.uniform(6, 14))))
        else:
            employees = max(2, int(rng.lognormvariate(3.0, 0.8)))
            locations = max(1, min(8, int(employees / rng.uniform(10, 25))))
        if association is not Association.VOB:
            services += rng.sample(_CULTURE_SERVICES, rng.randint(2, 6))
        contacts = tuple(
            Contact(
                name=name,
                email=f"{_slug(name)}@{_slug(self.row.organisation)}.example",
                role=role,
            )
            for name, role in zip(rng.sample(_CONTACT_NAMES, 2), ("directeur", "kwaliteitscoördinator"), strict=True)
        )[: rng.randint(1, 2)]
        self.add(
            day,
            (10, 16),
            "intake",
            RecordIntake,
            self.auditee,
            contacts=contacts,
            locations=tuple(f"Vestiging {i}" for i in range(1, locations + 1)),
            employees=employees,
            services=tuple(services),
        )
        modules = modules_in_scope(association, services, self.rules)
        category = self.rules.category_for(employees, locations, len(services))
        return (*self.rules.base_norm_ids, *modules), category.dagdelen >= 4, has_ido(association, services, self.rules)

    def declare_conflict(self, after: date) -> date:
        auditor = self.rng.choice([a for a in EXPERT_AUDITORS if a not in self.excluded])
        self.excluded.add(auditor)
        day = self.day(add_days(after, 1), add_days(after, 6))
        relation = "was tot vorig jaar bestuurslid van de organisatie"
        self.add(
            day,
            (9, 16),
            "conflict-of-interest",
            DeclareConflictOfInterest,
            self.planner,
            auditor=auditor,
            relation=relation,
        )
        return day

    def request(
        self,
        day: date,
        label: str,
        ground: PostponementGround,
        reason: str,
        *,
        expect_rule: str | None = None,
        **fields: Any,
    ) -> None:
        self.add(
            day,
            (9, 16),
            label,
            RequestPostponement,
            self.auditee,
            expect_rule=expect_rule,
            ground=ground,
            reason=reason,
            **fields,
        )
        if expect_rule is None:
            self.requests += 1

    def before_date_fixed(self, after: date, quarter: Quarter) -> tuple[date, Quarter]:
        """Regular uitstel while planning: granted, rejected by the planner, or refused by the policy."""
        variant, rng = self.variant, self.rng
        if variant in (
            PostponementVariant.NONE,
            PostponementVariant.CALAMITY_GRANTED,
            PostponementVariant.REFUSED_AFTER_FIXED,
        ):
            return after, quarter
        asked = self.day(add_days(after, 2), add_days(after, 12))
        if variant is PostponementVariant.REFUSED_GROUND:
            reason = rng.choice(("drukke periode door de zomerprogrammering", "personeelstekort in het najaar"))
            self.request(
                asked,
                "postponement-1",
                PostponementGround.OTHER,
                reason,
                expect_rule="postponement.ground_not_admissible",
            )
            return asked, quarter
        if variant is PostponementVariant.REFUSED_MERGER_WINDOW:
            too_late = add_months(asked, rng.randint(11, 16))
            self.request(
                asked,
                "postponement-1",
                PostponementGround.MERGER,
                "voorgenomen fusie met de bibliotheek in de buurgemeente",
                expect_rule="postponement.merger_window",
                ground_effective_on=too_late,
            )
            return asked, quarter
        decided = self.day(add_days(asked, 1), add_days(asked, 10))
        if variant is PostponementVariant.REJECTED_BY_PLANNER:
            self.request(asked, "postponement-1", PostponementGround.MANAGEMENT_ABSENCE, "directeur langdurig ziek")
            self.add(
                decided,
                (9, 12),
                "postponement-1-decision",
                DecidePostponement,
                self.planner,
                grant=False,
                request_number=self.requests,
                reason="afgewezen: de waarnemend directeur en de kwaliteitscoördinator kunnen de audit dragen",
            )
            return decided, quarter
        options: tuple[tuple[PostponementGround, str, date | None], ...] = (
            (
                PostponementGround.MERGER,
                "fusie met een buurorganisatie gaat binnenkort in",
                add_months(asked, rng.randint(2, 8)),
            ),
            (
                PostponementGround.RELOCATION,
                "verhuizing van de centrale vestiging naar het nieuwe cultuurhuis",
                None,
            ),
            (PostponementGround.MANAGEMENT_ABSENCE, "directeur-bestuurder langdurig afwezig", None),
        )
        ground, reason, effective = rng.choice(options)
        fields: dict[str, Any] = {"ground_effective_on": effective} if effective else {}
        self.request(asked, "postponement-1", ground, reason, **fields)
        self.add(
            decided,
            (9, 12),
            "postponement-1-decision",
            DecidePostponement,
            self.planner,
            grant=True,
            request_number=self.requests,
            new_quarter=quarter.next(),
            reason=f"toegekend: {ground.value} is een geldige grond; audit een kwartaal later",
        )
        return decided, quarter.next()

    def schedule(self, day: date, audit: _Audit, label: str) -> None:
        self.add(
            day,
            (9, 12),
            label,
            ScheduleAudit,
            self.planner,
            audit_dates=audit.dates,
            expert_auditor=audit.expert,
            peer_auditor=audit.peer,
        )

    def lockdown(self, asked: date, audit: _Audit, two_days: bool) -> _Audit:
        """Spring 2020: force majeure, granted; the certificate extended; the audit planned again after summer."""
        rng = self.rng
        self.request(
            asked,
            "postponement-lockdown",
            PostponementGround.FORCE_MAJEURE,
            "coronamaatregelen: lockdown, audit op locatie niet mogelijk",
        )
        granted = self.day(add_days(asked, 1), add_days(asked, 7))
        early = audit.first <= date(2020, 4, 30)
        quarter = Quarter(year=2020, number=3 if rng.random() < (0.7 if early else 0.4) else 4)
        self.add(
            granted,
            (9, 11),
            "postponement-lockdown-decision",
            DecidePostponement,
            self.planner,
            grant=True,
            request_number=self.requests,
            new_quarter=quarter,
            reason="toegekend: overmacht (COVID-19); audits op locatie zijn opgeschort",
        )
        extended = self.day(granted, add_days(granted, 5))
        self.add(
            extended,
            (13, 16),
            "extend-validity",
            ExtendValidity,
            self.planner,
            months=LOCKDOWN_EXTENSION_MONTHS,
            reason="buitengewone omstandigheid: coronamaatregelen voorjaar 2020",
        )
        replanned = self.day(max(add_days(granted, 7), date(2020, 6, 2)), date(2020, 7, 17))
        lo = max(quarter.start, date(2020, 8, 24), add_days(replanned, 21))
        new = _Audit(self.audit_dates(lo, quarter.end, two_days, None), audit.expert, audit.peer)
        self.schedule(replanned, new, "schedule-2")
        return new

    def after_date_fixed(self, submitted: date, audit: _Audit, two_days: bool) -> _Audit:
        """A calamity moves the fixed date (granted); a relocation once the date is fixed is refused."""
        if self.variant is PostponementVariant.REFUSED_AFTER_FIXED:
            asked = self.day(max(add_days(submitted, 1), add_days(audit.first, -40)), add_days(audit.first, -5))
            self.request(
                asked,
                "postponement-1",
                PostponementGround.RELOCATION,
                "verbouwing van de hoofdvestiging in de auditweek",
                expect_rule="postponement.ground_after_date_fixed",
            )
            return audit
        if self.variant is not PostponementVariant.CALAMITY_GRANTED:
            return audit
        asked = self.day(max(add_days(submitted, 1), add_days(audit.first, -30)), add_days(audit.first, -3))
        reason = self.rng.choice(("wateroverlast in de centrale vestiging", "brand in het hoofdgebouw"))
        self.request(asked, "postponement-1", PostponementGround.CALAMITY, reason)
        granted = self.day(add_days(asked, 1), min(add_days(asked, 5), add_days(audit.first, -1)))
        new = _Audit(
            self.audit_dates(add_days(audit.first, 21), add_days(audit.first, 56), two_days, None),
            audit.expert,
            audit.peer,
        )
        self.add(
            granted,
            (9, 12),
            "postponement-1-decision",
            DecidePostponement,
            self.planner,
            grant=True,
            request_number=self.requests,
            new_audit_dates=new.dates,
            reason=f"toegekend: calamiteit ({reason}); nieuwe auditdatum {new.first.isoformat()}",
        )
        return new

    def audit_round(
        self,
        audit: _Audit,
        scope: tuple[str, ...],
        ido: bool,
        verdict: Result,
        suffix: str,
        heraudit_scope: tuple[str, ...] | None,
    ) -> date:
        """Scores, draft report, maybe a reaction, and the decision; returns the decision day."""
        rng, auditor = self.rng, f"auditor:{audit.expert}"
        judged = heraudit_scope if heraudit_scope is not None else scope
        scores = self.scores(judged, verdict, heraudit=heraudit_scope is not None)
        scored = self.day(audit.last, add_days(audit.last, 4))
        self.add(
            scored,
            (16, 18) if scored == audit.last else (9, 17),
            f"scores{suffix}",
            RecordAuditScores,
            auditor,
            scores=scores,
            indicators={self.rules.ido_indicator.id: True} if ido and heraudit_scope is None else {},
            findings=self.findings(scores),
            improvement_points=self.improvement_points(scores),
        )
        drafted = self.day(
            add_days(scored, 3), min(add_days(scored, 16), add_days(audit.last, self.rules.terms.draft_report_days))
        )
        self.add(drafted, (9, 16), f"draft-report{suffix}", IssueDraftReport, auditor, summary=self.summary(scores))
        reaction_end = add_days(drafted, self.rules.terms.reaction_days)
        if rng.random() < (0.35 if verdict is Result.CERTIFIED else 0.8):
            reacted = self.day(add_days(drafted, 2), add_days(reaction_end, -1))
            reaction = rng.choice(
                (
                    "Enkele feitelijke onjuistheden in de beschrijving van norm 3 gecorrigeerd.",
                    "Wij herkennen ons in de bevindingen; aanvulling bij de verbeterpunten meegestuurd.",
                    "Reactie op de bevindingen bij norm 6 met aanvullende documenten.",
                )
            )
            self.add(reacted, (10, 16), f"reaction{suffix}", ReactToDraft, self.auditee, reaction=reaction)
        decided = self.day(add_days(reaction_end, 1), add_days(reaction_end, self.rules.terms.decision_days - 1))
        self.add(decided, (10, 16), f"decision{suffix}", DecideCertification, DIRECTOR, verdict=verdict)
        return decided

    def survey(self, decided: date) -> None:
        terms = self.rules.terms
        if self.response is SurveyResponse.NONE:
            return
        if self.response is SurveyResponse.BEFORE_REMINDER:
            day = self.day(add_days(decided, 1), add_days(decided, terms.survey_reminder_days - 1))
        else:
            day = self.day(
                add_days(decided, terms.survey_reminder_days + 1), add_days(decided, terms.survey_close_days - 1)
            )
        comment = self.rng.choice(_SURVEY_COMMENTS[self.satisfaction])
        self.add(day, (10, 20), "survey", RecordSurveyAnswer, self.auditee, answer=self.satisfaction, comment=comment)

    def follow_up(self, decided: date, scope: tuple[str, ...], audit: _Audit) -> None:
        """What the register's remark says happened after a voorwaardelijk or negative verdict."""
        row = self.row
        if row.result is Result.CERTIFIED:
            return
        opens, closes = heraudit_window(row.result, decided, self.rules)
        if opens is None or closes is None:
            raise PlanningError(f"{self.tid}: geen heraudittermijn na '{row.result.value}'")
        lapses = closes + timedelta(days=1)
        if row.remark is None:
            if lapses < REFERENCE_DATE + MARGIN:
                raise _Retry
            return
        if row.remark is Remark.NO_HERAUDIT_REQUESTED:
            if lapses > REFERENCE_DATE - MARGIN:
                raise _Retry
            return  # the heraudit window deadline fires; the verdict stands
        failing = self.failing_norms
        heraudit_scope = failing if row.result is Result.CONDITIONAL else scope
        if row.remark is Remark.HERAUDIT_IN_PREPARATION:
            asked = self.day(
                max(opens, add_days(decided, 14), add_days(REFERENCE_DATE, -100)),
                min(closes, add_days(LAST_STEP_DAY, -12)),
            )
            self.add(asked, (9, 16), "heraudit-request", RequestHeraudit, self.auditee)
            planned = self.day(add_days(asked, 2), min(add_days(asked, 20), LAST_STEP_DAY))
            lo = max(add_days(planned, self.rules.heraudit.min_lead_days), add_days(REFERENCE_DATE, 6))
            dates = (self.day(lo, add_days(REFERENCE_DATE, 50)),)
            self.schedule(planned, _Audit(dates, audit.expert, audit.peer), "schedule-heraudit")
            return
        asked = self.day(max(opens, add_days(decided, 14)), min(closes, add_days(opens, 120)))
        self.add(asked, (9, 16), "heraudit-request", RequestHeraudit, self.auditee)
        planned = self.day(add_days(asked, 2), add_days(asked, 20))
        lead = self.rules.heraudit.min_lead_days
        heraudit = _Audit((self.day(add_days(planned, lead), add_days(planned, lead + 31)),), audit.expert, audit.peer)
        self.schedule(planned, heraudit, "schedule-heraudit")
        final = self.audit_round(heraudit, scope, False, Result.CERTIFIED, "-heraudit", heraudit_scope=heraudit_scope)
        if final > LAST_DECISION_DAY:
            raise _Retry

    # -- scores -------------------------------------------------------------------------------------

    def scores(self, scope: tuple[str, ...], verdict: Result, *, heraudit: bool) -> dict[str, dict[str, Score]]:
        """Question scores consistent with ``verdict``: strong norms 1, 2, 5; weak 3, 4, 6; 7 between."""
        rng = self.rng
        strength = max(-2.0, min(2.0, rng.gauss(0.0, 1.0)))
        failing: dict[str, int] = {}
        if not heraudit and verdict is not Result.CERTIFIED:
            candidates = [n for n in scope if n in _FAIL_WEIGHT]
            count = (1 if rng.random() < 0.65 else 2) if verdict is Result.CONDITIONAL else rng.randint(3, 4)
            chosen: list[str] = []
            while len(chosen) < count:
                pick = rng.choices(candidates, weights=[_FAIL_WEIGHT[n] for n in candidates])[0]
                if pick not in chosen:
                    chosen.append(pick)
            low = 4 if verdict is Result.CONDITIONAL else 2
            failing = {n: rng.randint(low, 5) for n in chosen}
        result: dict[str, dict[str, Score]] = {}
        for norm in scope:
            offset = _NORM_OFFSET.get(norm, _MODULE_OFFSET)
            mean = 8.0 + strength + offset + rng.gauss(0.0, 0.9)
            total = failing.get(norm, max(6, min(12, round(mean))))
            result[norm] = self.questions(norm, total)
        computed, _ = evaluate(result, scope, heraudit, self.rules)
        if computed.verdict is not verdict:  # by construction this cannot happen; keep the plan honest
            raise PlanningError(f"{self.tid}: scores geven '{computed.verdict.value}', verwacht '{verdict.value}'")
        if not heraudit:
            self.failing_norms = computed.failing_norms
        return result

    def questions(self, norm: str, total: int) -> dict[str, Score]:
        rng = self.rng
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
        by_value = {value: score for score, value in self.rules.scale.items()}
        ids = [q.id for q in self.rules.norm(norm).questions]
        return {qid: by_value[value] for qid, value in zip(ids, values, strict=True)}

    def _means(self, scores: dict[str, dict[str, Score]]) -> dict[str, float]:
        return {n: sum(self.rules.scale[s] for s in q.values()) / len(q) for n, q in scores.items()}

    def findings(self, scores: dict[str, dict[str, Score]]) -> tuple[str, ...]:
        means = self._means(scores)
        threshold = self.rules.verdict.pass_threshold
        best = max(means, key=lambda n: (means[n], n))
        found = [f"Norm {best} ({self.rules.norm(best).name}): sterk punt, de aanpak is zichtbaar in de praktijk."]
        found += [
            f"Norm {n} ({self.rules.norm(n).name}) voldoet niet: {means[n]:.2f} (< {threshold})."
            for n in sorted(means)
            if means[n] < threshold
        ]
        return tuple(found)

    def improvement_points(self, scores: dict[str, dict[str, Score]]) -> tuple[str, ...]:
        means = self._means(scores)
        weakest = sorted(means, key=lambda n: (means[n], n))[:2]
        return tuple(
            f"Norm {n} ({self.rules.norm(n).name}): evaluatie en verbetering systematisch beleggen." for n in weakest
        )

    def summary(self, scores: dict[str, dict[str, Score]]) -> str:
        means = self._means(scores)
        return "Normscores: " + ", ".join(f"{n} {means[n]:.2f}" for n in scores)


def plan_trajectory(
    row: RegisterRow,
    *,
    seed: int,
    scale_index: int = 0,
    satisfaction: Satisfaction | None = None,
    rules: Rules | None = None,
) -> Scenario:
    """The steps that make ``row``'s outcome arise from the process (copy ``scale_index`` of it).

    ``satisfaction`` is the survey answer if the auditee answers; left out, it is drawn from CBCT's mix
    by a seeded hash (``plan_register`` passes answers balanced over the whole register instead).
    """
    if scale_index < 0:
        raise ValueError("scale_index must be >= 0")
    planner = _Planner(row, scale_index, seed, rules or load_rules(FRAMEWORK_VERSION), satisfaction)
    return Scenario(
        trajectory_id=planner.tid,
        certificate_number=planner.number,
        row=row,
        scale_index=scale_index,
        steps=planner.plan(),
    )


def plan_register(rows: Sequence[RegisterRow], *, seed: int, scale: int = 1) -> list[Scenario]:
    """Scenarios for every row, ``scale`` copies each (copy 0 is the row itself), survey mix balanced."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    rules = load_rules(FRAMEWORK_VERSION)
    copies = [(row, index) for index in range(scale) for row in rows]
    respondents = [
        trajectory_id_for(row.certificate_number, index)
        for row, index in copies
        if not row.withdrawn
        and survey_response(seed, trajectory_id_for(row.certificate_number, index)) is not SurveyResponse.NONE
    ]
    answers = allocate_survey_answers(respondents, seed)
    return [
        plan_trajectory(
            row,
            seed=seed,
            scale_index=index,
            satisfaction=answers.get(trajectory_id_for(row.certificate_number, index)),
            rules=rules,
        )
        for row, index in copies
    ]
