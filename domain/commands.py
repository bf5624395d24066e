"""Commands: what someone asks a trajectory to do. Imperative names, frozen, validated on construction.

Malformed input (a missing field, a score that is not Niet/Beperkt/Grotendeels/Volledig, an unknown
field) fails here with a pydantic ``ValidationError`` naming the field; whether the command fits the
trajectory is for ``decide`` to say. ``command_id`` makes a retried command a no-op in the store.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from domain.calendar import Quarter
from domain.vocabulary import Association, OrganisationType, PostponementGround, Result, Satisfaction, Score

# --- bounds: every input is bounded where it enters ------------------------------------------------------
# Whatever a command accepts ends up in an immutable event that every view and report must read back for
# ever, so each field is bounded here: dates in a sane range, numbers in a sane range, ids the store can
# hold, no control characters (CR/LF in a name would reach an e-mail header), and a size limit overall.

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_COMMAND_BYTES = 64 * 1024
"""A command's JSON may be this big; the events it causes then stay well below the store's limit."""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$"
_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_PROSE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def day_in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "datum {day} moet tussen {first} en {last} liggen",
            {"day": day.isoformat(), "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return day


def _one_line(text: str) -> str:
    if _LINE_FORBIDDEN.search(text):
        raise PydanticCustomError(
            "one_line", "moet één regel tekst zijn: geen regeleinden, tabs, NUL of andere stuurtekens"
        )
    return text


def _prose(text: str) -> str:
    if _PROSE_FORBIDDEN.search(text):
        raise PydanticCustomError(
            "prose", "moet tekst zijn: geen NUL, escape of andere stuurtekens (regeleinden mogen)"
        )
    return text


Day = Annotated[date, AfterValidator(day_in_range)]
"""A calendar date between 2000-01-01 and 2100-12-31."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)]
"""A name, label or other single line: 1-200 characters, no control characters."""

OptionalLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_one_line)]

Prose = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000), AfterValidator(_prose)
]
"""Free text in the user's own words (a reason, a finding): up to 10,000 characters, line breaks allowed."""

OptionalProse = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000), AfterValidator(_prose)]

TrajectoryId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=ID_PATTERN)
]
"""Becomes part of the stream id: letters, digits and _ . : @ -, starting with a letter or digit, ≤ 100."""

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(_one_line)
]

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(_one_line),
]


class Command(BaseModel):
    """Common envelope of every command: who asks what of which trajectory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: Text
    trajectory_id: TrajectoryId
    actor: Text

    @model_validator(mode="after")
    def _bounded_size(self) -> Any:
        size = len(self.model_dump_json().encode())
        if size > MAX_COMMAND_BYTES:
            raise PydanticCustomError(
                "command_too_large",
                "de opdracht is {size} bytes; de grens is {limit} bytes",
                {"size": size, "limit": MAX_COMMAND_BYTES},
            )
        return self


class Contact(BaseModel):
    """A contact person of the auditee, from the intake."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    email: Email
    role: OptionalLine = ""


class OpenTrajectory(Command):
    """Start a certification trajectory; the previous expiry sets the audit quarter."""

    organisation: Text
    certificate_number: ShortText
    association: Association
    framework_version: ShortText
    previous_certificate_expiry: Day | None = None
    audit_quarter: Quarter | None = None
    previous_auditors: tuple[Text, ...] = Field(default=(), max_length=20)
    contact_email: Email | None = None  # where the announcement and reminders go until the intake names contacts
    organisation_type: OrganisationType | None = None


class SendAnnouncement(Command):
    """Tell the auditee its audit quarter now (otherwise the announcement deadline does it)."""


class SendIntake(Command):
    """(Re)send the intake form; the intake term starts again from today."""


class RecordIntake(Command):
    """Record the auditee's intake; it fixes the audit category and the modules in scope."""

    contacts: tuple[Contact, ...] = Field(min_length=1, max_length=50)
    locations: tuple[Text, ...] = Field(min_length=1, max_length=200)
    employees: int = Field(ge=1, le=100_000)
    services: tuple[Text, ...] = Field(default=(), max_length=50)


class ChangeContacts(Command):
    """Name the auditee's contact persons anew (someone left, a mail server refuses the address): e-mails
    go to the first of them from now on, and only they sign in to the portal for this trajectory."""

    contacts: tuple[Contact, ...] = Field(min_length=1, max_length=50)


class DeclareConflictOfInterest(Command):
    """Record that an auditor has a relation with this auditee, so they are not planned on it."""

    auditor: Text
    relation: Prose


class ScheduleAudit(Command):
    """Fix the audit (or heraudit) date(s) and the expert and peer auditor."""

    audit_dates: tuple[Day, ...] = Field(min_length=1, max_length=10)
    expert_auditor: Text
    peer_auditor: Text


class RequestPostponement(Command):
    """The auditee asks for uitstel, with a ground and a reason in its own words."""

    ground: PostponementGround
    reason: Prose
    ground_effective_on: Day | None = None


class DecidePostponement(Command):
    """A planner grants or rejects the pending request, always with a reason."""

    grant: bool
    reason: Prose
    request_number: int | None = Field(default=None, ge=1, le=1_000)
    new_quarter: Quarter | None = None
    new_audit_dates: tuple[Day, ...] | None = Field(default=None, min_length=1, max_length=10)


class SubmitSelfEvaluation(Command):
    """The auditee hands in its zelfevaluatie and documents."""

    documents: tuple[Text, ...] = Field(default=(), max_length=200)


class RecordAuditScores(Command):
    """Auditors record a score per question per norm in scope, with findings and improvement points."""

    scores: dict[ShortText, Annotated[dict[ShortText, Score], Field(max_length=50)]] = Field(
        min_length=1, max_length=50
    )
    indicators: dict[ShortText, bool] = Field(default_factory=dict, max_length=50)
    findings: tuple[Prose, ...] = Field(default=(), max_length=200)
    improvement_points: tuple[Prose, ...] = Field(default=(), max_length=200)


class IssueDraftReport(Command):
    """Send the conceptrapport; hoor en wederhoor starts."""

    summary: OptionalProse = ""


class ReactToDraft(Command):
    """The auditee reacts to the conceptrapport (hoor en wederhoor)."""

    reaction: Prose


class DecideCertification(Command):
    """The director decides. ``verdict`` may be given and is refused if the scores imply another."""

    verdict: Result | None = None
    motivation: OptionalProse = ""


class RequestHeraudit(Command):
    """The auditee asks for a heraudit after voorwaardelijk or niet gecertificeerd."""


class FileObjection(Command):
    """The auditee files a bezwaar against voorwaardelijk or niet gecertificeerd."""

    grounds: Prose


class DecideObjection(Command):
    """The board decides the bezwaar: upheld means a reassessment, rejected means the verdict stands."""

    upheld: bool
    reason: Prose


class CancelAudit(Command):
    """Annulering of the planned audit; late cancellation costs the full audit."""

    reason: Prose


class RecordSurveyAnswer(Command):
    """The auditee answers the satisfaction survey."""

    answer: Satisfaction
    comment: OptionalProse = ""


class WithdrawParticipation(Command):
    """The organisation does not take part in this round (Geen deelname)."""

    reason: Prose


class ExtendValidity(Command):
    """Extend the running certificate after an extraordinary event (as in 2020)."""

    months: int = Field(ge=1, le=24)
    reason: Prose


class FireDeadline(Command):
    """A due deadline fires (sent by the dispatcher); it does nothing if the step was already done."""

    deadline_id: Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(_one_line)]
