"""Commands: what someone asks a trajectory to do. Imperative names, frozen, validated on construction.

Malformed input (a missing field, a score that is not Niet/Beperkt/Grotendeels/Volledig, an unknown
field) fails here with a pydantic ``ValidationError`` naming the field; whether the command fits the
trajectory is for ``decide`` to say. ``command_id`` makes a retried command a no-op in the store.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.calendar import Quarter
from domain.vocabulary import Association, OrganisationType, PostponementGround, Result, Satisfaction, Score

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class Command(BaseModel):
    """Common envelope of every command: who asks what of which trajectory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: Text
    trajectory_id: Text
    actor: Text


class Contact(BaseModel):
    """A contact person of the auditee, from the intake."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    email: Email
    role: str = ""


class OpenTrajectory(Command):
    """Start a certification trajectory; the previous expiry sets the audit quarter."""

    organisation: Text
    certificate_number: Text
    association: Association
    framework_version: Text
    previous_certificate_expiry: date | None = None
    audit_quarter: Quarter | None = None
    previous_auditors: tuple[Text, ...] = ()
    contact_email: Email | None = None  # where the announcement and reminders go until the intake names contacts
    organisation_type: OrganisationType | None = None


class SendAnnouncement(Command):
    """Tell the auditee its audit quarter now (otherwise the announcement deadline does it)."""


class SendIntake(Command):
    """(Re)send the intake form; the intake term starts again from today."""


class RecordIntake(Command):
    """Record the auditee's intake; it fixes the audit category and the modules in scope."""

    contacts: tuple[Contact, ...] = Field(min_length=1)
    locations: tuple[Text, ...] = Field(min_length=1)
    employees: int = Field(ge=1)
    services: tuple[Text, ...] = ()


class DeclareConflictOfInterest(Command):
    """Record that an auditor has a relation with this auditee, so they are not planned on it."""

    auditor: Text
    relation: Text


class ScheduleAudit(Command):
    """Fix the audit (or heraudit) date(s) and the expert and peer auditor."""

    audit_dates: tuple[date, ...] = Field(min_length=1)
    expert_auditor: Text
    peer_auditor: Text


class RequestPostponement(Command):
    """The auditee asks for uitstel, with a ground and a reason in its own words."""

    ground: PostponementGround
    reason: Text
    ground_effective_on: date | None = None


class DecidePostponement(Command):
    """A planner grants or rejects the pending request, always with a reason."""

    grant: bool
    reason: Text
    request_number: int | None = Field(default=None, ge=1)
    new_quarter: Quarter | None = None
    new_audit_dates: tuple[date, ...] | None = None


class SubmitSelfEvaluation(Command):
    """The auditee hands in its zelfevaluatie and documents."""

    documents: tuple[Text, ...] = ()


class RecordAuditScores(Command):
    """Auditors record a score per question per norm in scope, with findings and improvement points."""

    scores: dict[Text, dict[Text, Score]] = Field(min_length=1)
    indicators: dict[Text, bool] = Field(default_factory=dict)
    findings: tuple[Text, ...] = ()
    improvement_points: tuple[Text, ...] = ()


class IssueDraftReport(Command):
    """Send the conceptrapport; hoor en wederhoor starts."""

    summary: str = ""


class ReactToDraft(Command):
    """The auditee reacts to the conceptrapport (hoor en wederhoor)."""

    reaction: Text


class DecideCertification(Command):
    """The director decides. ``verdict`` may be given and is refused if the scores imply another."""

    verdict: Result | None = None
    motivation: str = ""


class RequestHeraudit(Command):
    """The auditee asks for a heraudit after voorwaardelijk or niet gecertificeerd."""


class FileObjection(Command):
    """The auditee files a bezwaar against voorwaardelijk or niet gecertificeerd."""

    grounds: Text


class DecideObjection(Command):
    """The board decides the bezwaar: upheld means a reassessment, rejected means the verdict stands."""

    upheld: bool
    reason: Text


class CancelAudit(Command):
    """Annulering of the planned audit; late cancellation costs the full audit."""

    reason: Text


class RecordSurveyAnswer(Command):
    """The auditee answers the satisfaction survey."""

    answer: Satisfaction
    comment: str = ""


class WithdrawParticipation(Command):
    """The organisation does not take part in this round (Geen deelname)."""

    reason: Text


class ExtendValidity(Command):
    """Extend the running certificate after an extraordinary event (as in 2020)."""

    months: int = Field(ge=1, le=24)
    reason: Text


class FireDeadline(Command):
    """A due deadline fires (sent by the dispatcher); it does nothing if the step was already done."""

    deadline_id: Text


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.__name__: cls
    for cls in (
        OpenTrajectory,
        SendAnnouncement,
        SendIntake,
        RecordIntake,
        DeclareConflictOfInterest,
        ScheduleAudit,
        RequestPostponement,
        DecidePostponement,
        SubmitSelfEvaluation,
        RecordAuditScores,
        IssueDraftReport,
        ReactToDraft,
        DecideCertification,
        RequestHeraudit,
        FileObjection,
        DecideObjection,
        CancelAudit,
        RecordSurveyAnswer,
        WithdrawParticipation,
        ExtendValidity,
        FireDeadline,
    )
}
