"""Events: what happened to a trajectory, in the past tense, with the domain data read models need.

Events hold domain data only; the store's envelope holds event id, actor, command id and recording
time. ``occurred_at`` is the domain clock's instant (UTC) and ``*_on`` fields are Amsterdam dates.
Derived outcomes (category, verdict, gecertificeerd tot, cost class, windows) are recorded in the
event, so ``evolve`` needs no rules and a later rule change never rewrites history.

Storage: ``event_type(e)``, ``event_to_dict(e)`` (JSON-safe) and ``domain.registry.event_from_dict(type, data)``;
``type(e).schema_version`` goes into the envelope, for upcasting old versions on read.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.calendar import Quarter
from domain.commands import Contact
from domain.vocabulary import (
    Association,
    CostClass,
    DeadlineKind,
    OrganisationType,
    Party,
    PostponementGround,
    Remark,
    Result,
    RoundKind,
    Satisfaction,
    Score,
)


class Event(BaseModel):
    """Base of every event: the trajectory it belongs to and when it happened (UTC)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: ClassVar[int] = 1

    trajectory_id: str
    occurred_at: AwareDatetime


class TrajectoryOpened(Event):
    """A trajectory started under a framework version; the audit quarter follows from the expiry."""

    organisation: str
    certificate_number: str
    association: Association
    framework_version: str
    opened_on: date
    previous_certificate_expiry: date | None
    audit_quarter: Quarter
    announcement_due_on: date
    previous_auditors: tuple[str, ...] = ()
    contact_email: str | None = None
    organisation_type: OrganisationType | None = None  # absent in events recorded before it existed


class AnnouncementSent(Event):
    """The auditee was told its audit quarter and invited to fill in the intake."""

    sent_on: date
    audit_quarter: Quarter
    intake_due_on: date
    automatic: bool


class IntakeSent(Event):
    """The intake form was (re)sent; its term runs from this day."""

    sent_on: date
    intake_due_on: date


class IntakeRecorded(Event):
    """The intake came in; it fixed the audit category, the dagdelen and the modules in scope."""

    received_on: date
    contacts: tuple[Contact, ...]
    locations: tuple[str, ...]
    employees: int
    services: tuple[str, ...]
    category: str
    dagdelen: int
    auditor_hours: int
    modules: tuple[str, ...]
    ido: bool
    scope: tuple[str, ...]


class ContactsChanged(Event):
    """The auditee's contact persons were named anew; they replace those of the opening and the intake."""

    changed_on: date
    contacts: tuple[Contact, ...]


class ConflictOfInterestDeclared(Event):
    """An auditor declared a relation with this auditee and will not be planned on it."""

    auditor: str
    relation: str


class AuditScheduled(Event):
    """Audit (or heraudit) date(s) and auditors fixed; re-recorded when a planner moves it."""

    round: int
    round_kind: RoundKind
    audit_dates: tuple[date, ...]
    expert_auditor: str
    peer_auditor: str
    audit_quarter: Quarter | None
    scheduled_on: date
    self_evaluation_due_on: date | None
    rescheduled: bool
    category: str | None
    dagdelen: int | None
    auditor_hours: int | None


class PostponementRequested(Event):
    """The auditee asked for uitstel; it awaits a planner's explained answer."""

    request_number: int
    ground: PostponementGround
    reason: str
    ground_effective_on: date | None
    requested_on: date
    date_fixed: bool
    force_majeure: bool
    audit_quarter: Quarter
    audit_dates: tuple[date, ...]


class PostponementGranted(Event):
    """Uitstel granted, with the planner's reason and where the audit moves to."""

    request_number: int
    reason: str
    decided_on: date
    force_majeure: bool
    previous_quarter: Quarter
    new_quarter: Quarter
    new_audit_dates: tuple[date, ...] | None
    regular_granted: int
    force_majeure_granted: int
    decided_by: str | None = None  # the planner; None in events recorded before it was kept


class PostponementRejected(Event):
    """Uitstel rejected, with the planner's reason."""

    request_number: int
    reason: str
    decided_on: date
    decided_by: str | None = None  # the planner; None in events recorded before it was kept


class SelfEvaluationSubmitted(Event):
    """The zelfevaluatie came in (late when after its due date)."""

    submitted_on: date
    documents: tuple[str, ...]
    due_on: date | None
    late: bool


class AuditScoresRecorded(Event):
    """Scores per question per norm in scope, the resulting norm scores, findings and improvements."""

    round: int
    round_kind: RoundKind
    scope: tuple[str, ...]
    scores: dict[str, dict[str, Score]]
    norm_scores: dict[str, float]
    indicators: dict[str, bool]
    findings: tuple[str, ...]
    improvement_points: tuple[str, ...]
    recorded_on: date
    audit_dates: tuple[date, ...]


class DraftReportIssued(Event):
    """The conceptrapport went out; hoor en wederhoor runs until ``reaction_ends_on``.

    v2 added ``round_kind``; a v1 event is upcast on read (round 1 was the audit, a later one a heraudit:
    the reassessment after an upheld objection came later than v1)."""

    schema_version: ClassVar[int] = 2

    round: int
    round_kind: RoundKind
    issued_on: date
    reaction_ends_on: date
    decision_due_on: date
    summary: str


class DraftReactionReceived(Event):
    """The auditee reacted to the conceptrapport."""

    round: int
    received_on: date
    reaction: str


class ReactionWindowClosed(Event):
    """Hoor en wederhoor ended without a reaction."""

    round: int
    closed_on: date


class CertificationDecided(Event):
    """The director's verdict, as the scores imply it, per module set and decisive."""

    round: int
    round_kind: RoundKind
    verdict: Result
    verdicts: dict[str, Result]
    norm_scores: dict[str, float]
    failing_norms: tuple[str, ...]
    decided_on: date
    motivation: str
    heraudit_window_opens_on: date | None
    heraudit_window_closes_on: date | None
    objection_term_ends_on: date | None


class CertificateIssued(Event):
    """A certificate: number, and valid until (gecertificeerd tot)."""

    certificate_number: str
    organisation: str
    issued_on: date
    valid_until: date
    anchored_on: date | None
    after_heraudit: bool


class SurveySent(Event):
    """The satisfaction survey went out after the decision."""

    sent_on: date
    reminder_on: date
    closes_on: date


class SurveyAnswered(Event):
    """The auditee answered the survey."""

    answer: Satisfaction
    comment: str
    answered_on: date


class SurveyClosed(Event):
    """The survey closed without an answer."""

    closed_on: date


class ReminderSent(Event):
    """A reminder deadline fired; the notification goes out once."""

    kind: DeadlineKind
    deadline_id: str
    due_on: date
    sent_on: date


class DeadlineMissed(Event):
    """A hard deadline passed with its step undone; it stays listed as overdue until the step is done.

    v2 added ``party``, who must act; a v1 event is upcast on read from the kind (as the deadline rules
    assigned it then)."""

    schema_version: ClassVar[int] = 2

    kind: DeadlineKind
    party: Party
    deadline_id: str
    due_on: date
    reported_on: date


class HerauditRequested(Event):
    """The auditee asked for a heraudit; it is in preparation (Heraudit in voorbereiding)."""

    round: int
    requested_on: date
    after_verdict: Result
    scope: tuple[str, ...]


class HerauditWindowLapsed(Event):
    """The heraudit window closed without a request: the verdict stands (Geen heraudit aangevraagd)."""

    lapsed_on: date
    verdict: Result


class ObjectionFiled(Event):
    """A bezwaar against the standing verdict; the board decides."""

    round: int
    filed_on: date
    grounds: str
    against_verdict: Result
    decision_due_on: date


class ObjectionDecided(Event):
    """The board's decision: upheld opens a reassessment round; rejected lets the verdict stand."""

    upheld: bool
    reason: str
    decided_on: date
    against_verdict: Result
    next_round: int | None
    reassessment_scope: tuple[str, ...]
    heraudit_window_closes_on: date | None


class ObjectionTermEnded(Event):
    """The bezwaar term passed without an objection."""

    ended_on: date


class AuditCancelled(Event):
    """Annulering of the planned audit; the cost class says what is charged."""

    round: int
    cancelled_on: date
    audit_dates: tuple[date, ...]
    cost_class: CostClass
    reason: str


class ParticipationWithdrawn(Event):
    """The organisation does not take part (Geen deelname)."""

    withdrawn_on: date
    reason: str


class ValidityExtended(Event):
    """The running certificate was extended after an extraordinary event; the anchor stays."""

    original_expiry: date
    previous_valid_until: date
    valid_until: date
    months: int
    reason: str
    extended_on: date


class CertificateExpired(Event):
    """The previous certificate ran out; with no decision yet the register shows hercertificering loopt."""

    expired_on: date
    recertification_running: bool


class InterimStatusEnded(Event):
    """'Hercertificering loopt' reached its maximum; the register no longer shows a valid status."""

    ended_on: date


class TrajectoryClosed(Event):
    """The trajectory finished; its register entry is final."""

    closed_on: date
    result: Result | None
    remark: Remark | None


def event_type(event: Event) -> str:
    """The stored type name of an event."""
    return type(event).__name__


def event_to_dict(event: Event) -> dict[str, Any]:
    """The event's data as JSON-safe primitives (dates as ISO strings, enums as their values)."""
    return event.model_dump(mode="json")


#: Who had to act on a missed deadline of each kind, for DeadlineMissed v1 (the rules of domain.deadlines).
_PARTY_OF_KIND: dict[str, str] = {
    DeadlineKind.ANNOUNCEMENT: Party.CBCT,
    DeadlineKind.INTAKE: Party.AUDITEE,
    DeadlineKind.PLANNING: Party.PLANNER,
    DeadlineKind.SELF_EVALUATION: Party.AUDITEE,
    DeadlineKind.AUDIT_SCORES: Party.AUDITOR,
    DeadlineKind.DRAFT_REPORT: Party.CBCT,
    DeadlineKind.REACTION_WINDOW: Party.AUDITEE,
    DeadlineKind.DECISION: Party.DIRECTOR,
    DeadlineKind.POSTPONEMENT_DECISION: Party.PLANNER,
    DeadlineKind.OBJECTION_DECISION: Party.BOARD,
}


def upcast(type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Old schema versions to the current one, on read: stored events are never rewritten."""
    if type_name == "DraftReportIssued" and "round_kind" not in data:
        return {**data, "round_kind": RoundKind.AUDIT if data.get("round", 1) <= 1 else RoundKind.HERAUDIT}
    if type_name == "DeadlineMissed" and "party" not in data:
        return {**data, "party": _PARTY_OF_KIND.get(data.get("kind", ""), Party.CBCT)}
    return data
