"""Deadlines are data: every pending deadline of a trajectory, and what happens when one fires.

``deadlines(state, rules)`` lists them with a deterministic id, so a workflow keyed on the id runs
once; a deadline whose date moves (postponement, resent intake) gets a new id. ``on_deadline``
re-checks the state: a deadline that was met, moved or already fired yields no events.

Hard deadlines that only flag a late step (intake, planning, report, decision …) stay listed after
firing (``fired=True``) until the step is done, so overdue work stays visible; deadlines that
change the trajectory (reaction window, heraudit window, expiry …) and reminders drop out once fired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain import commands
from domain import events as ev
from domain.calendar import add_days, add_months, end_of_day, local_moment
from domain.certificate import recertification_running
from domain.closing import with_closing
from domain.concept import CommandPart, Concept, EventPart
from domain.dutch import datum
from domain.errors import InvalidCommand
from domain.events import (
    CertificateExpired,
    DeadlineMissed,
    Event,
    HerauditWindowLapsed,
    InterimStatusEnded,
    ObjectionTermEnded,
    ReactionWindowClosed,
    ReminderSent,
    SurveyClosed,
)
from domain.evolve import changed
from domain.guards import Context, require_rules_for
from domain.opening import announcement
from domain.postponement import decision_due
from domain.rules import Rules
from domain.self_evaluation import needs_self_evaluation, self_evaluation_due
from domain.state import (
    TrajectoryState,
)
from domain.vocabulary import (
    DeadlineKind,
    DeadlineNature,
    ObjectionStatus,
    Party,
    Phase,
    Result,
    RoundKind,
    SurveyStatus,
)


class Deadline(BaseModel):
    """A pending deadline: what, when (Amsterdam date and UTC instant), for whom, and whether fired.

    Hard deadlines fall due when their Amsterdam day ends (next local midnight); reminders and the
    announcement at the framework's reminder hour (09:00 Amsterdam) on their day.
    """

    model_config = ConfigDict(frozen=True)

    deadline_id: str
    trajectory_id: str
    kind: DeadlineKind
    due_on: date
    due_at: AwareDatetime
    nature: DeadlineNature
    party: Party
    fired: bool = False
    note: str = ""
    """Why the date is not the usual one (*verlengd*), for whoever lists it."""

    @property
    def label(self) -> str:
        """The kind as people read it, with the note: 'zelfevaluatie (verlengd)'."""
        return f"{self.kind.label} ({self.note})" if self.note else self.kind.label


# Kinds whose firing changes the trajectory (or is an action), as opposed to flagging a late step.
_EFFECTFUL = {
    DeadlineKind.ANNOUNCEMENT,
    DeadlineKind.REACTION_WINDOW,
    DeadlineKind.SURVEY,
    DeadlineKind.HERAUDIT_WINDOW,
    DeadlineKind.OBJECTION_TERM,
    DeadlineKind.CERTIFICATE_EXPIRY,
    DeadlineKind.INTERIM_LIMIT,
}


class _Builder:
    """Collects deadlines for one state; ids are '{trajectory}:{kind}:{due date}:{sequence}'."""

    def __init__(self, state: TrajectoryState, rules: Rules) -> None:
        self.state, self.rules = state, rules
        self.items: list[Deadline] = []

    def add(
        self,
        kind: DeadlineKind,
        due_on: date,
        party: Party,
        *,
        seq: int = 0,
        nature: DeadlineNature = DeadlineNature.HARD,
        at_hour: bool = False,
    ) -> None:
        deadline_id = f"{self.state.trajectory_id}:{kind.value}:{due_on.isoformat()}:{seq}"
        fired = deadline_id in self.state.fired
        if fired and (nature is DeadlineNature.AUDITEE_REMINDER or kind in _EFFECTFUL):
            return
        due_at = local_moment(due_on, time(self.rules.terms.reminder_hour)) if at_hour else end_of_day(due_on)
        extended = kind in self.state.deadline_extensions
        self.items.append(
            Deadline(
                deadline_id=deadline_id,
                trajectory_id=self.state.trajectory_id,
                kind=kind,
                due_on=due_on,
                due_at=due_at,
                nature=nature,
                party=party,
                fired=fired,
                note="verlengd" if extended else "",
            )
        )


def _planning_due(state: TrajectoryState, rules: Rules) -> date:
    if state.round.kind is RoundKind.AUDIT:
        lead = rules.terms.self_evaluation_lead_days if needs_self_evaluation(state) else 0
        return max(state.phase_since, add_days(state.audit_quarter.end, -lead))
    return add_days(state.phase_since, rules.heraudit.planning_days)


def _phase_deadlines(b: _Builder) -> None:
    s, r, round_ = b.state, b.rules, b.state.round
    if s.phase is Phase.OPENED:
        b.add(DeadlineKind.ANNOUNCEMENT, s.announcement_due_on, Party.CBCT, at_hour=True)
    elif s.phase is Phase.ANNOUNCED and s.intake_due_on is not None:
        b.add(DeadlineKind.INTAKE, s.intake_due_on, Party.AUDITEE)
    elif s.phase is Phase.PLANNING:
        b.add(DeadlineKind.PLANNING, _planning_due(s, r), Party.PLANNER, seq=round_.number)
    elif s.phase is Phase.SCHEDULED and round_.audit_dates:
        self_evaluation = self_evaluation_due(s, r)
        if self_evaluation is not None:
            b.add(DeadlineKind.SELF_EVALUATION, self_evaluation, Party.AUDITEE, seq=round_.number)
        last = round_.audit_dates[-1]
        b.add(
            DeadlineKind.AUDIT_SCORES,
            add_days(last, r.terms.audit_scores_due_days),
            Party.AUDITOR,
            seq=round_.number,
        )
    elif s.phase is Phase.AUDITED and round_.last_audit_day is not None:
        due = add_days(round_.last_audit_day, r.terms.draft_report_days)
        b.add(DeadlineKind.DRAFT_REPORT, due, Party.CBCT, seq=round_.number)
    elif s.phase is Phase.DRAFT_ISSUED and round_.reaction_ends_on is not None:
        b.add(DeadlineKind.REACTION_WINDOW, round_.reaction_ends_on, Party.AUDITEE, seq=round_.number)
    elif s.phase is Phase.AWAITING_DECISION and round_.decision_due_on is not None:
        b.add(DeadlineKind.DECISION, round_.decision_due_on, Party.DIRECTOR, seq=round_.number)
    elif s.phase is Phase.DECIDED:
        _decision_deadlines(b)


def _decision_deadlines(b: _Builder) -> None:
    s, decision = b.state, b.state.decision
    if decision is None or decision.verdict is Result.CERTIFIED:
        return
    seq = s.decisions_taken
    if s.objection.status is ObjectionStatus.PENDING and s.objection.decision_due_on is not None:
        b.add(DeadlineKind.OBJECTION_DECISION, s.objection.decision_due_on, Party.BOARD, seq=seq)
        return
    if s.objection.status is ObjectionStatus.NONE and not s.objection.term_ended and decision.objection_term_ends_on:
        b.add(DeadlineKind.OBJECTION_TERM, decision.objection_term_ends_on, Party.AUDITEE, seq=seq)
    if not s.heraudit_lapsed and decision.heraudit_window_closes_on is not None:
        b.add(DeadlineKind.HERAUDIT_WINDOW, decision.heraudit_window_closes_on, Party.AUDITEE, seq=seq)


def _side_deadlines(b: _Builder) -> None:
    s, r = b.state, b.rules
    pending = s.postponements.pending
    if pending is not None:
        b.add(
            DeadlineKind.POSTPONEMENT_DECISION, decision_due(pending.requested_on, r), Party.PLANNER, seq=pending.number
        )
    if s.survey.status is SurveyStatus.SENT and s.survey.reminder_on and s.survey.closes_on:
        if not s.survey.reminder_sent:
            b.add(
                DeadlineKind.SURVEY_REMINDER,
                s.survey.reminder_on,
                Party.AUDITEE,
                nature=DeadlineNature.AUDITEE_REMINDER,
                at_hour=True,
            )
        b.add(DeadlineKind.SURVEY, s.survey.closes_on, Party.AUDITEE)
    _certificate_deadlines(b)


def _certificate_deadlines(b: _Builder) -> None:
    s, r, previous = b.state, b.rules, b.state.previous_certificate
    if previous is None or s.certificate is not None:
        return
    if not previous.expired:
        for index, months in enumerate(r.certificate.expiry_reminder_months):
            remind_on = add_months(previous.valid_until, -months)
            if remind_on >= s.opened_on:
                b.add(
                    DeadlineKind.CERTIFICATE_EXPIRY_REMINDER,
                    remind_on,
                    Party.AUDITEE,
                    seq=index,
                    nature=DeadlineNature.AUDITEE_REMINDER,
                    at_hour=True,
                )
        b.add(DeadlineKind.CERTIFICATE_EXPIRY, previous.valid_until, Party.CBCT)
    elif not previous.interim_ended and recertification_running(s):
        limit = add_months(previous.valid_until, r.certificate.interim_max_months)
        b.add(DeadlineKind.INTERIM_LIMIT, limit, Party.CBCT)


def deadlines(state: TrajectoryState, rules: Rules) -> list[Deadline]:
    """Every pending deadline of the trajectory, earliest first; none once it is closed."""
    require_rules_for(state, rules)
    if not state.is_open:
        return []
    builder = _Builder(state, rules)
    _phase_deadlines(builder)
    _side_deadlines(builder)
    return sorted(builder.items, key=lambda d: (d.due_at, d.kind.value, d.deadline_id))


def _fire(state: TrajectoryState, deadline: Deadline, ctx: Context) -> list[Event]:
    stamp = ctx.stamp(state)
    kind, due_on = deadline.kind, deadline.due_on
    effects: dict[DeadlineKind, Callable[[], Event]] = {
        DeadlineKind.ANNOUNCEMENT: lambda: announcement(state, ctx, automatic=True),
        DeadlineKind.REACTION_WINDOW: lambda: ReactionWindowClosed(**stamp, round=state.round.number, closed_on=due_on),
        DeadlineKind.SURVEY: lambda: SurveyClosed(**stamp, closed_on=due_on),
        DeadlineKind.HERAUDIT_WINDOW: lambda: HerauditWindowLapsed(
            **stamp, lapsed_on=due_on, verdict=state.verdict or Result.NOT_CERTIFIED
        ),
        DeadlineKind.OBJECTION_TERM: lambda: ObjectionTermEnded(**stamp, ended_on=due_on),
        DeadlineKind.CERTIFICATE_EXPIRY: lambda: CertificateExpired(
            **stamp, expired_on=due_on, recertification_running=recertification_running(state)
        ),
        DeadlineKind.INTERIM_LIMIT: lambda: InterimStatusEnded(**stamp, ended_on=due_on),
    }
    if kind in effects:
        return [effects[kind]()]
    if deadline.nature is DeadlineNature.AUDITEE_REMINDER:
        return [ReminderSent(**stamp, kind=kind, deadline_id=deadline.deadline_id, due_on=due_on, sent_on=ctx.today)]
    return [
        DeadlineMissed(
            **stamp,
            kind=kind,
            party=deadline.party,
            deadline_id=deadline.deadline_id,
            due_on=due_on,
            reported_on=ctx.today,
        )
    ]


def find_deadline(state: TrajectoryState, deadline_id: str, rules: Rules) -> Deadline | None:
    """The pending deadline with this id, if it is still pending."""
    return next((d for d in deadlines(state, rules) if d.deadline_id == deadline_id), None)


def on_deadline(state: TrajectoryState | None, deadline_id: str, now: datetime, rules: Rules) -> list[Event]:
    """The events a due deadline causes; [] when it was met, moved, already fired or is not yet due."""
    if state is None:
        raise InvalidCommand(f"deadline {deadline_id} hoort bij een onbekend traject", rule="state.not_opened")
    ctx = Context.at(now, rules)
    deadline = find_deadline(state, deadline_id, rules)
    if deadline is None or deadline.fired or deadline.due_at > ctx.now:
        return []
    return with_closing(state, _fire(state, deadline, ctx), ctx)


def due_deadlines(state: TrajectoryState, now: datetime, rules: Rules) -> Iterator[Deadline]:
    """The deadlines that are due and not yet fired at ``now`` (what a dispatcher would fire)."""
    ctx = Context.at(now, rules)
    return (d for d in deadlines(state, rules) if not d.fired and d.due_at <= ctx.now)


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_reminder_sent(s: TrajectoryState, e: ev.ReminderSent) -> TrajectoryState:
    new = changed(s, fired=s.fired | {e.deadline_id})
    if e.kind is DeadlineKind.SURVEY_REMINDER:
        return changed(new, survey=s.survey.model_copy(update={"reminder_sent": True}))
    return new


def _summary_reminder_sent(e: ev.ReminderSent) -> str:
    return f"Herinnering verstuurd: {e.kind.label} ({datum(e.due_on)})"


def _evolve_deadline_missed(s: TrajectoryState, e: ev.DeadlineMissed) -> TrajectoryState:
    return changed(s, fired=s.fired | {e.deadline_id})


def _summary_deadline_missed(e: ev.DeadlineMissed) -> str:
    return f"Termijn verstreken: {e.kind.label} (uiterlijk {datum(e.due_on)})"


CONCEPT = Concept(
    name="deadlines",
    commands=(CommandPart(commands.FireDeadline, None, None),),
    events=(
        EventPart(ev.ReminderSent, _evolve_reminder_sent, _summary_reminder_sent),
        EventPart(ev.DeadlineMissed, _evolve_deadline_missed, _summary_deadline_missed),
    ),
    dispatched_by_decide=frozenset({commands.FireDeadline}),
)
