"""The director's decision: the verdict follows from the scores, never from the director's wish.

Choice: ``DecideCertification`` may carry the director's verdict; it is refused when it differs
from the one the scores imply, and computed when left out. Either way the event records the
computed verdict, the verdict per module set and the windows it opens.
"""

from __future__ import annotations

from domain import commands
from domain import events as ev
from domain.calendar import add_days
from domain.certificate import issue_certificate
from domain.commands import DecideCertification
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import normen
from domain.errors import InvalidCommand, VerdictContradictsScores
from domain.events import CertificationDecided, Event, SurveySent
from domain.evolve import changed
from domain.guards import Context, require_phase
from domain.heraudit import heraudit_window
from domain.state import (
    Decision,
    Objection,
    TrajectoryState,
)
from domain.verdict import evaluate
from domain.vocabulary import Phase, Result, SurveyStatus


def _dutch(value: float, places: int = 2) -> str:
    """A number with a decimal comma, as the motivation is read by the auditee: 1,25."""
    return f"{value:.{places}f}".replace(".", ",")


def _explain(norm_scores: dict[str, float], failing: tuple[str, ...], threshold: float) -> str:
    limit = f"{threshold:g}".replace(".", ",")
    if not failing:
        return f"alle normen scoren ten minste {limit}"
    parts = [f"norm {n} scoort {_dutch(norm_scores[n])}" for n in failing]
    return f"{', '.join(parts)} (< {limit})"


def survey_invitation(state: TrajectoryState, ctx: Context) -> SurveySent:
    """The satisfaction survey that follows the first decision."""
    terms = ctx.rules.terms
    return SurveySent(
        **ctx.stamp(state),
        sent_on=ctx.today,
        reminder_on=add_days(ctx.today, terms.survey_reminder_days),
        closes_on=add_days(ctx.today, terms.survey_close_days),
    )


def decide_certification(state: TrajectoryState, cmd: DecideCertification, ctx: Context) -> list[Event]:
    """Decide the round; a positive verdict issues the certificate, the first one sends the survey."""
    if state.phase is Phase.DRAFT_ISSUED and state.round.reaction_ends_on is not None:
        raise InvalidCommand(
            f"hoor en wederhoor loopt nog tot en met {state.round.reaction_ends_on.isoformat()}; "
            "het besluit volgt daarna",
            rule="decision.reaction_window_open",
        )
    require_phase(state, cmd, Phase.AWAITING_DECISION)
    rules = ctx.rules
    decisive, per_set = evaluate(state.round.scores, state.round.scope, state.round.heraudit_rule, rules)
    explanation = _explain(state.round.norm_scores, decisive.failing_norms, rules.verdict.pass_threshold)
    if cmd.verdict is not None and cmd.verdict is not decisive.verdict:
        raise VerdictContradictsScores(
            f"besluit '{cmd.verdict.value}' strijdt met de scores: {explanation}, dus '{decisive.verdict.value}'",
            given=cmd.verdict.value,
            computed=decisive.verdict.value,
        )
    opens, closes = heraudit_window(decisive.verdict, ctx.today, rules)
    objectionable = decisive.verdict in rules.objection.against
    events: list[Event] = [
        CertificationDecided(
            **ctx.stamp(state),
            round=state.round.number,
            round_kind=state.round.kind,
            verdict=decisive.verdict,
            verdicts=per_set,
            norm_scores=state.round.norm_scores,
            failing_norms=decisive.failing_norms,
            decided_on=ctx.today,
            motivation=cmd.motivation or explanation,
            heraudit_window_opens_on=opens,
            heraudit_window_closes_on=closes,
            objection_term_ends_on=add_days(ctx.today, rules.objection.term_days) if objectionable else None,
        )
    ]
    if decisive.verdict is Result.CERTIFIED:
        events.append(issue_certificate(state, ctx, after_heraudit=state.round.heraudit_rule))
    if state.survey.status is SurveyStatus.NOT_SENT:
        events.append(survey_invitation(state, ctx))
    return events


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_certification_decided(s: TrajectoryState, e: ev.CertificationDecided) -> TrajectoryState:
    decision = Decision(
        round=e.round,
        verdict=e.verdict,
        decided_on=e.decided_on,
        failing_norms=e.failing_norms,
        heraudit_window_opens_on=e.heraudit_window_opens_on,
        heraudit_window_closes_on=e.heraudit_window_closes_on,
        objection_term_ends_on=e.objection_term_ends_on,
    )
    return changed(
        s,
        decision=decision,
        decisions_taken=s.decisions_taken + 1,
        phase=Phase.DECIDED,
        phase_since=e.decided_on,
        objection=Objection(),
        heraudit_lapsed=False,
    )


def _summary_certification_decided(e: ev.CertificationDecided) -> str:
    failing = f" (onvoldoende: {normen(e.failing_norms)})" if e.failing_norms else ""
    return f"Besluit: {e.verdict.value}{failing}"


CONCEPT = Concept(
    name="decision",
    commands=(
        CommandPart(
            commands.DecideCertification,
            decide_certification,
            Cli("decision", "record", "Neem het certificeringsbesluit (directeur)."),
        ),
    ),
    events=(EventPart(ev.CertificationDecided, _evolve_certification_decided, _summary_certification_decided),),
    fields={
        "verdict": Field(
            "Gecertificeerd, Voorwaardelijk gecertificeerd of Niet gecertificeerd (leeg: volgt uit de scores).", None
        ),
        "motivation": Field("Motivering van het besluit.", "Volgt uit de scores."),
    },
)
