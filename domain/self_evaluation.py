"""The self-evaluation: the auditee hands in its zelfevaluatie a fixed lead before the first audit day.

``self_evaluation_due`` is the one place that date is computed: the AuditScheduled event, the late flag
on submission and the self-evaluation deadline (alerts) all read it.
"""

from __future__ import annotations

from datetime import date

from domain import commands
from domain import events as ev
from domain.calendar import add_days
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum
from domain.errors import InvalidCommand
from domain.events import Event, SelfEvaluationSubmitted
from domain.evolve import changed
from domain.guards import Context, require_phase
from domain.rules import Rules
from domain.state import TrajectoryState
from domain.vocabulary import Phase, RoundKind


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
    return add_days(first, -rules.terms.self_evaluation_lead_days)


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
    ),
    events=(
        EventPart(ev.SelfEvaluationSubmitted, _evolve_self_evaluation_submitted, _summary_self_evaluation_submitted),
    ),
    fields={"documents": Field("Document bij de zelfevaluatie (herhaalbaar).", ["zelfevaluatie.pdf"])},
)
