"""Bezwaar: an objection against voorwaardelijk or niet gecertificeerd, within the objection term.

Choice: the board either *upholds* the objection — the contested decision is annulled and a
reassessment (herbeoordeling) of the same scope follows, by auditors other than the contested
ones, judged by the same rule — or *rejects* it: the verdict stands and the heraudit window is
extended by the time the objection was pending, so objecting costs the auditee no heraudit time.
A certificate therefore never comes from the board, only from a passing (re)assessment.
"""

from __future__ import annotations

from datetime import date

from domain.calendar import add_days
from domain.commands import DecideObjection, FileObjection
from domain.errors import InvalidCommand, ObjectionRefused
from domain.events import Event, ObjectionDecided, ObjectionFiled
from domain.guards import Context, require_open, require_phase
from domain.state import TrajectoryState
from domain.vocabulary import ObjectionStatus, Phase


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
