"""Geen deelname: an organisation withdraws before any verdict; the register shows it as such."""

from __future__ import annotations

from domain import commands
from domain import events as ev
from domain.commands import WithdrawParticipation
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.errors import InvalidCommand
from domain.events import Event, ParticipationWithdrawn, PostponementRejected
from domain.evolve import changed
from domain.guards import Context, require_open
from domain.state import (
    TrajectoryState,
)


def withdraw_participation(state: TrajectoryState, cmd: WithdrawParticipation, ctx: Context) -> list[Event]:
    """Withdraw; a pending postponement request is answered (it lapses) rather than left silent."""
    require_open(state, cmd)
    if state.decisions_taken > 0:
        raise InvalidCommand(
            "na een besluit kan de organisatie zich niet meer terugtrekken (geen deelname)",
            rule="participation.after_decision",
        )
    events: list[Event] = []
    pending = state.postponements.pending
    if pending is not None:
        events.append(
            PostponementRejected(
                **ctx.stamp(state),
                request_number=pending.number,
                reason="vervallen: de organisatie neemt niet deel",
                decided_on=ctx.today,
            )
        )
    events.append(ParticipationWithdrawn(**ctx.stamp(state), withdrawn_on=ctx.today, reason=cmd.reason))
    return events


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_participation_withdrawn(s: TrajectoryState, e: ev.ParticipationWithdrawn) -> TrajectoryState:
    return changed(s, withdrawn=True)


def _summary_participation_withdrawn(e: ev.ParticipationWithdrawn) -> str:
    return f"Geen deelname: {e.reason}"


CONCEPT = Concept(
    name="participation",
    commands=(
        CommandPart(
            commands.WithdrawParticipation,
            withdraw_participation,
            Cli("trajectory", "withdraw", "Registreer dat de organisatie niet deelneemt."),
        ),
    ),
    events=(EventPart(ev.ParticipationWithdrawn, _evolve_participation_withdrawn, _summary_participation_withdrawn),),
    fields={
        "reason": Field("Toelichting.", "Fusie met de bibliotheek van Oldenzaal."),
    },
)
