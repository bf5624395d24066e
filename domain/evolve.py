"""Fold events into state: ``evolve(state, event)`` and ``replay(events)``. Pure, rules-free.

Every event already carries the outcomes ``decide`` computed, so folding never consults rules and
replaying an old stream under newer rule files yields the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from domain import events as ev
from domain.errors import InvalidCommand
from domain.state import (
    AuditRound,
    DecidedPostponement,
    Decision,
    Intake,
    IssuedCertificate,
    Objection,
    PendingPostponement,
    PreviousCertificate,
    TrajectoryState,
)
from domain.vocabulary import DeadlineKind, ObjectionStatus, Phase, PostponementGround, RoundKind, SurveyStatus

E = TypeVar("E", bound=ev.Event)
_Handler = Callable[[TrajectoryState, Any], TrajectoryState]
_HANDLERS: dict[type[ev.Event], _Handler] = {}


def _on(event_type: type[E]) -> Callable[[Callable[[TrajectoryState, E], TrajectoryState]], _Handler]:
    def register(handler: Callable[[TrajectoryState, E], TrajectoryState]) -> _Handler:
        _HANDLERS[event_type] = handler
        return handler

    return register


def _opened(event: ev.TrajectoryOpened) -> TrajectoryState:
    previous = event.previous_certificate_expiry
    return TrajectoryState(
        trajectory_id=event.trajectory_id,
        organisation=event.organisation,
        certificate_number=event.certificate_number,
        association=event.association,
        organisation_type=event.organisation_type,
        framework_version=event.framework_version,
        opened_on=event.opened_on,
        version=0,
        phase=Phase.OPENED,
        phase_since=event.opened_on,
        audit_quarter=event.audit_quarter,
        announcement_due_on=event.announcement_due_on,
        previous_certificate=PreviousCertificate(expiry=previous, valid_until=previous) if previous else None,
        previous_auditors=frozenset(event.previous_auditors),
    )


def evolve(state: TrajectoryState | None, event: ev.Event) -> TrajectoryState:
    """The state after ``event``. A stream must start with TrajectoryOpened."""
    if isinstance(event, ev.TrajectoryOpened):
        if state is not None:
            raise InvalidCommand("traject is al geopend", rule="state.already_opened")
        new = _opened(event)
    else:
        if state is None:
            raise InvalidCommand(f"gebeurtenis {type(event).__name__} vóór TrajectoryOpened", rule="state.not_opened")
        new = _HANDLERS[type(event)](state, event)
    return new.model_copy(update={"version": new.version + 1})


def replay(events: Iterable[ev.Event]) -> TrajectoryState | None:
    """Fold a whole stream; None for an empty stream."""
    state: TrajectoryState | None = None
    for event in events:
        state = evolve(state, event)
    return state


def _set(state: TrajectoryState, **changes: Any) -> TrajectoryState:
    return state.model_copy(update=changes)


def _round(state: TrajectoryState, **changes: Any) -> AuditRound:
    return state.round.model_copy(update=changes)


@_on(ev.AnnouncementSent)
def _announced(s: TrajectoryState, e: ev.AnnouncementSent) -> TrajectoryState:
    return _set(
        s,
        phase=Phase.ANNOUNCED,
        phase_since=e.sent_on,
        announced_on=e.sent_on,
        intake_sent_on=e.sent_on,
        intake_due_on=e.intake_due_on,
        audit_quarter=e.audit_quarter,
    )


@_on(ev.IntakeSent)
def _intake_sent(s: TrajectoryState, e: ev.IntakeSent) -> TrajectoryState:
    return _set(s, intake_sent_on=e.sent_on, intake_due_on=e.intake_due_on)


@_on(ev.IntakeRecorded)
def _intake(s: TrajectoryState, e: ev.IntakeRecorded) -> TrajectoryState:
    intake = Intake(
        category=e.category,
        dagdelen=e.dagdelen,
        auditor_hours=e.auditor_hours,
        modules=e.modules,
        ido=e.ido,
        scope=e.scope,
    )
    return _set(s, intake=intake, phase=Phase.PLANNING, phase_since=e.received_on, round=_round(s, scope=e.scope))


@_on(ev.ConflictOfInterestDeclared)
def _conflict(s: TrajectoryState, e: ev.ConflictOfInterestDeclared) -> TrajectoryState:
    return _set(s, declared_relations=s.declared_relations | {e.auditor})


@_on(ev.AuditScheduled)
def _scheduled(s: TrajectoryState, e: ev.AuditScheduled) -> TrajectoryState:
    round_ = _round(
        s,
        audit_dates=e.audit_dates,
        expert_auditor=e.expert_auditor,
        peer_auditor=e.peer_auditor,
        scheduled_on=e.scheduled_on,
    )
    return _set(s, phase=Phase.SCHEDULED, phase_since=e.scheduled_on, round=round_)


@_on(ev.PostponementRequested)
def _postponement_requested(s: TrajectoryState, e: ev.PostponementRequested) -> TrajectoryState:
    pending = PendingPostponement(
        number=e.request_number,
        ground=e.ground,
        reason=e.reason,
        requested_on=e.requested_on,
        date_fixed=e.date_fixed,
        force_majeure=e.force_majeure,
    )
    counts = s.postponements.model_copy(update={"requests": e.request_number, "pending": pending})
    return _set(s, postponements=counts)


def _answered(
    s: TrajectoryState, e: ev.PostponementGranted | ev.PostponementRejected
) -> tuple[DecidedPostponement, ...]:
    pending = s.postponements.pending
    granted = isinstance(e, ev.PostponementGranted)
    answer = DecidedPostponement(
        number=e.request_number,
        ground=pending.ground if pending is not None else PostponementGround.OTHER,
        granted=granted,
        reason=e.reason,
        decided_on=e.decided_on,
        decided_at=e.occurred_at,
        decided_by=e.decided_by,
        new_quarter=e.new_quarter if isinstance(e, ev.PostponementGranted) else None,
        new_audit_dates=e.new_audit_dates if isinstance(e, ev.PostponementGranted) else None,
    )
    return (*s.postponements.decided, answer)


@_on(ev.PostponementGranted)
def _postponement_granted(s: TrajectoryState, e: ev.PostponementGranted) -> TrajectoryState:
    counts = s.postponements.model_copy(
        update={
            "pending": None,
            "regular_granted": e.regular_granted,
            "force_majeure_granted": e.force_majeure_granted,
            "decided": _answered(s, e),
        }
    )
    new = _set(s, postponements=counts, audit_quarter=e.new_quarter)
    if e.new_audit_dates:
        return _set(new, round=_round(s, audit_dates=e.new_audit_dates))
    if s.phase is Phase.SCHEDULED:
        return _unschedule(new, e.decided_on)
    return new


def _unschedule(s: TrajectoryState, on: Any) -> TrajectoryState:
    round_ = _round(s, audit_dates=(), expert_auditor=None, peer_auditor=None, scheduled_on=None)
    return _set(s, phase=Phase.PLANNING, phase_since=on, round=round_)


@_on(ev.PostponementRejected)
def _postponement_rejected(s: TrajectoryState, e: ev.PostponementRejected) -> TrajectoryState:
    return _set(s, postponements=s.postponements.model_copy(update={"pending": None, "decided": _answered(s, e)}))


@_on(ev.SelfEvaluationSubmitted)
def _self_evaluation(s: TrajectoryState, e: ev.SelfEvaluationSubmitted) -> TrajectoryState:
    return _set(s, self_evaluation_submitted_on=e.submitted_on)


@_on(ev.AuditScoresRecorded)
def _scored(s: TrajectoryState, e: ev.AuditScoresRecorded) -> TrajectoryState:
    round_ = _round(s, scores=e.scores, norm_scores=e.norm_scores, scores_recorded_on=e.recorded_on)
    return _set(s, phase=Phase.AUDITED, phase_since=e.recorded_on, round=round_)


@_on(ev.DraftReportIssued)
def _draft(s: TrajectoryState, e: ev.DraftReportIssued) -> TrajectoryState:
    round_ = _round(
        s, draft_issued_on=e.issued_on, reaction_ends_on=e.reaction_ends_on, decision_due_on=e.decision_due_on
    )
    return _set(s, phase=Phase.DRAFT_ISSUED, phase_since=e.issued_on, round=round_)


@_on(ev.DraftReactionReceived)
def _reaction(s: TrajectoryState, e: ev.DraftReactionReceived) -> TrajectoryState:
    return _set(
        s,
        phase=Phase.AWAITING_DECISION,
        phase_since=e.received_on,
        round=_round(s, reaction_received_on=e.received_on),
    )


@_on(ev.ReactionWindowClosed)
def _reaction_closed(s: TrajectoryState, e: ev.ReactionWindowClosed) -> TrajectoryState:
    return _set(s, phase=Phase.AWAITING_DECISION, phase_since=e.closed_on)


@_on(ev.CertificationDecided)
def _decided(s: TrajectoryState, e: ev.CertificationDecided) -> TrajectoryState:
    decision = Decision(
        round=e.round,
        verdict=e.verdict,
        decided_on=e.decided_on,
        failing_norms=e.failing_norms,
        heraudit_window_opens_on=e.heraudit_window_opens_on,
        heraudit_window_closes_on=e.heraudit_window_closes_on,
        objection_term_ends_on=e.objection_term_ends_on,
    )
    return _set(
        s,
        decision=decision,
        decisions_taken=s.decisions_taken + 1,
        phase=Phase.DECIDED,
        phase_since=e.decided_on,
        objection=Objection(),
        heraudit_lapsed=False,
    )


@_on(ev.CertificateIssued)
def _certificate(s: TrajectoryState, e: ev.CertificateIssued) -> TrajectoryState:
    certificate = IssuedCertificate(number=e.certificate_number, issued_on=e.issued_on, valid_until=e.valid_until)
    return _set(s, certificate=certificate, certified_after_heraudit=e.after_heraudit)


@_on(ev.SurveySent)
def _survey_sent(s: TrajectoryState, e: ev.SurveySent) -> TrajectoryState:
    survey = s.survey.model_copy(
        update={
            "status": SurveyStatus.SENT,
            "sent_on": e.sent_on,
            "reminder_on": e.reminder_on,
            "closes_on": e.closes_on,
        }
    )
    return _set(s, survey=survey)


@_on(ev.SurveyAnswered)
def _survey_answered(s: TrajectoryState, e: ev.SurveyAnswered) -> TrajectoryState:
    return _set(s, survey=s.survey.model_copy(update={"status": SurveyStatus.ANSWERED, "answer": e.answer}))


@_on(ev.SurveyClosed)
def _survey_closed(s: TrajectoryState, e: ev.SurveyClosed) -> TrajectoryState:
    return _set(s, survey=s.survey.model_copy(update={"status": SurveyStatus.CLOSED}))


@_on(ev.ReminderSent)
def _reminder(s: TrajectoryState, e: ev.ReminderSent) -> TrajectoryState:
    new = _set(s, fired=s.fired | {e.deadline_id})
    if e.kind is DeadlineKind.SURVEY_REMINDER:
        return _set(new, survey=s.survey.model_copy(update={"reminder_sent": True}))
    return new


@_on(ev.DeadlineMissed)
def _missed(s: TrajectoryState, e: ev.DeadlineMissed) -> TrajectoryState:
    return _set(s, fired=s.fired | {e.deadline_id})


@_on(ev.HerauditRequested)
def _heraudit_requested(s: TrajectoryState, e: ev.HerauditRequested) -> TrajectoryState:
    round_ = AuditRound(number=e.round, kind=RoundKind.HERAUDIT, heraudit_rule=True, scope=e.scope)
    return _set(s, round=round_, phase=Phase.PLANNING, phase_since=e.requested_on, remedied_verdict=e.after_verdict)


@_on(ev.HerauditWindowLapsed)
def _heraudit_lapsed(s: TrajectoryState, e: ev.HerauditWindowLapsed) -> TrajectoryState:
    return _set(s, heraudit_lapsed=True)


@_on(ev.ObjectionFiled)
def _objection_filed(s: TrajectoryState, e: ev.ObjectionFiled) -> TrajectoryState:
    objection = s.objection.model_copy(
        update={
            "status": ObjectionStatus.PENDING,
            "filed_on": e.filed_on,
            "decision_due_on": e.decision_due_on,
        }
    )
    return _set(s, objection=objection)


@_on(ev.ObjectionDecided)
def _objection_decided(s: TrajectoryState, e: ev.ObjectionDecided) -> TrajectoryState:
    if not e.upheld:
        objection = s.objection.model_copy(update={"status": ObjectionStatus.REJECTED, "term_ended": True})
        decision = (
            s.decision.model_copy(update={"heraudit_window_closes_on": e.heraudit_window_closes_on})
            if s.decision
            else None
        )
        return _set(s, objection=objection, decision=decision)
    contested = s.round
    round_ = AuditRound(
        number=e.next_round if e.next_round is not None else contested.number + 1,
        kind=RoundKind.REASSESSMENT,
        heraudit_rule=contested.heraudit_rule,
        scope=e.reassessment_scope,
        excluded_auditors=frozenset(a for a in (contested.expert_auditor, contested.peer_auditor) if a),
    )
    objection = s.objection.model_copy(update={"status": ObjectionStatus.UPHELD, "term_ended": True})
    return _set(s, objection=objection, decision=None, round=round_, phase=Phase.PLANNING, phase_since=e.decided_on)


@_on(ev.ObjectionTermEnded)
def _objection_term(s: TrajectoryState, e: ev.ObjectionTermEnded) -> TrajectoryState:
    return _set(s, objection=s.objection.model_copy(update={"term_ended": True}))


@_on(ev.AuditCancelled)
def _cancelled(s: TrajectoryState, e: ev.AuditCancelled) -> TrajectoryState:
    return _unschedule(_set(s, cancellations=(*s.cancellations, e.cost_class)), e.cancelled_on)


@_on(ev.ParticipationWithdrawn)
def _withdrawn(s: TrajectoryState, e: ev.ParticipationWithdrawn) -> TrajectoryState:
    return _set(s, withdrawn=True)


def _previous(s: TrajectoryState, **changes: Any) -> PreviousCertificate | None:
    return s.previous_certificate.model_copy(update=changes) if s.previous_certificate else None


@_on(ev.ValidityExtended)
def _extended(s: TrajectoryState, e: ev.ValidityExtended) -> TrajectoryState:
    return _set(s, previous_certificate=_previous(s, valid_until=e.valid_until, expired=False, interim_ended=False))


@_on(ev.CertificateExpired)
def _expired(s: TrajectoryState, e: ev.CertificateExpired) -> TrajectoryState:
    return _set(s, previous_certificate=_previous(s, expired=True))


@_on(ev.InterimStatusEnded)
def _interim_ended(s: TrajectoryState, e: ev.InterimStatusEnded) -> TrajectoryState:
    return _set(s, previous_certificate=_previous(s, interim_ended=True))


@_on(ev.TrajectoryClosed)
def _closed(s: TrajectoryState, e: ev.TrajectoryClosed) -> TrajectoryState:
    return _set(s, phase=Phase.CLOSED, phase_since=e.closed_on)


_missing = set(ev.EVENT_TYPES.values()) - set(_HANDLERS) - {ev.TrajectoryOpened}
assert not _missing, f"evolve misses handlers for {_missing}"
