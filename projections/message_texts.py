"""The e-mails to auditees, in Dutch: which events cause one, and what it says. Pure: event + context in.

Every message names the organisation, gives dates as 21-04-2026, says what the auditee should do or
prepare, and points to the CBCT planning contact (name, e-mail and phone come from the settings and are
added under the text when the e-mail is rendered: `application.mail_render`). A decision is always
sent with its reason. The messages that schedule, move or cancel an audit (also by a postponement or a
withdrawal) carry its calendar entry (`AuditInvite`): one UID per round (`audit_uid`), SEQUENCE the
number of times its dates or status changed after it was first scheduled — the calendar feeds' rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from application.audit_invite import AuditInvite
from application.calendar_ids import audit_uid
from application.dutch import dag, datum, datums, kader, normen
from domain import CostClass, DeadlineKind, Event, Party, Result, RoundKind
from domain import events as ev
from domain.postponement import decision_due
from frameworks.loader import load_rules


class MessageContext(BaseModel):
    """What the messages of a trajectory need beyond the event itself; folded from its events."""

    model_config = ConfigDict(frozen=True)

    organisation: str
    certificate_number: str
    framework_version: str
    recipient: str | None = None
    recipient_name: str | None = None
    valid_until: date | None = None
    audit_quarter: str = ""
    audit_dates: tuple[date, ...] = ()
    survey_closes_on: date | None = None
    motivation: str = ""
    heraudit_scope: tuple[str, ...] = ()
    round_kind: RoundKind = RoundKind.AUDIT
    # The calendar entry of the latest scheduled audit (contexts stored before these fields read the defaults).
    invite_round: int | None = None  # its round; None until an audit is first scheduled
    invite_sequence: int = 0
    invite_dates: tuple[date, ...] = ()  # kept when it is cancelled: what the cancellation is about
    invite_cancelled: bool = False
    audit_held: bool = False  # its scores are recorded: nothing moves or cancels it any more
    invite_revised: bool = False  # whether the latest audit-date event created or changed the entry
    expert_auditor: str = ""
    peer_auditor: str = ""
    recipient_changed: bool = False  # the latest ContactsChanged named another first contact


def evolve_context(ctx: MessageContext | None, event: Event) -> MessageContext | None:
    """The context after `event` (None until the trajectory is opened)."""
    if isinstance(event, ev.TrajectoryOpened):
        return MessageContext(
            organisation=event.organisation,
            certificate_number=event.certificate_number,
            framework_version=event.framework_version,
            recipient=event.contact_email,
            valid_until=event.previous_certificate_expiry,
            audit_quarter=str(event.audit_quarter),
        )
    if ctx is None:
        return None
    changes: dict[str, Any] = {}
    if isinstance(event, ev.IntakeRecorded | ev.ContactsChanged) and event.contacts:
        changes = {"recipient": event.contacts[0].email, "recipient_name": event.contacts[0].name}
        if isinstance(event, ev.ContactsChanged):
            changes["recipient_changed"] = event.contacts[0].email.lower() != (ctx.recipient or "").lower()
    elif isinstance(event, ev.AnnouncementSent):
        changes = {"audit_quarter": str(event.audit_quarter)}
    elif isinstance(event, ev.AuditScheduled):
        changes = {
            "audit_dates": event.audit_dates,
            "round_kind": event.round_kind,
            "expert_auditor": event.expert_auditor,
            "peer_auditor": event.peer_auditor,
        }
        if ctx.invite_round != event.round:  # first scheduled: SEQUENCE 0
            changes |= {
                "invite_round": event.round,
                "invite_sequence": 0,
                "invite_dates": event.audit_dates,
                "invite_cancelled": False,
                "audit_held": False,
                "invite_revised": True,
            }
        else:
            changes |= _revised(ctx, event.audit_dates, cancelled=False)
    elif isinstance(event, ev.PostponementGranted):
        changes = {"audit_quarter": str(event.new_quarter), "audit_dates": event.new_audit_dates or ()}
        changes |= _planned_moves(ctx, event.new_audit_dates)
    elif isinstance(event, ev.AuditCancelled):
        changes = {"audit_dates": ()}
        changes |= _revised(ctx, ctx.invite_dates, cancelled=True) if ctx.invite_round == event.round else {}
    elif isinstance(event, ev.AuditScoresRecorded) and ctx.invite_round == event.round:
        changes = {"audit_held": True}
    elif isinstance(event, ev.ParticipationWithdrawn | ev.TrajectoryClosed):
        changes = _planned_moves(ctx, None)
    elif isinstance(event, ev.HerauditRequested):
        changes = {"heraudit_scope": event.scope}
    elif isinstance(event, ev.ValidityExtended):
        changes = {"valid_until": event.valid_until}
    elif isinstance(event, ev.SurveySent):
        changes = {"survey_closes_on": event.closes_on}
    elif isinstance(event, ev.CertificationDecided):
        changes = {"motivation": event.motivation}
    return ctx.model_copy(update=changes) if changes else ctx


def _revised(ctx: MessageContext, dates: tuple[date, ...], *, cancelled: bool) -> dict[str, Any]:
    """The calendar entry with new dates and/or status: SEQUENCE goes up when either differs from what
    calendars have (the rule of the calendar feeds, `projections.calendar.fold_event`)."""
    revised = dates != ctx.invite_dates or cancelled != ctx.invite_cancelled
    return {
        "invite_dates": dates,
        "invite_cancelled": cancelled,
        "invite_sequence": ctx.invite_sequence + 1 if revised else ctx.invite_sequence,
        "invite_revised": revised,
    }


def _planned_moves(ctx: MessageContext, new_dates: tuple[date, ...] | None) -> dict[str, Any]:
    """A postponement (to `new_dates`, or to no date), a withdrawal or a closing: it moves or cancels the
    audit that is planned and has not taken place, if there is one."""
    if ctx.invite_round is None or ctx.invite_cancelled or ctx.audit_held:
        return {"invite_revised": False}
    return _revised(ctx, new_dates, cancelled=False) if new_dates else _revised(ctx, ctx.invite_dates, cancelled=True)


@dataclass(frozen=True)
class Draft:
    """A message before it has an id and a recipient."""

    kind: str
    subject: str
    body: str
    invite: AuditInvite | None = None


E = TypeVar("E", bound=Event)
_Compose = Callable[[Any, MessageContext], Draft | None]
_COMPOSERS: dict[type[Event], _Compose] = {}


def _on(event_type: type[E]) -> Callable[[Callable[[E, MessageContext], Draft | None]], _Compose]:
    def register(fn: Callable[[E, MessageContext], Draft | None]) -> _Compose:
        _COMPOSERS[event_type] = fn
        return fn

    return register


def may_cause_email(event_type: str) -> bool:
    """Whether an event of this type can cause a message at all (most cannot: no stream read needed)."""
    return any(t.__name__ == event_type for t in _COMPOSERS)


def compose(event: Event, ctx: MessageContext) -> Draft | None:
    """The message `event` causes for the auditee, if any."""
    composer = _COMPOSERS.get(type(event))
    return composer(event, ctx) if composer else None


def _mail(kind: str, subject: str, ctx: MessageContext, *paragraphs: str, invite: AuditInvite | None = None) -> Draft:
    greeting = f"Beste {ctx.recipient_name}," if ctx.recipient_name else f"Beste contactpersoon van {ctx.organisation},"
    attached = (
        "In de bijlage vindt u de afspraak voor uw agenda (audit.ics)."
        if invite is not None and not invite.cancelled
        else "In de bijlage vindt u de annulering voor uw agenda."
        if invite is not None
        else ""
    )
    closing = (
        "Heeft u vragen? Neem gerust contact op met CBCT planning; de contactgegevens staan onder dit bericht.\n\n"
        "Met vriendelijke groet,\n\nCBCT planning\nCertificeringsorganisatie Bibliotheekwerk, Cultuur en Taal"
    )
    body = "\n\n".join(p for p in (greeting, *paragraphs, attached, closing) if p)
    return Draft(kind, f"{subject} – {ctx.organisation}", body + "\n", invite)


def _invite(trajectory_id: str, ctx: MessageContext) -> AuditInvite | None:
    """The calendar entry of the latest scheduled audit as the context has it (none before one is)."""
    if ctx.invite_round is None or not ctx.invite_dates:
        return None
    auditors = (
        f"Auditoren: {ctx.expert_auditor} (deskundige auditor) en {ctx.peer_auditor} (collega-auditor)."
        if ctx.expert_auditor and ctx.peer_auditor
        else ""
    )
    return AuditInvite(
        uid=audit_uid(trajectory_id, ctx.invite_round),
        sequence=ctx.invite_sequence,
        dates=ctx.invite_dates,
        cancelled=ctx.invite_cancelled,
        summary=f"{_round_name(ctx.round_kind).capitalize()} CBCT – {ctx.organisation}",
        location=ctx.organisation,
        description=auditors,
    )


def _revised_invite(trajectory_id: str, ctx: MessageContext) -> AuditInvite | None:
    """The entry, if the event just folded moved or cancelled it."""
    return _invite(trajectory_id, ctx) if ctx.invite_revised else None


def _todo(*items: str) -> str:
    return "Wat vragen we van u?\n" + "\n".join(f"- {item}" for item in items if item)


def _round_name(kind: RoundKind) -> str:
    return {RoundKind.AUDIT: "audit", RoundKind.HERAUDIT: "heraudit", RoundKind.REASSESSMENT: "herbeoordeling"}[kind]


@_on(ev.AnnouncementSent)
def _announcement(e: ev.AnnouncementSent, ctx: MessageContext) -> Draft:
    q = e.audit_quarter
    expiry = (
        f"Het certificaat van {ctx.organisation} is geldig tot en met {datum(ctx.valid_until)}. "
        "Daarom vindt de audit voor de hercertificering plaats"
        if ctx.valid_until
        else f"De audit van {ctx.organisation} vindt plaats"
    )
    return _mail(
        "announcement",
        f"Aankondiging audit {q}",
        ctx,
        f"{expiry} in {q}: tussen {datum(q.start)} en {datum(q.end)}. "
        f"We auditen volgens {kader(ctx.framework_version)}.",
        _todo(
            f"Vul uiterlijk {datum(e.intake_due_on)} het intakeformulier in. We vragen daarin naar uw "
            "contactpersonen, vestigingen, aantal medewerkers en diensten; daarmee bepalen we de auditcategorie, "
            "het aantal dagdelen en de modules van uw audit.",
            "Houd er rekening mee dat u vóór de audit een zelfevaluatie met onderbouwende documenten aanlevert.",
        ),
    )


@_on(ev.IntakeSent)
def _intake_sent(e: ev.IntakeSent, ctx: MessageContext) -> Draft:
    return _mail(
        "intake_sent",
        "Intakeformulier audit",
        ctx,
        f"Hierbij ontvangt u opnieuw het intakeformulier voor de audit van {ctx.organisation} in {ctx.audit_quarter}.",
        _todo(f"Vul het intakeformulier uiterlijk {datum(e.intake_due_on)} in."),
    )


@_on(ev.IntakeRecorded)
def _intake_recorded(e: ev.IntakeRecorded, ctx: MessageContext) -> Draft:
    rules = load_rules(ctx.framework_version)
    names = {m.id: m.name for m in rules.modules}
    modules = "".join(f" Ook module {m} ({names.get(m, m)}) hoort bij uw audit." for m in e.modules)
    return _mail(
        "intake_received",
        "Intake ontvangen",
        ctx,
        f"Bedankt voor het invullen van de intake. {ctx.organisation} valt in auditcategorie {e.category}: "
        f"de audit duurt {e.dagdelen} dagdelen.{modules}",
        "We plannen nu de auditdatum en de auditoren en laten u die zo snel mogelijk weten.",
    )


@_on(ev.ContactsChanged)
def _contacts_changed(e: ev.ContactsChanged, ctx: MessageContext) -> Draft | None:
    """The new first contact learns what is ahead, with the audit's calendar entry while it is planned;
    nothing when the first contact stayed the same (another contact added or removed)."""
    if not ctx.recipient_changed:
        return None
    name = _round_name(ctx.round_kind)
    held_or_past = ctx.audit_held or (bool(ctx.audit_dates) and max(ctx.audit_dates) < e.changed_on)
    planned = bool(ctx.audit_dates) and not ctx.invite_cancelled and not held_or_past
    ahead = (
        f"De {name} van {ctx.organisation} staat gepland op {' en '.join(dag(d) for d in ctx.audit_dates)}."
        if planned
        else f"De audit van {ctx.organisation} vindt plaats in {ctx.audit_quarter}."
        if ctx.audit_quarter and not ctx.audit_dates and not held_or_past
        else ""
    )
    return _mail(
        "contacts_changed",
        "Contactpersoon voor de certificering",
        ctx,
        f"U bent vanaf nu contactpersoon van {ctx.organisation} voor de certificering door CBCT. Onze "
        "berichten over de audit, de termijnen en het certificaat komen voortaan naar dit e-mailadres.",
        ahead,
        "In het portaal van CBCT ziet u de data, de termijnen en wat u moet voorbereiden. U meldt zich aan met "
        "een eenmalige aanmeldlink, die u op dit e-mailadres aanvraagt.",
        invite=_invite(e.trajectory_id, ctx) if planned else None,
    )


@_on(ev.AuditScheduled)
def _scheduled(e: ev.AuditScheduled, ctx: MessageContext) -> Draft:
    name = _round_name(e.round_kind)
    days = " en ".join(dag(d) for d in e.audit_dates)
    verb = "verplaatst naar" if e.rescheduled else "gepland op"
    scope = (
        f" De {name} gaat over {normen(ctx.heraudit_scope)}."
        if e.round_kind is not RoundKind.AUDIT and ctx.heraudit_scope
        else ""
    )
    self_evaluation = (
        f"Lever uiterlijk {datum(e.self_evaluation_due_on)} uw zelfevaluatie en de onderbouwende documenten aan."
        if e.self_evaluation_due_on
        else ""
    )
    return _mail(
        "audit_rescheduled" if e.rescheduled else "audit_scheduled",
        f"{name.capitalize()} {verb} {datums(e.audit_dates)}",
        ctx,
        f"De {name} van {ctx.organisation} is {verb} {days}.{scope} De auditoren zijn {e.expert_auditor} "
        f"(deskundige auditor) en {e.peer_auditor} (collega-auditor).",
        _todo(
            self_evaluation,
            f"Zorg dat directie en medewerkers op {'de auditdagen' if len(e.audit_dates) > 1 else 'de auditdag'} "
            "beschikbaar zijn voor de gesprekken.",
            "Reserveer een werkplek voor de auditoren.",
        ),
        invite=_invite(e.trajectory_id, ctx),
    )


@_on(ev.PostponementRequested)
def _postponement_requested(e: ev.PostponementRequested, ctx: MessageContext) -> Draft:
    rules = load_rules(ctx.framework_version)
    decide_by = decision_due(e.requested_on, rules)
    return _mail(
        "postponement_received",
        "Uitstelverzoek ontvangen",
        ctx,
        f"We hebben uw verzoek om uitstel ontvangen (grond: {e.ground.value}; toelichting: {e.reason}).",
        f"Een planner van CBCT beslist uiterlijk {datum(decide_by)} en laat u de uitkomst met toelichting weten.",
    )


@_on(ev.PostponementGranted)
def _postponement_granted(e: ev.PostponementGranted, ctx: MessageContext) -> Draft:
    where = (
        f"De audit is nu gepland op {' en '.join(dag(d) for d in e.new_audit_dates)}."
        if e.new_audit_dates
        else f"De audit verschuift van {e.previous_quarter} naar {e.new_quarter}; "
        "we nemen contact met u op om een nieuwe datum te plannen."
    )
    limit = load_rules(ctx.framework_version).postponement.max_regular
    count = (
        "Dit uitstel is toegekend wegens overmacht en telt niet mee voor het maximum."
        if e.force_majeure
        else f"Dit is uitstel {e.regular_granted} van de maximaal {limit} reguliere uitstellen per traject."
    )
    return _mail(
        "postponement_granted",
        "Uitstel toegekend",
        ctx,
        f"Uw verzoek om uitstel is toegekend. Toelichting: {e.reason}",
        where,
        count,
        invite=_revised_invite(e.trajectory_id, ctx),
    )


@_on(ev.PostponementRejected)
def _postponement_rejected(e: ev.PostponementRejected, ctx: MessageContext) -> Draft:
    return _mail(
        "postponement_rejected",
        "Uitstelverzoek niet toegekend",
        ctx,
        f"Uw verzoek om uitstel is niet toegekend. Toelichting: {e.reason}",
    )


@_on(ev.DeadlineMissed)
def _missed(e: ev.DeadlineMissed, ctx: MessageContext) -> Draft | None:
    """Only the auditee is written to; a deadline CBCT's own people missed is an alert in their lists."""
    if e.party is not Party.AUDITEE:
        return None
    if e.kind is DeadlineKind.INTAKE:
        return _mail(
            "intake_overdue",
            "Intakeformulier nog niet ontvangen",
            ctx,
            f"We hebben het intakeformulier van {ctx.organisation} nog niet ontvangen; de termijn liep tot en met "
            f"{datum(e.due_on)}. Zonder intake kunnen we de audit niet plannen.",
            _todo("Vul het intakeformulier zo snel mogelijk in."),
        )
    if e.kind is DeadlineKind.SELF_EVALUATION:
        audit = f" De audit is op {datums(ctx.audit_dates)}." if ctx.audit_dates else ""
        return _mail(
            "self_evaluation_overdue",
            "Zelfevaluatie nog niet ontvangen",
            ctx,
            f"We hebben uw zelfevaluatie nog niet ontvangen; die had uiterlijk {datum(e.due_on)} binnen moeten zijn."
            f"{audit}",
            _todo("Lever de zelfevaluatie en de onderbouwende documenten zo snel mogelijk aan."),
        )
    return _mail(
        f"{e.kind.value}_overdue",
        f"Termijn verstreken: {e.kind.label}",
        ctx,
        f"De termijn voor {e.kind.label} liep tot en met {datum(e.due_on)}; we hebben nog niets van u ontvangen.",
    )


@_on(ev.ReminderSent)
def _reminder(e: ev.ReminderSent, ctx: MessageContext) -> Draft:
    if e.kind is DeadlineKind.SURVEY_REMINDER:
        closes = f" tot en met {datum(ctx.survey_closes_on)}" if ctx.survey_closes_on else ""
        return _mail(
            "survey_reminder",
            "Herinnering: evaluatie van de audit",
            ctx,
            "Onlangs vroegen we u hoe u de audit heeft ervaren. We horen het graag: het invullen duurt maar "
            f"een paar minuten en de evaluatie is open{closes}.",
        )
    if e.kind is DeadlineKind.CERTIFICATE_EXPIRY_REMINDER:
        until = f" is geldig tot en met {datum(ctx.valid_until)}" if ctx.valid_until else " verloopt binnenkort"
        return _mail(
            "certificate_expiry_reminder",
            "Uw certificaat verloopt binnenkort",
            ctx,
            f"Het certificaat van {ctx.organisation}{until}. De audit voor de hercertificering valt in "
            f"{ctx.audit_quarter}. Met de aankondiging van de audit ontvangt u ook het intakeformulier.",
        )
    return _mail(
        e.kind.value,
        f"Herinnering: {e.kind.label}",
        ctx,
        f"Dit is een herinnering: {e.kind.label}, uiterlijk {datum(e.due_on)}.",
    )


@_on(ev.DraftReportIssued)
def _draft(e: ev.DraftReportIssued, ctx: MessageContext) -> Draft:
    summary = f"\n\nSamenvatting: {e.summary}" if e.summary else ""
    name = _round_name(e.round_kind)
    return _mail(
        "draft_report",
        f"Conceptrapport {name}",
        ctx,
        f"Het conceptrapport van de {name} van {ctx.organisation} is klaar.{summary}",
        _todo(
            f"Lees het rapport en reageer uiterlijk {datum(e.reaction_ends_on)} op feitelijke onjuistheden "
            "of ontbrekende informatie (hoor en wederhoor)."
        ),
        f"Daarna neemt de directeur van CBCT het besluit, uiterlijk {datum(e.decision_due_on)}.",
    )


@_on(ev.CertificationDecided)
def _decided(e: ev.CertificationDecided, ctx: MessageContext) -> Draft | None:
    if e.verdict is Result.CERTIFIED:
        return None  # the certificate message (same command) tells it, with gecertificeerd tot
    objection = (
        f"Bent u het niet eens met dit besluit? Dan kunt u tot en met {datum(e.objection_term_ends_on)} "
        "bezwaar maken bij het bestuur van CBCT."
        if e.objection_term_ends_on
        else ""
    )
    if e.verdict is Result.CONDITIONAL and e.heraudit_window_closes_on:
        next_step = (
            f"U kunt tot en met {datum(e.heraudit_window_closes_on)} een heraudit aanvragen op "
            f"{normen(e.failing_norms)}. Is die positief, dan bent u alsnog gecertificeerd."
        )
    elif e.heraudit_window_opens_on and e.heraudit_window_closes_on:
        next_step = (
            f"Een heraudit op alle normen kunt u aanvragen van {datum(e.heraudit_window_opens_on)} tot en met "
            f"{datum(e.heraudit_window_closes_on)}."
        )
    else:
        next_step = ""
    return _mail(
        "decision",
        f"Besluit: {e.verdict.value}",
        ctx,
        f"De directeur van CBCT heeft op {datum(e.decided_on)} besloten: {ctx.organisation} is "
        f"{e.verdict.value.lower()}.",
        f"Motivering: {e.motivation}",
        next_step,
        objection,
    )


@_on(ev.CertificateIssued)
def _certificate(e: ev.CertificateIssued, ctx: MessageContext) -> Draft:
    after = " na de heraudit" if e.after_heraudit else ""
    motivation = f"Motivering: {ctx.motivation}" if ctx.motivation else ""
    return _mail(
        "certificate",
        f"Gecertificeerd tot {datum(e.valid_until)}",
        ctx,
        f"Gefeliciteerd! De directeur van CBCT heeft op {datum(e.issued_on)} besloten dat {e.organisation}{after} "
        f"gecertificeerd is volgens {kader(ctx.framework_version)}.",
        motivation,
        f"Certificaatnummer: {e.certificate_number}\nGecertificeerd tot: {datum(e.valid_until)}",
        "Het register op de website van CBCT wordt bijgewerkt.",
    )


@_on(ev.SurveySent)
def _survey(e: ev.SurveySent, ctx: MessageContext) -> Draft:
    return _mail(
        "survey",
        "Hoe heeft u de audit ervaren?",
        ctx,
        "We horen graag hoe tevreden u bent over de audit, van zeer tevreden tot zeer ontevreden. "
        f"Uw antwoord helpt ons de audits te verbeteren. De evaluatie is open tot en met {datum(e.closes_on)}.",
    )


@_on(ev.HerauditRequested)
def _heraudit_requested(e: ev.HerauditRequested, ctx: MessageContext) -> Draft:
    return _mail(
        "heraudit_requested",
        "Aanvraag heraudit ontvangen",
        ctx,
        f"We hebben uw aanvraag voor een heraudit op {normen(e.scope)} ontvangen.",
        "We plannen de heraudit en laten u de datum en de auditoren zo snel mogelijk weten.",
    )


@_on(ev.HerauditWindowLapsed)
def _heraudit_lapsed(e: ev.HerauditWindowLapsed, ctx: MessageContext) -> Draft:
    return _mail(
        "heraudit_window_lapsed",
        "Termijn voor heraudit verstreken",
        ctx,
        f"De termijn om een heraudit aan te vragen is op {datum(e.lapsed_on)} verstreken zonder aanvraag. "
        f"Het besluit '{e.verdict.value}' blijft daarmee staan; in het register staat 'Geen heraudit aangevraagd'.",
    )


@_on(ev.ObjectionFiled)
def _objection_filed(e: ev.ObjectionFiled, ctx: MessageContext) -> Draft:
    return _mail(
        "objection_received",
        "Bezwaar ontvangen",
        ctx,
        f"We hebben uw bezwaar tegen het besluit '{e.against_verdict.value}' ontvangen. "
        f"Het bestuur van CBCT beslist uiterlijk {datum(e.decision_due_on)} en licht het besluit toe.",
    )


@_on(ev.ObjectionDecided)
def _objection_decided(e: ev.ObjectionDecided, ctx: MessageContext) -> Draft:
    if e.upheld:
        outcome = (
            "Het bestuur van CBCT heeft uw bezwaar gegrond verklaard. Er volgt een herbeoordeling door andere "
            "auditoren; we nemen contact met u op voor de planning."
        )
    else:
        window = (
            f" U kunt tot en met {datum(e.heraudit_window_closes_on)} een heraudit aanvragen."
            if e.heraudit_window_closes_on
            else ""
        )
        outcome = (
            "Het bestuur van CBCT heeft uw bezwaar ongegrond verklaard: het besluit "
            f"'{e.against_verdict.value}' blijft staan.{window}"
        )
    return _mail(
        "objection_decided",
        f"Besluit over uw bezwaar: {'gegrond' if e.upheld else 'ongegrond'}",
        ctx,
        outcome,
        f"Toelichting: {e.reason}",
    )


@_on(ev.AuditCancelled)
def _cancelled(e: ev.AuditCancelled, ctx: MessageContext) -> Draft:
    months = load_rules(ctx.framework_version).cancellation.full_cost_within_months
    cost = (
        f"Omdat de annulering binnen {months} maanden voor de audit valt, brengen we de volledige auditkosten "
        "in rekening."
        if e.cost_class is CostClass.FULL_AUDIT_COST
        else "Aan de annulering zijn geen kosten verbonden."
    )
    return _mail(
        "audit_cancelled",
        "Audit geannuleerd",
        ctx,
        f"De audit van {datums(e.audit_dates)} is geannuleerd. Reden: {e.reason}",
        cost,
        "We nemen contact met u op om een nieuwe datum te plannen.",
        invite=_revised_invite(e.trajectory_id, ctx),
    )


@_on(ev.ParticipationWithdrawn)
def _withdrawn(e: ev.ParticipationWithdrawn, ctx: MessageContext) -> Draft:
    return _mail(
        "participation_withdrawn",
        "Geen deelname aan de certificering",
        ctx,
        f"We hebben vastgelegd dat {ctx.organisation} niet deelneemt aan deze certificeringsronde "
        f"(reden: {e.reason}). In het register staat: Niet gecertificeerd – Geen deelname.",
        invite=_revised_invite(e.trajectory_id, ctx),  # a planned audit is off: its cancellation
    )


@_on(ev.ValidityExtended)
def _extended(e: ev.ValidityExtended, ctx: MessageContext) -> Draft:
    return _mail(
        "validity_extended",
        f"Certificaat verlengd tot {datum(e.valid_until)}",
        ctx,
        f"Het certificaat van {ctx.organisation} is met {e.months} maanden verlengd en nu geldig tot en met "
        f"{datum(e.valid_until)}. Reden: {e.reason}",
        "De verlenging verschuift de volgende certificeringscyclus niet.",
    )


@_on(ev.CertificateExpired)
def _expired(e: ev.CertificateExpired, ctx: MessageContext) -> Draft:
    running = (
        " Omdat de hercertificering loopt, staat in het register 'hercertificering loopt' tot het besluit."
        if e.recertification_running
        else ""
    )
    return _mail(
        "certificate_expired",
        "Certificaat verlopen",
        ctx,
        f"Het certificaat van {ctx.organisation} is op {datum(e.expired_on)} verlopen.{running}",
    )
