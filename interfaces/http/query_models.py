"""The answers of the query endpoints as pydantic models, so the OpenAPI document states them exactly.

Values are the read models' own: Dutch where CBCT's vocabulary is Dutch (phase, result, remark,
status), dates as ISO 8601 (`2026-03-31`), moments with their offset (UTC). Lists are pages (`Page`):
`items`, the `total` that match (within what the reader may see), and `next`, the link to the page
after this one (None on the last).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from domain.vocabulary import (
    Association,
    CertificateStatus,
    DeadlineKind,
    DeadlineNature,
    Party,
    Phase,
    PostponementGround,
    Remark,
    Result,
    RoundKind,
    Satisfaction,
)

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
"""Dates a query may be about (as `cbct report period`): room enough, and no year 1 or 9999 to survive."""
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
DATE_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
"""The same rule for the OpenAPI document: JJJJ-MM-DD from 2000 through 2100."""


def _iso_text(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("verwacht een datum als JJJJ-MM-DD, bv. 2026-03-31")
    if not isinstance(value, (str, date)):
        raise ValueError("verwacht een datum als JJJJ-MM-DD, bv. 2026-03-31")
    return value


def _in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"datum buiten {EARLIEST} t/m {LATEST}")
    return value


QueryDate = Annotated[
    date,
    BeforeValidator(_iso_text),
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
"""A date in a query string: exactly JJJJ-MM-DD (no timestamps, no 20260331), 2000-01-01 .. 2100-12-31."""


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


# --- problems -------------------------------------------------------------------------------------------


class FieldProblem(_Out):
    field: str = Field(examples=["query.limit"], description="De parameter of het veld, als pad.")
    rule: str = Field(examples=["less_than_equal"], description="De regel die het breekt.")
    message: str = Field(examples=["mag hoogstens 500 zijn"])


class ProblemDocument(BaseModel):
    """An error answer (RFC 9457, `application/problem+json`); `detail` is Dutch."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://cbct.nl/problemen/404"])
    title: str = Field(examples=["Niet gevonden"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["Dit bestaat niet, of u mag het niet zien."])
    instance: str | None = Field(default=None, examples=["/api/trajectories/kib-1036"])
    errors: list[FieldProblem] | None = Field(default=None, description="Bij 422: elk veld met zijn regel.")
    retry_after: int | None = Field(default=None, description="Bij 503: na zoveel seconden opnieuw proberen.")


# --- trajectories ---------------------------------------------------------------------------------------


class NextDeadline(_Out):
    kind: DeadlineKind
    label: str = Field(examples=["planning audit"])
    due_on: date
    due_at: datetime


class TrajectoryItem(_Out):
    """A trajectory in a list: where it stands and what comes next."""

    trajectory_id: str = Field(examples=["kib-1036"])
    organisation: str = Field(examples=["Bibliotheek Helmond-Peel"])
    certificate_number: str = Field(examples=["1036"])
    association: Association
    framework_version: str = Field(examples=["kib-2018"])
    opened_on: date
    phase: Phase
    phase_since: date
    is_open: bool
    audit_quarter: str = Field(examples=["2019-K1"])
    round_kind: RoundKind
    audit_dates: list[date]
    expert_auditor: str | None = Field(examples=["Ellen Expert"])
    peer_auditor: str | None = Field(examples=["Peer Bakker"])
    verdict: Result | None
    result: Result | None
    remark: Remark | None
    certified_until: date | None
    certificate_status: CertificateStatus
    postponement_pending: bool
    next_deadline: NextDeadline | None
    version: int = Field(description="De laatste versie van de gebeurtenisstroom die het leesmodel verwerkt heeft.")


class TrajectoryView(TrajectoryItem):
    """Everything the overview read model knows about one trajectory."""

    round_number: int
    category: str | None = Field(examples=["II"])
    dagdelen: int | None
    modules: list[str] = Field(examples=[["M1"]])
    failing_norms: list[str]
    decided_on: date | None
    norm_scores: dict[str, float] = Field(description="Normscores (0..3) van de laatste ronde.")
    audit_norm_scores: dict[str, float] | None = Field(description="Normscores van de reguliere audit.")
    survey_answer: Satisfaction | None
    postponements_granted: int
    force_majeure_granted: int
    last_event_at: datetime
    last_progress_at: datetime | None
    updated_at: datetime


class TimelineLine(_Out):
    """One event of the trajectory as a Dutch line."""

    stream_version: int
    event_type: str = Field(examples=["AuditScheduled"])
    occurred_at: datetime
    recorded_at: datetime
    actor: str | None = Field(examples=["planner:anna"])
    summary: str = Field(examples=["Audit gepland op 12-02-2019 (auditoren: Ellen Expert, Peer Bakker)"])


class DeadlineView(_Out):
    """A listed deadline and its status at the moment of asking."""

    deadline_id: str
    trajectory_id: str
    organisation: str
    kind: DeadlineKind
    label: str = Field(examples=["intake"])
    due_on: date
    due_at: datetime
    nature: DeadlineNature
    party: Party
    fired: bool = Field(description="Een harde deadline die al verstreken is en nog openstaat.")
    status: Literal["pending", "due", "overdue"]
    days_overdue: int


class PostponementView(_Out):
    """An uitstel request and its answer, if any."""

    trajectory_id: str
    request_number: int
    organisation: str
    ground: PostponementGround
    reason: str
    ground_effective_on: date | None
    requested_on: date
    decide_by: date
    date_fixed: bool
    force_majeure: bool
    audit_quarter: str
    audit_dates: list[date]
    requested_by: str | None
    status: Literal["pending", "granted", "rejected", "lapsed"]
    decided_on: date | None
    decided_reason: str | None
    new_quarter: str | None
    new_audit_dates: list[date] | None
    decided_by: str | None


class TrajectoryDetail(_Out):
    """One trajectory: its overview, pending deadlines, uitstel requests and full timeline, read together.

    Read models follow the events shortly after they are stored; `version` is the last event of the
    trajectory's stream the read models include, so a client that just sent a command can tell."""

    version: int
    trajectory: TrajectoryView
    deadlines: list[DeadlineView]
    postponements: list[PostponementView]
    timeline: list[TimelineLine]


class _Page(_Out):
    total: int = Field(description="Alle treffers die u mag zien, over alle pagina's.")
    limit: int
    next: str | None = Field(
        description="De volgende pagina (pad en query), of null op de laatste.",
        examples=["/api/trajectories?limit=50&cursor=WyJCaWJsaW90aGVlayIsImtpYi0xMDM2Il0"],
    )


class TrajectoryPage(_Page):
    items: list[TrajectoryItem]


class DeadlinePage(_Page):
    items: list[DeadlineView]


class PostponementPage(_Page):
    items: list[PostponementView]


# --- register and stuck work ----------------------------------------------------------------------------


class RegisterLine(_Out):
    """One line of the certificate register as CBCT publishes it."""

    certificate_number: str = Field(examples=["1036"])
    organisation: str = Field(examples=["Bibliotheek Helmond-Peel"])
    association: Association
    result: Result | None
    remark: Remark | None
    certified_until: date | None
    status: CertificateStatus


class Register(_Out):
    """The register: as it stands now (`peildatum` null), or as it stood at the end of the peildatum."""

    peildatum: date | None
    as_of: date = Field(description="De dag waarop de statussen gelden (vandaag of de peildatum).")
    total: int
    items: list[RegisterLine]


class StuckView(_Out):
    """A trajectory waiting on a deadline overdue beyond the grace period, with no progress since."""

    trajectory_id: str
    organisation: str
    phase: Phase
    deadline_id: str
    kind: DeadlineKind
    label: str
    party: Party
    due_on: date
    due_at: datetime
    fired: bool
    days_overdue: int
    last_event_at: datetime
    last_progress_at: datetime


class StuckList(_Out):
    grace_days: int
    now: datetime
    items: list[StuckView]


# --- the period report (`PeriodReport.as_dict`) ----------------------------------------------------------


class ReportPeriod(_Out):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


class ReportMembers(_Out):
    on: date | None
    counts: dict[str, int]


class ReportBands(_Out):
    counts: dict[str, int]
    pct: dict[str, float | None]


class ReportOutcomes(_Out):
    register_rows: int
    carried_out: int
    certified_at_once: int
    certified_at_once_pct: float | None
    not_or_conditional: int
    not_or_conditional_pct: float | None
    certified_after_heraudit: int
    remaining: int
    heraudit_in_preparation: int
    no_heraudit_requested: int
    no_participation: int
    not_yet_audited: int
    undecided: int


class ReportCategory(_Out):
    trajectories: int
    average_total: float | None


class ReportModule(_Out):
    libraries: int
    average: float | None
    not_in_order: int
    criteria: dict[str, ReportBands]


class ReportGroup(_Out):
    name: str
    members: int | None
    outcomes: ReportOutcomes
    norm_averages: dict[str, float | None]
    average_total: float | None
    norm_bands: dict[str, ReportBands]
    categories: dict[str, ReportCategory]
    postponements: dict[str, int]
    module_1: ReportModule


class ReportSatisfaction(_Out):
    label: str
    answers: int
    pct: float | None


class ReportBacklogQuarter(_Out):
    quarter: str = Field(examples=["2020 K2"])
    end: date
    granted: int
    caught_up: int
    backlog: int


class ReportRegisterLine(_Out):
    certificate_number: str
    organisation: str
    association: str
    result: str | None
    remark: str | None


class PeriodReportView(_Out):
    """CBCT's hoofdlijnenrapportage over the trajectories opened in a period, as of a peildatum."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    period: ReportPeriod
    peildatum: date
    survey_date: date
    members: ReportMembers
    groups: dict[str, ReportGroup] = Field(description="Per groep: alle, vob, beide, cultuurconnectie, …")
    satisfaction: dict[str, ReportSatisfaction]
    survey_answers: int
    backlog: list[ReportBacklogQuarter]
    norm_names: dict[str, str]
    criteria_names: dict[str, str]
    register_lines: list[ReportRegisterLine] = Field(alias="register")


def problem_responses(*statuses: int, described: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error answers: each a problem document (`described` overrides a text)."""
    texts = {
        401: "Niet aangemeld.",
        403: "Uw rol mag dit niet.",
        404: "Onbekend, of niet van u.",
        409: "Geweigerd door een regel: `rule` en de uitleg in `detail`.",
        422: "Ongeldige parameter: `errors` noemt elke parameter en zijn regel.",
        429: "Te veel verzoeken; opnieuw na `Retry-After` seconden.",
        503: "Database of engine tijdelijk weg; opnieuw na `Retry-After` seconden.",
        **(described or {}),
    }
    return {
        status: {
            "description": texts.get(status, "Fout."),
            "model": ProblemDocument,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
        }
        for status in statuses
    }
