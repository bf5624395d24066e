"""Heraudit: after voorwaardelijk, on the failing norms, requested within a window from the decision;
after niet gecertificeerd, on all norms, not earlier than a year after the decision.

The window is a *request* window: when it closes without a request the verdict stands and the
register says 'Geen heraudit aangevraagd' (the lapse is fired by the heraudit-window deadline).
"""

from __future__ import annotations

from datetime import date

from domain.calendar import add_months
from domain.commands import RequestHeraudit
from domain.errors import HerauditRefused
from domain.events import Event, HerauditRequested
from domain.guards import Context, require_phase
from domain.rules import Rules
from domain.state import TrajectoryState
from domain.vocabulary import ObjectionStatus, Phase, Result


def heraudit_window(verdict: Result, decided_on: date, rules: Rules) -> tuple[date | None, date | None]:
    """First and last day on which a heraudit may be requested after this verdict."""
    policy = rules.heraudit
    if verdict is Result.CONDITIONAL:
        return decided_on, add_months(decided_on, policy.conditional_window_months)
    if verdict is Result.NOT_CERTIFIED:
        opens = add_months(decided_on, policy.not_certified_earliest_months)
        return opens, add_months(opens, policy.not_certified_window_months)
    return None, None


def request_heraudit(state: TrajectoryState, cmd: RequestHeraudit, ctx: Context) -> list[Event]:
    """Open a heraudit round, or explain why not (wrong verdict, too early, too late, bezwaar)."""
    require_phase(state, cmd, Phase.DECIDED)
    decision = state.decision
    if decision is None or decision.verdict is Result.CERTIFIED or state.heraudit_lapsed:
        raise HerauditRefused("er is geen verdict waartegen een heraudit kan", rule="heraudit.no_verdict")
    if state.objection.status is ObjectionStatus.PENDING:
        raise HerauditRefused(
            "er loopt een bezwaar; een heraudit kan pas na het besluit daarover",
            rule="heraudit.objection_pending",
        )
    opens, closes = decision.heraudit_window_opens_on, decision.heraudit_window_closes_on
    if opens is not None and ctx.today < opens:
        months = ctx.rules.heraudit.not_certified_earliest_months
        after = "een jaar" if months == 12 else f"{months} maanden"
        raise HerauditRefused(
            f"heraudit na '{decision.verdict.value}' kan pas vanaf {opens.isoformat()} "
            f"({after} na het besluit van {decision.decided_on.isoformat()}); "
            f"vandaag is {ctx.today.isoformat()}",
            rule="heraudit.too_early",
            opens=opens,
        )
    if closes is not None and ctx.today > closes:
        raise HerauditRefused(
            f"de termijn voor een heraudit is verstreken op {closes.isoformat()}",
            rule="heraudit.window_closed",
        )
    if decision.verdict is Result.CONDITIONAL:
        scope = decision.failing_norms
    else:
        scope = state.intake.scope if state.intake else ctx.rules.base_norm_ids
    return [
        HerauditRequested(
            **ctx.stamp(state),
            round=state.round.number + 1,
            requested_on=ctx.today,
            after_verdict=decision.verdict,
            scope=scope,
        )
    ]
