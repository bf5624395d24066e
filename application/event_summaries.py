"""Dutch one-line summaries of events, as the timeline and the scenario runner show them.

Kept beside the domain rather than in a read model, so the scenario runner and the timeline projection
print the very same line for an event; every event type must have one (checked at import).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from application.dutch import datum, datums, getal, kader, normen, opsomming
from domain import Event, RoundKind
from domain import events as ev

E = TypeVar("E", bound=Event)
_Summary = Callable[[Any], str]
_SUMMARIES: dict[type[Event], _Summary] = {}


def _on(event_type: type[E]) -> Callable[[Callable[[E], str]], Callable[[E], str]]:
    def register(fn: Callable[[E], str]) -> Callable[[E], str]:
        _SUMMARIES[event_type] = fn
        return fn

    return register


def summarize(event: Event) -> str:
    """One Dutch line for an event."""
    summary = _SUMMARIES.get(type(event))
    return summary(event) if summary else type(event).__name__


_ROUND = {RoundKind.AUDIT: "Audit", RoundKind.HERAUDIT: "Heraudit", RoundKind.REASSESSMENT: "Herbeoordeling"}


@_on(ev.TrajectoryOpened)
def _opened(e: ev.TrajectoryOpened) -> str:
    expiry_on = e.previous_certificate_expiry
    expiry = f"; certificaat verloopt op {datum(expiry_on)}" if expiry_on else ""
    return (
        f"Traject geopend onder {kader(e.framework_version)} (certificaat {e.certificate_number}){expiry}; "
        f"auditkwartaal {e.audit_quarter}, aankondiging uiterlijk {datum(e.announcement_due_on)}"
    )


@_on(ev.AnnouncementSent)
def _announced(e: ev.AnnouncementSent) -> str:
    how = " (automatisch)" if e.automatic else ""
    return f"Aankondiging verstuurd{how}: audit in {e.audit_quarter}; intake uiterlijk {datum(e.intake_due_on)}"


@_on(ev.IntakeSent)
def _intake_sent(e: ev.IntakeSent) -> str:
    return f"Intakeformulier opnieuw verstuurd; in te vullen uiterlijk {datum(e.intake_due_on)}"


@_on(ev.IntakeRecorded)
def _intake(e: ev.IntakeRecorded) -> str:
    extras = [f"module {m}" for m in e.modules] + (["IDO"] if e.ido else [])
    more = f", met {opsomming(extras)}" if extras else ""
    places = "vestiging" if len(e.locations) == 1 else "vestigingen"
    return f"Intake ontvangen: categorie {e.category}, {e.dagdelen} dagdelen, {len(e.locations)} {places}{more}"


@_on(ev.ConflictOfInterestDeclared)
def _conflict(e: ev.ConflictOfInterestDeclared) -> str:
    return f"Belangenverstrengeling gemeld: {e.auditor} ({e.relation})"


@_on(ev.AuditScheduled)
def _scheduled(e: ev.AuditScheduled) -> str:
    verb = "verplaatst naar" if e.rescheduled else "gepland op"
    return f"{_ROUND[e.round_kind]} {verb} {datums(e.audit_dates)} (auditoren: {e.expert_auditor}, {e.peer_auditor})"


@_on(ev.PostponementRequested)
def _postponement_requested(e: ev.PostponementRequested) -> str:
    return f"Uitstel gevraagd (verzoek {e.request_number}, {e.ground.value}): {e.reason}"


@_on(ev.PostponementGranted)
def _postponement_granted(e: ev.PostponementGranted) -> str:
    where = f"{datums(e.new_audit_dates)}" if e.new_audit_dates else f"{e.new_quarter}"
    force = ", overmacht" if e.force_majeure else ""
    return f"Uitstel toegekend (verzoek {e.request_number}{force}): audit naar {where}; reden: {e.reason}"


@_on(ev.PostponementRejected)
def _postponement_rejected(e: ev.PostponementRejected) -> str:
    return f"Uitstel afgewezen (verzoek {e.request_number}): {e.reason}"


@_on(ev.SelfEvaluationSubmitted)
def _self_evaluation(e: ev.SelfEvaluationSubmitted) -> str:
    late = f", te laat (termijn {datum(e.due_on)})" if e.late and e.due_on else ""
    count = len(e.documents)
    return f"Zelfevaluatie ontvangen ({count} {'document' if count == 1 else 'documenten'}){late}"


@_on(ev.AuditScoresRecorded)
def _scored(e: ev.AuditScoresRecorded) -> str:
    scores = "; ".join(f"{normen([n])} {getal(s)}" for n, s in e.norm_scores.items())
    return f"Scores {_ROUND[e.round_kind].lower()} vastgelegd: {scores}"


@_on(ev.DraftReportIssued)
def _draft(e: ev.DraftReportIssued) -> str:
    return f"Conceptrapport verstuurd; reageren kan tot en met {datum(e.reaction_ends_on)}"


@_on(ev.DraftReactionReceived)
def _reaction(e: ev.DraftReactionReceived) -> str:
    return "Reactie op het conceptrapport ontvangen"


@_on(ev.ReactionWindowClosed)
def _reaction_closed(e: ev.ReactionWindowClosed) -> str:
    return "Hoor en wederhoor gesloten zonder reactie"


@_on(ev.CertificationDecided)
def _decided(e: ev.CertificationDecided) -> str:
    failing = f" (onvoldoende: {normen(e.failing_norms)})" if e.failing_norms else ""
    return f"Besluit: {e.verdict.value}{failing}"


@_on(ev.CertificateIssued)
def _certificate(e: ev.CertificateIssued) -> str:
    after = " na heraudit" if e.after_heraudit else ""
    return f"Certificaat {e.certificate_number} uitgereikt{after}: gecertificeerd tot {datum(e.valid_until)}"


@_on(ev.SurveySent)
def _survey_sent(e: ev.SurveySent) -> str:
    return f"Evaluatie verstuurd; open tot en met {datum(e.closes_on)}"


@_on(ev.SurveyAnswered)
def _survey_answered(e: ev.SurveyAnswered) -> str:
    return f"Evaluatie beantwoord: {e.answer.value}"


@_on(ev.SurveyClosed)
def _survey_closed(e: ev.SurveyClosed) -> str:
    return "Evaluatie gesloten zonder antwoord"


@_on(ev.ReminderSent)
def _reminder(e: ev.ReminderSent) -> str:
    return f"Herinnering verstuurd: {e.kind.label} ({datum(e.due_on)})"


@_on(ev.DeadlineMissed)
def _missed(e: ev.DeadlineMissed) -> str:
    return f"Termijn verstreken: {e.kind.label} (uiterlijk {datum(e.due_on)})"


@_on(ev.HerauditRequested)
def _heraudit_requested(e: ev.HerauditRequested) -> str:
    return f"Heraudit aangevraagd op {normen(e.scope)}"


@_on(ev.HerauditWindowLapsed)
def _heraudit_lapsed(e: ev.HerauditWindowLapsed) -> str:
    return f"Termijn voor heraudit verstreken zonder aanvraag; besluit blijft '{e.verdict.value}'"


@_on(ev.ObjectionFiled)
def _objection_filed(e: ev.ObjectionFiled) -> str:
    return f"Bezwaar ingediend tegen '{e.against_verdict.value}'; bestuur beslist uiterlijk {datum(e.decision_due_on)}"


@_on(ev.ObjectionDecided)
def _objection_decided(e: ev.ObjectionDecided) -> str:
    return f"Bezwaar {'gegrond' if e.upheld else 'ongegrond'}: {e.reason}"


@_on(ev.ObjectionTermEnded)
def _objection_term(e: ev.ObjectionTermEnded) -> str:
    return "Bezwaartermijn verstreken zonder bezwaar"


@_on(ev.AuditCancelled)
def _cancelled(e: ev.AuditCancelled) -> str:
    return f"Audit van {datums(e.audit_dates)} geannuleerd ({e.cost_class.value}): {e.reason}"


@_on(ev.ParticipationWithdrawn)
def _withdrawn(e: ev.ParticipationWithdrawn) -> str:
    return f"Geen deelname: {e.reason}"


@_on(ev.ValidityExtended)
def _extended(e: ev.ValidityExtended) -> str:
    return f"Certificaat verlengd tot {datum(e.valid_until)} ({e.months} maanden): {e.reason}"


@_on(ev.CertificateExpired)
def _expired(e: ev.CertificateExpired) -> str:
    running = "; hercertificering loopt" if e.recertification_running else ""
    return f"Certificaat verlopen op {datum(e.expired_on)}{running}"


@_on(ev.InterimStatusEnded)
def _interim_ended(e: ev.InterimStatusEnded) -> str:
    return "Status 'hercertificering loopt' beëindigd: maximale duur bereikt"


@_on(ev.TrajectoryClosed)
def _closed(e: ev.TrajectoryClosed) -> str:
    outcome = ": " + " – ".join(v.value for v in (e.result, e.remark) if v is not None) if e.result else ""
    return f"Traject afgesloten{outcome}"


_missing = set(ev.EVENT_TYPES.values()) - set(_SUMMARIES)
assert not _missing, f"event_summaries misses summaries for {_missing}"
