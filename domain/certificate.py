"""The certificate lifecycle: four years valid, recertification anchored on the old expiry, the
interim status 'hercertificering loopt', and extraordinary extensions that do not move the anchor.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import commands
from domain import events as ev
from domain.calendar import add_months, add_years
from domain.commands import ExtendValidity
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum
from domain.errors import ExtensionRefused
from domain.events import CertificateIssued, Event, ValidityExtended
from domain.evolve import changed
from domain.guards import Context, require_open
from domain.rules import Rules
from domain.state import (
    IssuedCertificate,
    PreviousCertificate,
    TrajectoryState,
)
from domain.vocabulary import CertificateStatus, Result


def anchor(state: TrajectoryState, decided_on: date, rules: Rules) -> date:
    """The date the new validity counts from.

    Recertified while the old certificate still runs (including an extension): its original expiry,
    so a late or extended cycle does not drift. Otherwise (first certificate, or after expiry): the
    decision date.
    """
    previous = state.previous_certificate
    if previous is not None and rules.certificate.anchor_on_previous_expiry and decided_on <= previous.valid_until:
        return previous.expiry
    return decided_on


def issue_certificate(state: TrajectoryState, ctx: Context, *, after_heraudit: bool) -> CertificateIssued:
    """The certificate a positive decision produces; gecertificeerd tot = anchor + validity."""
    start = anchor(state, ctx.today, ctx.rules)
    previous = state.previous_certificate
    return CertificateIssued(
        **ctx.stamp(state),
        certificate_number=state.certificate_number,
        organisation=state.organisation,
        issued_on=ctx.today,
        valid_until=add_years(start, ctx.rules.certificate.validity_years),
        anchored_on=start if previous is not None and start == previous.expiry else None,
        after_heraudit=after_heraudit,
    )


def extend_validity(state: TrajectoryState, cmd: ExtendValidity, ctx: Context) -> list[Event]:
    """Extend the running certificate, at most the framework's cap beyond its original expiry."""
    require_open(state, cmd)
    previous = state.previous_certificate
    if previous is None or state.certificate is not None:
        raise ExtensionRefused(
            "er is geen lopend certificaat om te verlengen", rule="certificate.extension.no_certificate"
        )
    cap_months = ctx.rules.certificate.extension_max_months
    until = add_months(previous.valid_until, cmd.months)
    cap = add_months(previous.expiry, cap_months)
    if until > cap:
        raise ExtensionRefused(
            f"verlenging tot {until.isoformat()} gaat voorbij het maximum van {cap_months} maanden na "
            f"{previous.expiry.isoformat()} ({cap.isoformat()})",
            rule="certificate.extension.cap",
            until=until,
            cap=cap,
        )
    if until < ctx.today:
        raise ExtensionRefused(
            f"verlenging tot {until.isoformat()} ligt in het verleden", rule="certificate.extension.in_past"
        )
    return [
        ValidityExtended(
            **ctx.stamp(state),
            original_expiry=previous.expiry,
            previous_valid_until=previous.valid_until,
            valid_until=until,
            months=cmd.months,
            reason=cmd.reason,
            extended_on=ctx.today,
        )
    ]


def recertification_running(state: TrajectoryState) -> bool:
    """Whether the renewal is still under way: no decision yet (or a reassessment after an upheld
    bezwaar), a voorwaardelijk period whose heraudit window is open, or a heraudit in preparation.

    While it runs past the old certificate's gecertificeerd tot the register shows 'hercertificering
    loopt' (up to the interim limit); once the verdict is final without a certificate it does not.
    """
    if state.certificate is not None or state.withdrawn or not state.is_open:
        return False
    decision = state.decision
    if decision is None or state.heraudit_in_preparation:
        return True
    return decision.verdict is Result.CONDITIONAL and not state.heraudit_lapsed


def certificate_status(state: TrajectoryState) -> CertificateStatus:
    """What the register says about the organisation's certificate right now."""
    if state.certificate is not None:
        return CertificateStatus.VALID
    previous = state.previous_certificate
    if previous is None:
        return CertificateStatus.NONE
    if not previous.expired:
        return CertificateStatus.VALID
    if recertification_running(state) and not previous.interim_ended:
        return CertificateStatus.RECERTIFICATION_RUNNING
    return CertificateStatus.EXPIRED


def certified_until(state: TrajectoryState) -> date | None:
    """Gecertificeerd tot: the new certificate's end, else the running one's (with extension)."""
    if state.certificate is not None:
        return state.certificate.valid_until
    previous = state.previous_certificate
    if previous is not None and not previous.expired:
        return previous.valid_until
    return None


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _previous(s: TrajectoryState, **changes: Any) -> PreviousCertificate | None:
    return s.previous_certificate.model_copy(update=changes) if s.previous_certificate else None


def _evolve_certificate_issued(s: TrajectoryState, e: ev.CertificateIssued) -> TrajectoryState:
    certificate = IssuedCertificate(number=e.certificate_number, issued_on=e.issued_on, valid_until=e.valid_until)
    return changed(s, certificate=certificate, certified_after_heraudit=e.after_heraudit)


def _summary_certificate_issued(e: ev.CertificateIssued) -> str:
    after = " na heraudit" if e.after_heraudit else ""
    return f"Certificaat {e.certificate_number} uitgereikt{after}: gecertificeerd tot {datum(e.valid_until)}"


def _evolve_validity_extended(s: TrajectoryState, e: ev.ValidityExtended) -> TrajectoryState:
    return changed(s, previous_certificate=_previous(s, valid_until=e.valid_until, expired=False, interim_ended=False))


def _summary_validity_extended(e: ev.ValidityExtended) -> str:
    return f"Certificaat verlengd tot {datum(e.valid_until)} ({e.months} maanden): {e.reason}"


def _evolve_certificate_expired(s: TrajectoryState, e: ev.CertificateExpired) -> TrajectoryState:
    return changed(s, previous_certificate=_previous(s, expired=True))


def _summary_certificate_expired(e: ev.CertificateExpired) -> str:
    running = "; hercertificering loopt" if e.recertification_running else ""
    return f"Certificaat verlopen op {datum(e.expired_on)}{running}"


def _evolve_interim_status_ended(s: TrajectoryState, e: ev.InterimStatusEnded) -> TrajectoryState:
    return changed(s, previous_certificate=_previous(s, interim_ended=True))


def _summary_interim_status_ended(e: ev.InterimStatusEnded) -> str:
    return "Status 'hercertificering loopt' beëindigd: maximale duur bereikt"


CONCEPT = Concept(
    name="certificate",
    commands=(
        CommandPart(
            commands.ExtendValidity,
            extend_validity,
            Cli("certificate", "extend", "Verleng de geldigheid na een buitengewone gebeurtenis."),
        ),
    ),
    events=(
        EventPart(ev.CertificateIssued, _evolve_certificate_issued, _summary_certificate_issued),
        EventPart(ev.ValidityExtended, _evolve_validity_extended, _summary_validity_extended),
        EventPart(ev.CertificateExpired, _evolve_certificate_expired, _summary_certificate_expired),
        EventPart(ev.InterimStatusEnded, _evolve_interim_status_ended, _summary_interim_status_ended),
    ),
    fields={
        "months": Field("Aantal maanden verlenging.", 3),
        "reason": Field("Toelichting.", "Fusie met de bibliotheek van Oldenzaal."),
    },
)
