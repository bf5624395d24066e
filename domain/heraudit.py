"""Heraudit: after voorwaardelijk, on the failing norms, within a window from the decision; after
niet gecertificeerd, on all norms, not earlier than a year after the decision.

The window bounds both the request and the heraudit itself. After voorwaardelijk the heraudit takes
place within the window, so a request is refused once no date with the auditee's preparation time
still fits in it, and a date after the window is refused at planning. After niet gecertificeerd the
heraudit takes place no earlier than a year after the decision. When the window closes without a
request the verdict stands and the register says 'Geen heraudit aangevraagd' (the lapse is fired by
the heraudit-window deadline).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import commands
from domain import events as ev
from domain.calendar import add_days, add_months, last_working_day
from domain.commands import RequestHeraudit
from domain.concept import Cli, CommandPart, Concept, EventPart
from domain.dutch import normen
from domain.errors import HerauditRefused
from domain.events import Event, HerauditRequested
from domain.evolve import changed
from domain.guards import Context, require_phase
from domain.rules import Rules
from domain.state import (
    AuditRound,
    Decision,
    TrajectoryState,
)
from domain.vocabulary import ObjectionStatus, Phase, Result, RoundKind


def heraudit_window(verdict: Result, decided_on: date, rules: Rules) -> tuple[date | None, date | None]:
    """First and last day on which a heraudit may be requested after this verdict."""
    policy = rules.heraudit
    if verdict is Result.CONDITIONAL:
        return decided_on, add_months(decided_on, policy.conditional_window_months)
    if verdict is Result.NOT_CERTIFIED:
        opens = add_months(decided_on, policy.not_certified_earliest_months)
        return opens, add_months(opens, policy.not_certified_window_months)
    return None, None


def _after(months: int) -> str:
    return "een jaar" if months == 12 else f"{months} maanden"


def heraudit_date_bounds(decision: Decision) -> tuple[date | None, date | None]:
    """First and last day on which the heraudit itself may take place after this decision.

    After voorwaardelijk: within the window (until it closes). After niet gecertificeerd: from the
    day the window opens, a year after the decision. Both come from the decision's event, so a later
    rule change never moves a running trajectory's bounds.
    """
    if decision.verdict is Result.CONDITIONAL:
        return None, decision.heraudit_window_closes_on
    if decision.verdict is Result.NOT_CERTIFIED:
        return decision.heraudit_window_opens_on, None
    return None, None


def check_heraudit_dates(state: TrajectoryState, dates: Sequence[date], ctx: Context) -> None:
    """Refuse heraudit dates outside the window the verdict set, with the rule and the dates."""
    decision = state.decision
    if state.round.kind is not RoundKind.HERAUDIT or decision is None:
        return
    earliest, latest = heraudit_date_bounds(decision)
    verdict, decided = decision.verdict.value, decision.decided_on.isoformat()
    if latest is not None and max(dates) > latest:
        months = ctx.rules.heraudit.conditional_window_months
        raise HerauditRefused(
            f"heraudit op {max(dates).isoformat()} valt buiten de termijn: na '{verdict}' (besluit van {decided}) "
            f"vindt de heraudit uiterlijk op {latest.isoformat()} plaats ({_after(months)} na het besluit)",
            rule="heraudit.after_window",
            date=max(dates),
            latest=latest,
        )
    if earliest is not None and min(dates) < earliest:
        months = ctx.rules.heraudit.not_certified_earliest_months
        raise HerauditRefused(
            f"heraudit op {min(dates).isoformat()} is te vroeg: na '{verdict}' (besluit van {decided}) vindt de "
            f"heraudit niet eerder plaats dan {earliest.isoformat()} ({_after(months)} na het besluit)",
            rule="heraudit.before_window",
            date=min(dates),
            earliest=earliest,
        )


def _require_time_left(decision: Decision, ctx: Context) -> None:
    """After voorwaardelijk the heraudit itself must fit in the window, preparation time included."""
    _, latest = heraudit_date_bounds(decision)
    if latest is None:
        return
    lead = ctx.rules.heraudit.min_lead_days
    last_day = last_working_day(latest)
    if add_days(ctx.today, lead) > last_day:
        raise HerauditRefused(
            f"een heraudit na '{decision.verdict.value}' vindt uiterlijk op {last_day.isoformat()} plaats en de "
            f"auditee heeft recht op {lead} dagen voorbereiding; aanvragen kon tot en met "
            f"{add_days(last_day, -lead).isoformat()} (vandaag is {ctx.today.isoformat()})",
            rule="heraudit.no_time_left",
            latest=last_day,
            last_request_day=add_days(last_day, -lead),
        )


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
        raise HerauditRefused(
            f"heraudit na '{decision.verdict.value}' kan pas vanaf {opens.isoformat()} "
            f"({_after(months)} na het besluit van {decision.decided_on.isoformat()}); "
            f"vandaag is {ctx.today.isoformat()}",
            rule="heraudit.too_early",
            opens=opens,
        )
    if closes is not None and ctx.today > closes:
        raise HerauditRefused(
            f"de termijn voor een heraudit is verstreken op {closes.isoformat()}",
            rule="heraudit.window_closed",
        )
    _require_time_left(decision, ctx)
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


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_heraudit_requested(s: TrajectoryState, e: ev.HerauditRequested) -> TrajectoryState:
    round_ = AuditRound(number=e.round, kind=RoundKind.HERAUDIT, heraudit_rule=True, scope=e.scope)
    return changed(s, round=round_, phase=Phase.PLANNING, phase_since=e.requested_on, remedied_verdict=e.after_verdict)


def _summary_heraudit_requested(e: ev.HerauditRequested) -> str:
    return f"Heraudit aangevraagd op {normen(e.scope)}"


def _evolve_heraudit_window_lapsed(s: TrajectoryState, e: ev.HerauditWindowLapsed) -> TrajectoryState:
    return changed(s, heraudit_lapsed=True)


def _summary_heraudit_window_lapsed(e: ev.HerauditWindowLapsed) -> str:
    return f"Termijn voor heraudit verstreken zonder aanvraag; besluit blijft '{e.verdict.value}'"


CONCEPT = Concept(
    name="heraudit",
    commands=(
        CommandPart(commands.RequestHeraudit, request_heraudit, Cli("heraudit", "request", "Vraag een heraudit aan.")),
    ),
    events=(
        EventPart(ev.HerauditRequested, _evolve_heraudit_requested, _summary_heraudit_requested),
        EventPart(ev.HerauditWindowLapsed, _evolve_heraudit_window_lapsed, _summary_heraudit_window_lapsed),
    ),
)
