"""The uitstel policy: which grounds count when, how many regular postponements a trajectory gets,
and that force majeure is always granted and counted apart.

A request the policy cannot grant is refused at once with the rule that refuses it; an admissible
request is recorded and always answered by a planner with a reason, never silently.
"""

from __future__ import annotations

from datetime import date, datetime

from domain import commands
from domain import events as ev
from domain.calendar import Quarter, add_days, add_months
from domain.commands import DecidePostponement, RequestPostponement
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datums
from domain.errors import InvalidCommand, PostponementRefused
from domain.events import Event, PostponementGranted, PostponementRejected, PostponementRequested
from domain.evolve import changed, round_with, unschedule
from domain.guards import Context, require_not_past, require_open, require_phase
from domain.planning import check_audit_dates
from domain.rules import Rules
from domain.state import (
    DecidedPostponement,
    PendingPostponement,
    TrajectoryState,
)
from domain.vocabulary import Phase, PostponementGround, RoundKind


def _names(grounds: tuple[PostponementGround, ...]) -> str:
    values = [g.value for g in grounds]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} of {values[-1]}"


def decision_due(requested_on: date, rules: Rules) -> date:
    """The day a planner must have answered a postponement request by (deadline, read model and e-mail)."""
    return add_days(requested_on, rules.postponement.decision_days)


def is_force_majeure(ground: PostponementGround, rules: Rules) -> bool:
    """Force majeure (the framework's list: calamity, pandemic, overmacht) is always granted and
    does not count against the limit."""
    return ground in rules.postponement.force_majeure


def _check_ground(state: TrajectoryState, cmd: RequestPostponement, ctx: Context) -> None:
    policy = ctx.rules.postponement
    if state.date_fixed:
        if cmd.ground not in policy.after_date_fixed:
            raise PostponementRefused(
                f"uitstel geweigerd: de auditdatum staat vast ({state.round.audit_dates[0].isoformat()}) "
                f"en '{cmd.reason}' is geen {_names(policy.after_date_fixed)}",
                rule="postponement.ground_after_date_fixed",
                ground=cmd.ground.value,
            )
    elif cmd.ground not in policy.before_date_fixed:
        raise PostponementRefused(
            f"uitstel geweigerd: '{cmd.reason}' ({cmd.ground.value}) is geen geldige grond; "
            f"geldig zijn {_names(policy.before_date_fixed)}",
            rule="postponement.ground_not_admissible",
            ground=cmd.ground.value,
        )
    if cmd.ground is PostponementGround.MERGER:
        latest = add_months(ctx.today, policy.merger_within_months)
        effective = cmd.ground_effective_on
        if effective is None or not ctx.today <= effective <= latest:
            shown = effective.isoformat() if effective else "onbekend"
            raise PostponementRefused(
                f"uitstel geweigerd: een fusie telt alleen als die binnen {policy.merger_within_months} "
                f"maanden ingaat (uiterlijk {latest.isoformat()}); ingangsdatum: {shown}",
                rule="postponement.merger_window",
                effective=shown,
            )


def _check_limit(state: TrajectoryState, force_majeure: bool, rules: Rules) -> None:
    used, limit = state.postponements.regular_granted, rules.postponement.max_regular
    if not force_majeure and used >= limit:
        raise PostponementRefused(
            f"uitstel geweigerd: maximaal {limit} reguliere uitstellen per traject en er zijn er al {used} "
            f"verleend; alleen overmacht ({_names(rules.postponement.force_majeure)}) wordt nog toegekend",
            rule="postponement.limit",
            used=used,
            limit=limit,
        )


def request_postponement(state: TrajectoryState, cmd: RequestPostponement, ctx: Context) -> list[Event]:
    """Record an admissible request, or refuse it with the rule and values."""
    require_phase(state, cmd, Phase.OPENED, Phase.ANNOUNCED, Phase.PLANNING, Phase.SCHEDULED)
    if state.round.kind is not RoundKind.AUDIT:
        raise PostponementRefused(
            f"uitstel geldt voor de reguliere audit, niet voor een {state.round.kind.value}",
            rule="postponement.round_kind",
        )
    pending = state.postponements.pending
    if pending is not None:
        raise PostponementRefused(
            f"uitstelverzoek {pending.number} wacht nog op een besluit", rule="postponement.pending"
        )
    _check_ground(state, cmd, ctx)
    force_majeure = is_force_majeure(cmd.ground, ctx.rules)
    _check_limit(state, force_majeure, ctx.rules)
    return [
        PostponementRequested(
            **ctx.stamp(state),
            request_number=state.postponements.requests + 1,
            ground=cmd.ground,
            reason=cmd.reason,
            ground_effective_on=cmd.ground_effective_on,
            requested_on=ctx.today,
            date_fixed=state.date_fixed,
            force_majeure=force_majeure,
            audit_quarter=state.audit_quarter,
            audit_dates=state.round.audit_dates,
        )
    ]


def _target_quarter(state: TrajectoryState, cmd: DecidePostponement, ctx: Context) -> Quarter:
    if cmd.new_quarter is not None:
        quarter = cmd.new_quarter
    elif cmd.new_audit_dates:
        quarter = Quarter.of(min(cmd.new_audit_dates))
    else:
        raise PostponementRefused(
            "bij toekenning van uitstel hoort een nieuw kwartaal of een nieuwe auditdatum",
            rule="postponement.target_missing",
        )
    if quarter < state.audit_quarter:
        raise PostponementRefused(
            f"uitstel naar {quarter} ligt vóór het huidige auditkwartaal {state.audit_quarter}",
            rule="postponement.earlier_quarter",
        )
    require_not_past(quarter.end, ctx.today, f"het nieuwe auditkwartaal {quarter} eindigt op")
    return quarter


def _ago(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "zojuist"
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} {'minuut' if minutes == 1 else 'minuten'} geleden"
    if seconds < 86400:
        return f"{seconds // 3600} uur geleden"
    return f"op {then.date().isoformat()}"


def _how(answer: DecidedPostponement) -> str:
    if not answer.granted:
        return "geweigerd"
    if answer.new_audit_dates:
        return f"verleend (nieuwe auditdatum {', '.join(d.isoformat() for d in answer.new_audit_dates)})"
    return f"verleend (nieuw auditkwartaal {answer.new_quarter})" if answer.new_quarter else "verleend"


def already_decided(answer: DecidedPostponement, now: datetime, pending: int | None) -> InvalidCommand:
    """The explained refusal of a second answer to a request (two planners deciding at once)."""
    who = f" door {answer.decided_by}" if answer.decided_by else ""
    nxt = f"; verzoek {pending} wacht nog op een besluit" if pending is not None else "; er ligt geen ander verzoek"
    return InvalidCommand(
        f"uitstelverzoek {answer.number} ({answer.ground.value}) is {_ago(answer.decided_at, now)} al beslist: "
        f"{_how(answer)}{who}, met als reden '{answer.reason}'{nxt}",
        rule="postponement.already_decided",
        request=answer.number,
        granted=answer.granted,
        decided_by=answer.decided_by or "",
    )


def decide_postponement(state: TrajectoryState, cmd: DecidePostponement, ctx: Context) -> list[Event]:
    """Grant (with where the audit moves) or reject the pending request, always with a reason.

    A second answer to a request already answered (two planners at once: the loser's command is
    retried against the state the winner left) says who decided it, how and how long ago.
    """
    require_open(state, cmd)
    counts = state.postponements
    pending = counts.pending
    if pending is None or (cmd.request_number is not None and cmd.request_number != pending.number):
        answered = counts.decided_request(cmd.request_number)
        if answered is not None:
            raise already_decided(answered, ctx.now, pending.number if pending else None)
    if pending is None:
        raise InvalidCommand("er ligt geen uitstelverzoek ter beslissing", rule="postponement.none_pending")
    if cmd.request_number is not None and cmd.request_number != pending.number:
        raise InvalidCommand(
            f"uitstelverzoek {cmd.request_number} ligt niet voor; verzoek {pending.number} wel",
            rule="postponement.wrong_request",
        )
    if not cmd.grant:
        if pending.force_majeure:
            raise PostponementRefused(
                f"uitstelverzoek {pending.number} ({pending.ground.value}) is overmacht en wordt altijd "
                "toegekend; weigeren kan niet — verleen het met een nieuw auditkwartaal of een nieuwe auditdatum",
                rule="postponement.force_majeure_always_granted",
                ground=pending.ground.value,
            )
        return [
            PostponementRejected(
                **ctx.stamp(state),
                request_number=pending.number,
                reason=cmd.reason,
                decided_on=ctx.today,
                decided_by=cmd.actor,
            )
        ]
    _check_limit(state, pending.force_majeure, ctx.rules)
    quarter = _target_quarter(state, cmd, ctx)
    dates: tuple[date, ...] | None = None
    if cmd.new_audit_dates:
        if not state.date_fixed:
            raise PostponementRefused(
                "er is nog geen audit gepland; plan de nieuwe datum met ScheduleAudit",
                rule="postponement.dates_without_plan",
            )
        dates = check_audit_dates(state, cmd.new_audit_dates, quarter, ctx)
        if dates[0] <= state.round.audit_dates[0]:
            raise PostponementRefused(
                f"uitstel moet de audit later zetten dan {state.round.audit_dates[0].isoformat()}",
                rule="postponement.not_later",
            )
    elif quarter == state.audit_quarter and not state.date_fixed:
        raise PostponementRefused(
            f"toekenning verschuift niets: het kwartaal blijft {quarter}", rule="postponement.no_change"
        )
    regular = state.postponements.regular_granted + (0 if pending.force_majeure else 1)
    force = state.postponements.force_majeure_granted + (1 if pending.force_majeure else 0)
    return [
        PostponementGranted(
            **ctx.stamp(state),
            request_number=pending.number,
            reason=cmd.reason,
            decided_on=ctx.today,
            force_majeure=pending.force_majeure,
            previous_quarter=state.audit_quarter,
            new_quarter=quarter,
            new_audit_dates=dates,
            regular_granted=regular,
            force_majeure_granted=force,
            decided_by=cmd.actor,
        )
    ]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _answered(
    s: TrajectoryState, e: ev.PostponementGranted | ev.PostponementRejected
) -> tuple[DecidedPostponement, ...]:
    pending = s.postponements.pending
    granted = isinstance(e, ev.PostponementGranted)
    answer = DecidedPostponement(
        number=e.request_number,
        ground=pending.ground if pending is not None else PostponementGround.OTHER,
        granted=granted,
        reason=e.reason,
        decided_on=e.decided_on,
        decided_at=e.occurred_at,
        decided_by=e.decided_by,
        new_quarter=e.new_quarter if isinstance(e, ev.PostponementGranted) else None,
        new_audit_dates=e.new_audit_dates if isinstance(e, ev.PostponementGranted) else None,
    )
    return (*s.postponements.decided, answer)


def _evolve_postponement_requested(s: TrajectoryState, e: ev.PostponementRequested) -> TrajectoryState:
    pending = PendingPostponement(
        number=e.request_number,
        ground=e.ground,
        reason=e.reason,
        requested_on=e.requested_on,
        date_fixed=e.date_fixed,
        force_majeure=e.force_majeure,
    )
    counts = s.postponements.model_copy(update={"requests": e.request_number, "pending": pending})
    return changed(s, postponements=counts)


def _summary_postponement_requested(e: ev.PostponementRequested) -> str:
    return f"Uitstel gevraagd (verzoek {e.request_number}, {e.ground.value}): {e.reason}"


def _evolve_postponement_granted(s: TrajectoryState, e: ev.PostponementGranted) -> TrajectoryState:
    counts = s.postponements.model_copy(
        update={
            "pending": None,
            "regular_granted": e.regular_granted,
            "force_majeure_granted": e.force_majeure_granted,
            "decided": _answered(s, e),
        }
    )
    new = changed(s, postponements=counts, audit_quarter=e.new_quarter)
    if e.new_audit_dates:
        return changed(new, round=round_with(s, audit_dates=e.new_audit_dates))
    if s.phase is Phase.SCHEDULED:
        return unschedule(new, e.decided_on)
    return new


def _summary_postponement_granted(e: ev.PostponementGranted) -> str:
    where = f"{datums(e.new_audit_dates)}" if e.new_audit_dates else f"{e.new_quarter}"
    force = ", overmacht" if e.force_majeure else ""
    return f"Uitstel toegekend (verzoek {e.request_number}{force}): audit naar {where}; reden: {e.reason}"


def _evolve_postponement_rejected(s: TrajectoryState, e: ev.PostponementRejected) -> TrajectoryState:
    return changed(s, postponements=s.postponements.model_copy(update={"pending": None, "decided": _answered(s, e)}))


def _summary_postponement_rejected(e: ev.PostponementRejected) -> str:
    return f"Uitstel afgewezen (verzoek {e.request_number}): {e.reason}"


CONCEPT = Concept(
    name="postponement",
    commands=(
        CommandPart(
            commands.RequestPostponement,
            request_postponement,
            Cli("postponement", "request", "Vraag uitstel aan, met grond en toelichting."),
        ),
        CommandPart(
            commands.DecidePostponement,
            decide_postponement,
            Cli("postponement", "decide", "Verleen of weiger uitstel, altijd met reden."),
        ),
    ),
    events=(
        EventPart(ev.PostponementRequested, _evolve_postponement_requested, _summary_postponement_requested),
        EventPart(ev.PostponementGranted, _evolve_postponement_granted, _summary_postponement_granted),
        EventPart(ev.PostponementRejected, _evolve_postponement_rejected, _summary_postponement_rejected),
    ),
    fields={
        "ground": Field("Grond voor uitstel (zie de foutmelding voor de mogelijke waarden).", "fusie"),
        "reason": Field("Toelichting.", "Fusie met de bibliotheek van Oldenzaal."),
        "ground_effective_on": Field("Datum waarop de grond ingaat (bv. de fusiedatum).", "2026-09-01"),
        "grant": Field("Verleen (--grant) of weiger (--no-grant) het uitstel.", True),
        "request_number": Field("Volgnummer van het verzoek (standaard het openstaande).", 1),
        "new_quarter": Field("Nieuw auditkwartaal, bv. 2026-K4.", "2027-K1"),
        "new_audit_dates": Field("Nieuwe auditdatum (herhaalbaar).", ["2027-02-01"]),
    },
)
