"""Annulering: cancelling a planned audit; within the cost term before the audit, the full cost.

Cancelling on the boundary day itself (exactly the term before the first audit day) counts as
within the term. After a cancellation the round is back in planning.
"""

from __future__ import annotations

from datetime import date

from domain import commands
from domain import events as ev
from domain.calendar import add_months
from domain.commands import CancelAudit
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datums
from domain.events import AuditCancelled, Event
from domain.evolve import changed, unschedule
from domain.guards import Context, require_phase
from domain.rules import Rules
from domain.state import (
    TrajectoryState,
)
from domain.vocabulary import (
    CostClass,
    Phase,
)


def cost_class(first_audit_day: date, cancelled_on: date, rules: Rules) -> CostClass:
    """Full audit cost from the boundary day (first audit day minus the term) on."""
    boundary = add_months(first_audit_day, -rules.cancellation.full_cost_within_months)
    return CostClass.FULL_AUDIT_COST if cancelled_on >= boundary else CostClass.NO_COST


def cancel_audit(state: TrajectoryState, cmd: CancelAudit, ctx: Context) -> list[Event]:
    """Cancel the planned audit and record what it costs."""
    require_phase(state, cmd, Phase.SCHEDULED)
    dates = state.round.audit_dates
    return [
        AuditCancelled(
            **ctx.stamp(state),
            round=state.round.number,
            cancelled_on=ctx.today,
            audit_dates=dates,
            cost_class=cost_class(dates[0], ctx.today, ctx.rules),
            reason=cmd.reason,
        )
    ]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_audit_cancelled(s: TrajectoryState, e: ev.AuditCancelled) -> TrajectoryState:
    return unschedule(changed(s, cancellations=(*s.cancellations, e.cost_class)), e.cancelled_on)


def _summary_audit_cancelled(e: ev.AuditCancelled) -> str:
    return f"Audit van {datums(e.audit_dates)} geannuleerd ({e.cost_class.value}): {e.reason}"


CONCEPT = Concept(
    name="cancellation",
    commands=(CommandPart(commands.CancelAudit, cancel_audit, Cli("audit", "cancel", "Annuleer de geplande audit.")),),
    events=(EventPart(ev.AuditCancelled, _evolve_audit_cancelled, _summary_audit_cancelled),),
    fields={
        "reason": Field("Toelichting.", "Fusie met de bibliotheek van Oldenzaal."),
    },
)
