"""The audit itself: the scores the auditors record after it (the self-evaluation before it is its own concept).

Scores must cover exactly the round's scope (all norms, module 1 when in scope; only the failing
norms at a heraudit), every question of each norm, and the IDO indicator when the auditee has one.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain import commands
from domain import events as ev
from domain.commands import RecordAuditScores
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import ROUND_NAMES, getal, normen
from domain.errors import ScoresRefused
from domain.events import AuditScoresRecorded, Event
from domain.evolve import changed, round_with
from domain.guards import Context, require_phase
from domain.rules import Rules
from domain.state import (
    TrajectoryState,
)
from domain.verdict import norm_scores
from domain.vocabulary import Phase, RoundKind, Score


def _check_complete(scores: Mapping[str, Mapping[str, Score]], scope: tuple[str, ...], rules: Rules) -> None:
    outside = sorted(set(scores) - set(scope))
    if outside:
        raise ScoresRefused(
            f"norm {', '.join(outside)} hoort niet bij deze audit (scope: {', '.join(scope)})",
            rule="scores.outside_scope",
            norms=", ".join(outside),
        )
    missing = [norm for norm in scope if norm not in scores]
    if missing:
        raise ScoresRefused(
            f"scores ontbreken voor norm {', '.join(missing)}",
            rule="scores.missing_norm",
            norms=", ".join(missing),
        )
    for norm in scope:
        expected = [q.id for q in rules.norm(norm).questions]
        absent = [q for q in expected if q not in scores[norm]]
        unknown = sorted(set(scores[norm]) - set(expected))
        if absent or unknown:
            detail = f"vraag {', '.join(absent)} ontbreekt" if absent else f"vraag {', '.join(unknown)} bestaat niet"
            raise ScoresRefused(f"norm {norm}: {detail}", rule="scores.questions", norm=norm)


def _check_indicators(state: TrajectoryState, indicators: Mapping[str, bool], rules: Rules) -> None:
    known = {rules.ido_indicator.id}
    unknown = sorted(set(indicators) - known)
    if unknown:
        raise ScoresRefused(f"indicator {', '.join(unknown)} is onbekend", rule="scores.unknown_indicator")
    ido_due = (
        state.intake is not None
        and state.intake.ido
        and rules.ido_indicator.norm in state.round.scope
        and state.round.kind is not RoundKind.HERAUDIT
    )
    if ido_due and rules.ido_indicator.id not in indicators:
        raise ScoresRefused(
            f"de IDO-indicator ({rules.ido_indicator.id}) moet beantwoord worden: de bibliotheek heeft een IDO",
            rule="scores.ido_indicator_missing",
        )


def record_audit_scores(state: TrajectoryState, cmd: RecordAuditScores, ctx: Context) -> list[Event]:
    """Record the round's scores once the audit has taken place."""
    require_phase(state, cmd, Phase.SCHEDULED)
    first = state.round.audit_dates[0]
    if ctx.today < first:
        raise ScoresRefused(
            f"scores kunnen pas vanaf de auditdatum {first.isoformat()} worden vastgelegd "
            f"(vandaag is {ctx.today.isoformat()})",
            rule="scores.before_audit",
        )
    if state.round.kind is RoundKind.AUDIT and state.self_evaluation_submitted_on is None:
        raise ScoresRefused("de zelfevaluatie ontbreekt nog", rule="scores.self_evaluation_missing")
    _check_complete(cmd.scores, state.round.scope, ctx.rules)
    _check_indicators(state, cmd.indicators, ctx.rules)
    means = norm_scores(cmd.scores, ctx.rules)
    return [
        AuditScoresRecorded(
            **ctx.stamp(state),
            round=state.round.number,
            round_kind=state.round.kind,
            scope=state.round.scope,
            scores={norm: dict(cmd.scores[norm]) for norm in state.round.scope},
            norm_scores={norm: float(means[norm]) for norm in state.round.scope},
            indicators=dict(cmd.indicators),
            findings=cmd.findings,
            improvement_points=cmd.improvement_points,
            recorded_on=ctx.today,
            audit_dates=state.round.audit_dates,
        )
    ]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_audit_scores_recorded(s: TrajectoryState, e: ev.AuditScoresRecorded) -> TrajectoryState:
    round_ = round_with(s, scores=e.scores, norm_scores=e.norm_scores, scores_recorded_on=e.recorded_on)
    return changed(s, phase=Phase.AUDITED, phase_since=e.recorded_on, round=round_)


def _summary_audit_scores_recorded(e: ev.AuditScoresRecorded) -> str:
    scores = "; ".join(f"{normen([n])} {getal(s)}" for n, s in e.norm_scores.items())
    return f"Scores {ROUND_NAMES[e.round_kind].lower()} vastgelegd: {scores}"


CONCEPT = Concept(
    name="audit",
    commands=(
        CommandPart(
            commands.RecordAuditScores,
            record_audit_scores,
            Cli("audit", "scores", "Leg de scores per norm en beoordelingsvraag vast."),
        ),
    ),
    events=(EventPart(ev.AuditScoresRecorded, _evolve_audit_scores_recorded, _summary_audit_scores_recorded),),
    fields={
        "scores": Field(
            'Scores per norm en vraag, bv. {"1": {"a": "Volledig", "b": "Grotendeels", ...}, ...}.',
            {"1": {"a": "Volledig"}},
        ),
        "indicators": Field('Indicatoren ja/nee, bv. {"ido": true}.', {"ido": True}),
        "findings": Field("Bevinding (herhaalbaar).", ["Sterke samenwerking met scholen."]),
        "improvement_points": Field("Verbeterpunt (herhaalbaar).", ["Meer leesbevordering."]),
    },
)
