"""Bezwaar: an objection against voorwaardelijk or niet gecertificeerd, within the objection term.

Choice: the board either *upholds* the objection — the contested decision is annulled and a
reassessment (herbeoordeling) of the same scope follows, by auditors other than the contested
ones, judged by the same rule — or *rejects* it: the verdict stands and the heraudit window is
extended by the time the objection was pending, so objecting costs the auditee no heraudit time.
A certificate therefore never comes from the board, only from a passing (re)assessment.
"""

from __future__ import annotations

from datetime import date

from domain import commands
from domain import events as ev
from domain.calendar import add_days
from domain.commands import DecideObjection, FileObjection
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum
from domain.errors import InvalidCommand, ObjectionRefused
from domain.events import Event, ObjectionDecided, ObjectionFiled
from domain.evolve import changed
from domain.guards import Context, require_open, require_phase
from domain.state import (
    AuditRound,
    TrajectoryState,
)
from domain.vocabulary import ObjectionStatus, Phase, RoundKind


def file_objection(state: TrajectoryState, cmd: FileObjection, ctx: Context) -> list[Event]:
    """Accept one objection per decision, within the term, against an objectionable verdict."""
    require_phase(state, cmd, Phase.DECIDED)
    decision = state.decision
    if decision is None or decision.verdict not in ctx.rules.objection.against:
        shown = decision.verdict.value if decision else "geen besluit"
        raise ObjectionRefused(
            f"bezwaar kan alleen tegen {' of '.join(r.value for r in ctx.rules.objection.against)}, "
            f"niet tegen '{shown}'",
            rule="objection.verdict",
        )
    if state.objection.status is not ObjectionStatus.NONE:
        raise ObjectionRefused(
            f"tegen dit besluit is al bezwaar gemaakt ({state.objection.status.value})", rule="objection.once"
        )
    ends = decision.objection_term_ends_on
    if state.objection.term_ended or (ends is not None and ctx.today > ends):
        shown_end = ends.isoformat() if ends else "onbekend"
        raise ObjectionRefused(
            f"de bezwaartermijn is verstreken op {shown_end} (vandaag is {ctx.today.isoformat()})",
            rule="objection.term",
            ends=shown_end,
        )
    return [
        ObjectionFiled(
            **ctx.stamp(state),
            round=state.round.number,
            filed_on=ctx.today,
            grounds=cmd.grounds,
            against_verdict=decision.verdict,
            decision_due_on=add_days(ctx.today, ctx.rules.objection.decision_days),
        )
    ]


def _extended_window(state: TrajectoryState, today: date) -> date | None:
    decision, filed = state.decision, state.objection.filed_on
    if decision is None or decision.heraudit_window_closes_on is None or filed is None:
        return None
    return add_days(decision.heraudit_window_closes_on, (today - filed).days)


def decide_objection(state: TrajectoryState, cmd: DecideObjection, ctx: Context) -> list[Event]:
    """The board's decision, with its reason."""
    require_open(state, cmd)
    if state.objection.status is not ObjectionStatus.PENDING or state.decision is None:
        raise InvalidCommand("er ligt geen bezwaar ter beslissing", rule="objection.none_pending")
    return [
        ObjectionDecided(
            **ctx.stamp(state),
            upheld=cmd.upheld,
            reason=cmd.reason,
            decided_on=ctx.today,
            against_verdict=state.decision.verdict,
            next_round=state.round.number + 1 if cmd.upheld else None,
            reassessment_scope=state.round.scope if cmd.upheld else (),
            heraudit_window_closes_on=None if cmd.upheld else _extended_window(state, ctx.today),
        )
    ]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_objection_filed(s: TrajectoryState, e: ev.ObjectionFiled) -> TrajectoryState:
    objection = s.objection.model_copy(
        update={
            "status": ObjectionStatus.PENDING,
            "filed_on": e.filed_on,
            "decision_due_on": e.decision_due_on,
        }
    )
    return changed(s, objection=objection)


def _summary_objection_filed(e: ev.ObjectionFiled) -> str:
    return f"Bezwaar ingediend tegen '{e.against_verdict.value}'; bestuur beslist uiterlijk {datum(e.decision_due_on)}"


def _evolve_objection_decided(s: TrajectoryState, e: ev.ObjectionDecided) -> TrajectoryState:
    if not e.upheld:
        objection = s.objection.model_copy(update={"status": ObjectionStatus.REJECTED, "term_ended": True})
        decision = (
            s.decision.model_copy(update={"heraudit_window_closes_on": e.heraudit_window_closes_on})
            if s.decision
            else None
        )
        return changed(s, objection=objection, decision=decision)
    contested = s.round
    round_ = AuditRound(
        number=e.next_round if e.next_round is not None else contested.number + 1,
        kind=RoundKind.REASSESSMENT,
        heraudit_rule=contested.heraudit_rule,
        scope=e.reassessment_scope,
        excluded_auditors=frozenset(a for a in (contested.expert_auditor, contested.peer_auditor) if a),
    )
    objection = s.objection.model_copy(update={"status": ObjectionStatus.UPHELD, "term_ended": True})
    return changed(s, objection=objection, decision=None, round=round_, phase=Phase.PLANNING, phase_since=e.decided_on)


def _summary_objection_decided(e: ev.ObjectionDecided) -> str:
    return f"Bezwaar {'gegrond' if e.upheld else 'ongegrond'}: {e.reason}"


def _evolve_objection_term_ended(s: TrajectoryState, e: ev.ObjectionTermEnded) -> TrajectoryState:
    return changed(s, objection=s.objection.model_copy(update={"term_ended": True}))


def _summary_objection_term_ended(e: ev.ObjectionTermEnded) -> str:
    return "Bezwaartermijn verstreken zonder bezwaar"


CONCEPT = Concept(
    name="objection",
    commands=(
        CommandPart(
            commands.FileObjection, file_objection, Cli("objection", "file", "Dien bezwaar in tegen het besluit.")
        ),
        CommandPart(
            commands.DecideObjection, decide_objection, Cli("objection", "decide", "Beslis op het bezwaar (bestuur).")
        ),
    ),
    events=(
        EventPart(ev.ObjectionFiled, _evolve_objection_filed, _summary_objection_filed),
        EventPart(ev.ObjectionDecided, _evolve_objection_decided, _summary_objection_decided),
        EventPart(ev.ObjectionTermEnded, _evolve_objection_term_ended, _summary_objection_term_ended),
    ),
    fields={
        "grounds": Field("Gronden van het bezwaar.", "Het oordeel klopt niet."),
        "upheld": Field("Bezwaar gegrond (--upheld) of ongegrond (--no-upheld).", False),
        "reason": Field("Toelichting.", "Fusie met de bibliotheek van Oldenzaal."),
    },
)
