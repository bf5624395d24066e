"""Planning an audit: working days in the audit quarter, time for the self-evaluation, and two
auditors without a conflict of interest.

The same date checks serve a granted postponement that names new dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain import commands
from domain import events as ev
from domain.calendar import Quarter, add_days, non_working_reason
from domain.commands import DeclareConflictOfInterest, ScheduleAudit
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import ROUND_NAMES, datums
from domain.errors import ConflictOfInterest, SchedulingRefused
from domain.events import AuditScheduled, ConflictOfInterestDeclared, Event
from domain.evolve import changed, round_with
from domain.guards import Context, require_not_past, require_open, require_phase
from domain.heraudit import check_heraudit_dates
from domain.self_evaluation import needs_self_evaluation, self_evaluation_due
from domain.state import (
    TrajectoryState,
)
from domain.vocabulary import Phase, RoundKind


def minimum_lead_days(state: TrajectoryState, ctx: Context) -> int:
    """Days between planning and the first audit day the auditee is entitled to."""
    if needs_self_evaluation(state):
        return ctx.rules.terms.self_evaluation_lead_days
    if state.round.kind is RoundKind.HERAUDIT:
        return ctx.rules.heraudit.min_lead_days
    if state.round.kind is RoundKind.REASSESSMENT:
        return ctx.rules.audit.reassessment_min_lead_days
    return 0


def check_audit_dates(
    state: TrajectoryState, dates: Sequence[date], quarter: Quarter | None, ctx: Context
) -> tuple[date, ...]:
    """Sorted audit dates, or a refusal naming the date and the rule it breaks."""
    ordered = tuple(sorted(dates))
    if len(set(ordered)) != len(ordered):
        raise SchedulingRefused("een auditdatum staat er dubbel in", rule="planning.duplicate_date")
    if len(ordered) > ctx.rules.audit.max_days:
        raise SchedulingRefused(
            f"een audit duurt hoogstens {ctx.rules.audit.max_days} dagen; {len(ordered)} opgegeven",
            rule="planning.too_many_days",
            days=len(ordered),
        )
    for day in ordered:
        require_not_past(day, ctx.today, "auditdatum")
        reason = non_working_reason(day)
        if reason:
            raise SchedulingRefused(
                f"audit niet mogelijk op {day.isoformat()}: {reason}",
                rule="planning.non_working_day",
                date=day,
            )
        if quarter is not None and not quarter.contains(day):
            raise SchedulingRefused(
                f"auditdatum {day.isoformat()} valt buiten het auditkwartaal {quarter.describe()}",
                rule="planning.outside_quarter",
                date=day,
                quarter=quarter,
            )
    lead = minimum_lead_days(state, ctx)
    earliest = add_days(ctx.today, lead)
    if ordered[0] < earliest:
        raise SchedulingRefused(
            f"auditdatum {ordered[0].isoformat()} is te vroeg: de auditee heeft recht op {lead} dagen "
            f"voorbereiding (zelfevaluatie); vroegst mogelijk is {earliest.isoformat()}",
            rule="planning.lead_time",
            date=ordered[0],
            earliest=earliest,
        )
    return ordered


def check_auditors(state: TrajectoryState, expert: str, peer: str, ctx: Context) -> None:
    """Two different auditors, neither on the previous audit, nor related, nor contested."""
    if expert == peer:
        raise SchedulingRefused(
            f"expert-auditor en peer-auditor moeten verschillen (beide '{expert}')",
            rule="planning.same_auditor",
        )
    for auditor in (expert, peer):
        if ctx.rules.audit.exclude_previous_auditors and auditor in state.previous_auditors:
            raise ConflictOfInterest(
                f"belangenverstrengeling: {auditor} deed de vorige audit bij {state.organisation}",
                rule="planning.conflict_of_interest.previous_audit",
                auditor=auditor,
            )
        if ctx.rules.audit.exclude_declared_relations and auditor in state.declared_relations:
            raise ConflictOfInterest(
                f"belangenverstrengeling: {auditor} heeft een relatie met {state.organisation} gemeld",
                rule="planning.conflict_of_interest.declared_relation",
                auditor=auditor,
            )
        if auditor in state.round.excluded_auditors:
            raise ConflictOfInterest(
                f"belangenverstrengeling: {auditor} deed de audit waartegen bezwaar gegrond is verklaard",
                rule="planning.conflict_of_interest.contested_audit",
                auditor=auditor,
            )


def round_quarter(state: TrajectoryState) -> Quarter | None:
    """The regular audit must fall in the audit quarter; heraudits and reassessments need not."""
    return state.audit_quarter if state.round.kind is RoundKind.AUDIT else None


def schedule_audit(state: TrajectoryState, cmd: ScheduleAudit, ctx: Context) -> list[Event]:
    """Fix (or move) the audit date(s) and auditors of the current round."""
    require_phase(state, cmd, Phase.PLANNING, Phase.SCHEDULED)
    pending = state.postponements.pending
    if pending is not None:
        raise SchedulingRefused(
            f"uitstelverzoek {pending.number} ({pending.ground.value}) wacht nog op een besluit; beantwoord dat eerst",
            rule="planning.postponement_pending",
        )
    quarter = round_quarter(state)
    dates = check_audit_dates(state, cmd.audit_dates, quarter, ctx)
    check_heraudit_dates(state, dates, ctx)
    check_auditors(state, cmd.expert_auditor, cmd.peer_auditor, ctx)
    intake = state.intake
    return [
        AuditScheduled(
            **ctx.stamp(state),
            round=state.round.number,
            round_kind=state.round.kind,
            audit_dates=dates,
            expert_auditor=cmd.expert_auditor,
            peer_auditor=cmd.peer_auditor,
            audit_quarter=quarter,
            scheduled_on=ctx.today,
            self_evaluation_due_on=self_evaluation_due(state, ctx.rules, first_day=dates[0]),
            rescheduled=state.phase is Phase.SCHEDULED,
            category=intake.category if intake else None,
            dagdelen=intake.dagdelen if intake else None,
            auditor_hours=intake.auditor_hours if intake else None,
        )
    ]


def declare_conflict(state: TrajectoryState, cmd: DeclareConflictOfInterest, ctx: Context) -> list[Event]:
    """Record a declared relation; later plans must avoid this auditor."""
    require_open(state, cmd)
    return [ConflictOfInterestDeclared(**ctx.stamp(state), auditor=cmd.auditor, relation=cmd.relation)]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_conflict_of_interest_declared(s: TrajectoryState, e: ev.ConflictOfInterestDeclared) -> TrajectoryState:
    return changed(s, declared_relations=s.declared_relations | {e.auditor})


def _summary_conflict_of_interest_declared(e: ev.ConflictOfInterestDeclared) -> str:
    return f"Belangenverstrengeling gemeld: {e.auditor} ({e.relation})"


def _evolve_audit_scheduled(s: TrajectoryState, e: ev.AuditScheduled) -> TrajectoryState:
    round_ = round_with(
        s,
        audit_dates=e.audit_dates,
        expert_auditor=e.expert_auditor,
        peer_auditor=e.peer_auditor,
        scheduled_on=e.scheduled_on,
    )
    return changed(s, phase=Phase.SCHEDULED, phase_since=e.scheduled_on, round=round_)


def _summary_audit_scheduled(e: ev.AuditScheduled) -> str:
    verb = "verplaatst naar" if e.rescheduled else "gepland op"
    return (
        f"{ROUND_NAMES[e.round_kind]} {verb} {datums(e.audit_dates)} (auditoren: {e.expert_auditor}, {e.peer_auditor})"
    )


CONCEPT = Concept(
    name="planning",
    commands=(
        CommandPart(
            commands.DeclareConflictOfInterest,
            declare_conflict,
            Cli("auditor", "declare-relation", "Leg een relatie van een auditor vast."),
        ),
        CommandPart(
            commands.ScheduleAudit,
            schedule_audit,
            Cli("audit", "schedule", "Plan de audit (of heraudit): datum(s) en auditoren."),
        ),
    ),
    events=(
        EventPart(
            ev.ConflictOfInterestDeclared, _evolve_conflict_of_interest_declared, _summary_conflict_of_interest_declared
        ),
        EventPart(ev.AuditScheduled, _evolve_audit_scheduled, _summary_audit_scheduled),
    ),
    fields={
        "auditor": Field("Naam van de auditor.", "Ellen Expert"),
        "relation": Field("De relatie met de auditee.", "oud-collega"),
        "audit_dates": Field("Auditdatum JJJJ-MM-DD (herhaalbaar voor meerdaagse audits).", ["2026-10-12"]),
        "expert_auditor": Field("Deskundige auditor.", "Ellen Expert"),
        "peer_auditor": Field("Collega-auditor (peer).", "Peer Bakker"),
    },
)
