"""Opening a trajectory and announcing it: which quarter, and when the auditee hears of it.

The audit quarter is the quarter in which the previous certificate expires; the announcement goes
out a fixed lead before that (framework data), or at once when the trajectory opens late.
"""

from __future__ import annotations

from datetime import date

from domain import commands
from domain import events as ev
from domain.calendar import Quarter, add_days, add_months
from domain.certificate_holder import CertificateFacts, previous_expiry
from domain.commands import OpenTrajectory, SendAnnouncement, SendIntake
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum, kader
from domain.errors import FrameworkMismatch, InvalidCommand
from domain.events import AnnouncementSent, Event, IntakeSent, TrajectoryOpened
from domain.evolve import changed, opened_state
from domain.guards import Context, require_not_past, require_phase
from domain.rules import Rules
from domain.state import (
    TrajectoryState,
)
from domain.vocabulary import Phase


def audit_quarter(command: OpenTrajectory, today: date, rules: Rules) -> Quarter:
    """Explicit quarter, else the expiry's quarter, else the quarter one announcement lead ahead."""
    if command.audit_quarter is not None:
        return command.audit_quarter
    if command.previous_certificate_expiry is not None:
        return Quarter.of(command.previous_certificate_expiry)
    return Quarter.of(add_months(today, rules.terms.announcement_lead_months))


def announcement_due(quarter: Quarter, expiry: date | None, today: date, rules: Rules) -> date:
    """Expiry minus the announcement lead (the quarter start when the quarter was set by hand)."""
    base = expiry if expiry is not None and quarter.contains(expiry) else quarter.start
    return max(today, add_months(base, -rules.terms.announcement_lead_months))


def open_trajectory(
    state: TrajectoryState | None, cmd: OpenTrajectory, ctx: Context, facts: CertificateFacts | None = None
) -> list[Event]:
    """Open under the given framework version; the version is recorded and never changes.

    ``facts`` is what the store knows about the certificate number (read by the application): the
    running certificate's gecertificeerd tot is taken from it, and a number held by another
    organisation is refused. Without facts (a pure simulation) the typed values stand.
    """
    if state is not None:
        raise InvalidCommand(f"traject {cmd.trajectory_id} bestaat al", rule="state.already_opened")
    if cmd.framework_version != ctx.rules.version_id:
        raise FrameworkMismatch(
            f"kader '{cmd.framework_version}' gevraagd, maar regels van '{ctx.rules.version_id}' meegegeven",
            requested=cmd.framework_version,
            given=ctx.rules.version_id,
        )
    if facts is not None:
        cmd = cmd.model_copy(update={"previous_certificate_expiry": previous_expiry(cmd, facts, ctx.today)})
    quarter = audit_quarter(cmd, ctx.today, ctx.rules)
    require_not_past(quarter.end, ctx.today, f"het auditkwartaal {quarter} eindigt op")
    return [
        TrajectoryOpened(
            trajectory_id=cmd.trajectory_id,
            occurred_at=ctx.now,
            organisation=cmd.organisation,
            certificate_number=cmd.certificate_number,
            association=cmd.association,
            framework_version=cmd.framework_version,
            opened_on=ctx.today,
            previous_certificate_expiry=cmd.previous_certificate_expiry,
            audit_quarter=quarter,
            announcement_due_on=announcement_due(quarter, cmd.previous_certificate_expiry, ctx.today, ctx.rules),
            previous_auditors=cmd.previous_auditors,
            contact_email=cmd.contact_email,
            organisation_type=cmd.organisation_type,
        )
    ]


def announcement(state: TrajectoryState, ctx: Context, *, automatic: bool) -> AnnouncementSent:
    """The announcement: the audit quarter, plus the intake invitation whose term starts today."""
    return AnnouncementSent(
        **ctx.stamp(state),
        sent_on=ctx.today,
        audit_quarter=state.audit_quarter,
        intake_due_on=add_days(ctx.today, ctx.rules.terms.intake_days),
        automatic=automatic,
    )


def send_announcement(state: TrajectoryState, cmd: SendAnnouncement, ctx: Context) -> list[Event]:
    """Announce before the announcement deadline would."""
    require_phase(state, cmd, Phase.OPENED)
    return [announcement(state, ctx, automatic=False)]


def send_intake(state: TrajectoryState, cmd: SendIntake, ctx: Context) -> list[Event]:
    """Resend the intake form; the intake term runs again from today."""
    require_phase(state, cmd, Phase.ANNOUNCED)
    due = add_days(ctx.today, ctx.rules.terms.intake_days)
    return [IntakeSent(**ctx.stamp(state), sent_on=ctx.today, intake_due_on=due)]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_trajectory_opened(s: TrajectoryState | None, e: ev.TrajectoryOpened) -> TrajectoryState:
    """The first state; ``evolve`` refuses a second opening before it gets here."""
    return opened_state(e)


def _summary_trajectory_opened(e: ev.TrajectoryOpened) -> str:
    expiry_on = e.previous_certificate_expiry
    expiry = f"; certificaat verloopt op {datum(expiry_on)}" if expiry_on else ""
    return (
        f"Traject geopend onder {kader(e.framework_version)} (certificaat {e.certificate_number}){expiry}; "
        f"auditkwartaal {e.audit_quarter}, aankondiging uiterlijk {datum(e.announcement_due_on)}"
    )


def _evolve_announcement_sent(s: TrajectoryState, e: ev.AnnouncementSent) -> TrajectoryState:
    return changed(
        s,
        phase=Phase.ANNOUNCED,
        phase_since=e.sent_on,
        announced_on=e.sent_on,
        intake_sent_on=e.sent_on,
        intake_due_on=e.intake_due_on,
        audit_quarter=e.audit_quarter,
    )


def _summary_announcement_sent(e: ev.AnnouncementSent) -> str:
    how = " (automatisch)" if e.automatic else ""
    return f"Aankondiging verstuurd{how}: audit in {e.audit_quarter}; intake uiterlijk {datum(e.intake_due_on)}"


def _evolve_intake_sent(s: TrajectoryState, e: ev.IntakeSent) -> TrajectoryState:
    return changed(s, intake_sent_on=e.sent_on, intake_due_on=e.intake_due_on)


def _summary_intake_sent(e: ev.IntakeSent) -> str:
    return f"Intakeformulier opnieuw verstuurd; in te vullen uiterlijk {datum(e.intake_due_on)}"


CONCEPT = Concept(
    name="opening",
    commands=(
        CommandPart(commands.OpenTrajectory, None, Cli("trajectory", "open", "Open een certificeringstraject.")),
        CommandPart(
            commands.SendAnnouncement,
            send_announcement,
            Cli("trajectory", "announce", "Kondig de audit nu aan (anders doet de deadline het)."),
        ),
        CommandPart(commands.SendIntake, send_intake, Cli("intake", "send", "Verstuur het intakeformulier (opnieuw).")),
    ),
    events=(
        EventPart(ev.TrajectoryOpened, _evolve_trajectory_opened, _summary_trajectory_opened),
        EventPart(ev.AnnouncementSent, _evolve_announcement_sent, _summary_announcement_sent),
        EventPart(ev.IntakeSent, _evolve_intake_sent, _summary_intake_sent),
    ),
    fields={
        "organisation": Field("Naam van de organisatie.", "Bibliotheek Hengelo"),
        "certificate_number": Field("Certificaatnummer (de sleutel in het register).", "1002"),
        "association": Field("VOB, Cultuurconnectie of 'Cultuurconnectie + VOB'.", "VOB"),
        "framework_version": Field("Kader: kib-2018 of kib-ii-2023.", "kib-ii-2023"),
        "previous_certificate_expiry": Field(
            "Einddatum van het lopende certificaat (JJJJ-MM-DD); bepaalt het auditkwartaal. "
            "Leeg: uit het register (alleen nodig voor een certificaat van vóór dit systeem).",
            "2026-12-31",
        ),
        "audit_quarter": Field("Auditkwartaal, bv. 2026-K2 (anders afgeleid van de einddatum).", "2026-K4"),
        "previous_auditors": Field("Auditoren van de vorige audit (niet opnieuw in te plannen).", ["Ellen Expert"]),
        "contact_email": Field(
            "E-mailadres voor aankondiging en herinneringen tot de intake er is.", "an@bibliotheekhengelo.example"
        ),
        "organisation_type": Field(
            "Soort organisatie: openbare bibliotheek, multifunctionele organisatie, centrum voor de kunsten, "
            "volksuniversiteit of overig.",
            None,
        ),
    },
    dispatched_by_decide=frozenset({commands.OpenTrajectory}),
)
