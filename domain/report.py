"""The conceptrapport and hoor en wederhoor: the auditee may react before the director decides."""

from __future__ import annotations

from domain import commands
from domain import events as ev
from domain.calendar import add_days
from domain.commands import IssueDraftReport, ReactToDraft
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum
from domain.errors import InvalidCommand
from domain.events import DraftReactionReceived, DraftReportIssued, Event
from domain.evolve import changed, round_with
from domain.guards import Context, require_phase
from domain.state import (
    TrajectoryState,
)
from domain.vocabulary import Phase


def issue_draft_report(state: TrajectoryState, cmd: IssueDraftReport, ctx: Context) -> list[Event]:
    """Send the draft; the reaction window and the decision term are fixed now."""
    require_phase(state, cmd, Phase.AUDITED)
    reaction_ends = add_days(ctx.today, ctx.rules.terms.reaction_days)
    return [
        DraftReportIssued(
            **ctx.stamp(state),
            round=state.round.number,
            round_kind=state.round.kind,
            issued_on=ctx.today,
            reaction_ends_on=reaction_ends,
            decision_due_on=add_days(reaction_ends, ctx.rules.terms.decision_days),
            summary=cmd.summary,
        )
    ]


def react_to_draft(state: TrajectoryState, cmd: ReactToDraft, ctx: Context) -> list[Event]:
    """Accept the auditee's reaction within the window."""
    require_phase(state, cmd, Phase.DRAFT_ISSUED)
    ends = state.round.reaction_ends_on
    if ends is not None and ctx.today > ends:
        raise InvalidCommand(
            f"de termijn voor hoor en wederhoor is verstreken op {ends.isoformat()}",
            rule="report.reaction_term",
        )
    return [
        DraftReactionReceived(
            **ctx.stamp(state), round=state.round.number, received_on=ctx.today, reaction=cmd.reaction
        )
    ]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_draft_report_issued(s: TrajectoryState, e: ev.DraftReportIssued) -> TrajectoryState:
    round_ = round_with(
        s, draft_issued_on=e.issued_on, reaction_ends_on=e.reaction_ends_on, decision_due_on=e.decision_due_on
    )
    return changed(s, phase=Phase.DRAFT_ISSUED, phase_since=e.issued_on, round=round_)


def _summary_draft_report_issued(e: ev.DraftReportIssued) -> str:
    return f"Conceptrapport verstuurd; reageren kan tot en met {datum(e.reaction_ends_on)}"


def _evolve_draft_reaction_received(s: TrajectoryState, e: ev.DraftReactionReceived) -> TrajectoryState:
    return changed(
        s,
        phase=Phase.AWAITING_DECISION,
        phase_since=e.received_on,
        round=round_with(s, reaction_received_on=e.received_on),
    )


def _summary_draft_reaction_received(e: ev.DraftReactionReceived) -> str:
    return "Reactie op het conceptrapport ontvangen"


def _evolve_reaction_window_closed(s: TrajectoryState, e: ev.ReactionWindowClosed) -> TrajectoryState:
    return changed(s, phase=Phase.AWAITING_DECISION, phase_since=e.closed_on)


def _summary_reaction_window_closed(e: ev.ReactionWindowClosed) -> str:
    return "Hoor en wederhoor gesloten zonder reactie"


CONCEPT = Concept(
    name="report",
    commands=(
        CommandPart(
            commands.IssueDraftReport,
            issue_draft_report,
            Cli("report", "draft", "Verstuur het conceptrapport (start hoor en wederhoor)."),
        ),
        CommandPart(commands.ReactToDraft, react_to_draft, Cli("report", "react", "Reageer op het conceptrapport.")),
    ),
    events=(
        EventPart(ev.DraftReportIssued, _evolve_draft_report_issued, _summary_draft_report_issued),
        EventPart(ev.DraftReactionReceived, _evolve_draft_reaction_received, _summary_draft_reaction_received),
        EventPart(ev.ReactionWindowClosed, _evolve_reaction_window_closed, _summary_reaction_window_closed),
    ),
    fields={
        "summary": Field("Samenvatting van het conceptrapport.", "Samenvatting."),
        "reaction": Field("De reactie van de auditee.", "Geen opmerkingen."),
    },
)
