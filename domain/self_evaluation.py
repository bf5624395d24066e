"""The self-evaluation: the auditee hands in its zelfevaluatie a fixed lead before the first audit day.

``self_evaluation_due`` is the one place that date is computed: the AuditScheduled event, the late flag
on submission and the self-evaluation deadline (reminders and alerts) all read it. The auditee may extend
the deadline once, by at most the framework's days, before it passes, as long as the audit stays the
framework's gap (4 weeks) after the new date.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field as Bounded

from domain import commands
from domain import events as ev
from domain.calendar import add_days
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum
from domain.errors import DomainError, InvalidCommand
from domain.events import Event, SelfEvaluationSubmitted
from domain.evolve import changed
from domain.guards import Context, require_phase
from domain.rules import Rules
from domain.state import TrajectoryState
from domain.vocabulary import DeadlineKind, Phase, RoundKind


class ExtendSelfEvaluation(commands.Command):
    """The auditee moves its self-evaluation deadline, once, by a few days, before it passes."""

    days: int = Bounded(ge=1, le=365)


class SelfEvaluationExtended(Event):
    """The self-evaluation deadline moved; reminders and alerts follow the new date."""

    days: int
    previous_due_on: date
    due_on: date
    extended_on: date


def needs_self_evaluation(state: TrajectoryState) -> bool:
    """Only the regular audit asks for a self-evaluation, once per trajectory."""
    return state.round.kind is RoundKind.AUDIT and state.self_evaluation_submitted_on is None


def self_evaluation_due(state: TrajectoryState, rules: Rules, *, first_day: date | None = None) -> date | None:
    """The day the self-evaluation is due: the framework's lead before the first audit day.

    ``first_day`` is the first day being planned; without it, the round's scheduled first day. None when no
    self-evaluation is expected or no audit day is known.
    """
    first = first_day or (state.round.audit_dates[0] if state.round.audit_dates else None)
    if first is None or not needs_self_evaluation(state):
        return None
    extension = state.deadline_extensions.get(DeadlineKind.SELF_EVALUATION, 0)
    return add_days(first, extension - rules.terms.self_evaluation_lead_days)


def submit_self_evaluation(state: TrajectoryState, cmd: commands.SubmitSelfEvaluation, ctx: Context) -> list[Event]:
    """Accept the self-evaluation once; after its due date it is recorded as late."""
    require_phase(state, cmd, Phase.ANNOUNCED, Phase.PLANNING, Phase.SCHEDULED)
    if not needs_self_evaluation(state):
        raise InvalidCommand("er wordt geen zelfevaluatie (meer) verwacht", rule="self_evaluation.not_expected")
    due = self_evaluation_due(state, ctx.rules)
    return [
        SelfEvaluationSubmitted(
            **ctx.stamp(state),
            submitted_on=ctx.today,
            documents=cmd.documents,
            due_on=due,
            late=due is not None and ctx.today > due,
        )
    ]


def extend_self_evaluation(state: TrajectoryState, cmd: ExtendSelfEvaluation, ctx: Context) -> list[Event]:
    """Move the deadline once, by at most the framework's days, before it passes; the audit stays far enough."""
    require_phase(state, cmd, Phase.SCHEDULED)
    due = self_evaluation_due(state, ctx.rules)
    if due is None:
        raise InvalidCommand("er wordt geen zelfevaluatie (meer) verwacht", rule="self_evaluation.not_expected")
    terms = ctx.rules.terms
    if DeadlineKind.SELF_EVALUATION in state.deadline_extensions:
        raise DomainError(
            f"de termijn van de zelfevaluatie is al eens verlengd (tot {due.isoformat()}); dat kan één keer",
            rule="self_evaluation.already_extended",
        )
    if cmd.days > terms.self_evaluation_extension_max_days:
        raise DomainError(
            f"verlengen kan met ten hoogste {terms.self_evaluation_extension_max_days} dagen, niet {cmd.days}",
            rule="self_evaluation.extension_too_long",
            days=cmd.days,
        )
    if ctx.today > due:
        raise DomainError(
            f"de termijn van de zelfevaluatie is op {due.isoformat()} verstreken; verlengen kan alleen daarvoor",
            rule="self_evaluation.deadline_passed",
            due_on=due,
        )
    new_due = add_days(due, cmd.days)
    first_day = state.round.audit_dates[0]
    if (first_day - new_due).days < terms.self_evaluation_extension_audit_gap_days:
        latest = add_days(first_day, -terms.self_evaluation_extension_audit_gap_days)
        raise DomainError(
            f"de audit op {first_day.isoformat()} moet ten minste {terms.self_evaluation_extension_audit_gap_days} "
            f"dagen na de nieuwe termijn liggen; verlengen kan tot uiterlijk {latest.isoformat()}",
            rule="self_evaluation.audit_too_close",
            due_on=new_due,
        )
    return [
        SelfEvaluationExtended(
            **ctx.stamp(state), days=cmd.days, previous_due_on=due, due_on=new_due, extended_on=ctx.today
        )
    ]


def _evolve_self_evaluation_extended(s: TrajectoryState, e: SelfEvaluationExtended) -> TrajectoryState:
    return changed(s, deadline_extensions={**s.deadline_extensions, DeadlineKind.SELF_EVALUATION: e.days})


def _summary_self_evaluation_extended(e: SelfEvaluationExtended) -> str:
    return f"Termijn zelfevaluatie verlengd met {e.days} dagen: uiterlijk {datum(e.due_on)}"


def _evolve_self_evaluation_submitted(s: TrajectoryState, e: ev.SelfEvaluationSubmitted) -> TrajectoryState:
    return changed(s, self_evaluation_submitted_on=e.submitted_on)


def _summary_self_evaluation_submitted(e: ev.SelfEvaluationSubmitted) -> str:
    late = f", te laat (termijn {datum(e.due_on)})" if e.late and e.due_on else ""
    count = len(e.documents)
    return f"Zelfevaluatie ontvangen ({count} {'document' if count == 1 else 'documenten'}){late}"


CONCEPT = Concept(
    name="self_evaluation",
    commands=(
        CommandPart(
            commands.SubmitSelfEvaluation,
            submit_self_evaluation,
            Cli("selfevaluation", "submit", "Lever de zelfevaluatie in."),
        ),
        CommandPart(
            ExtendSelfEvaluation,
            extend_self_evaluation,
            Cli("selfevaluation", "extend", "Verleng de termijn van de zelfevaluatie (één keer, vóór de termijn)."),
        ),
    ),
    events=(
        EventPart(ev.SelfEvaluationSubmitted, _evolve_self_evaluation_submitted, _summary_self_evaluation_submitted),
        EventPart(SelfEvaluationExtended, _evolve_self_evaluation_extended, _summary_self_evaluation_extended),
    ),
    fields={
        "documents": Field("Document bij de zelfevaluatie (herhaalbaar).", ["zelfevaluatie.pdf"]),
        "days": Field("Aantal dagen verlenging (ten hoogste 14).", 7),
    },
)
