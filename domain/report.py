"""The conceptrapport and hoor en wederhoor: the auditee may react before the director decides."""

from __future__ import annotations

from domain.calendar import add_days
from domain.commands import IssueDraftReport, ReactToDraft
from domain.errors import InvalidCommand
from domain.events import DraftReactionReceived, DraftReportIssued, Event
from domain.guards import Context, require_phase
from domain.state import TrajectoryState
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
