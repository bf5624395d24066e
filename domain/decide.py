"""``decide(state, command, now, rules) -> events``: the one entry point for every command.

It dispatches to the rule module that owns the command, then lets ``closing`` append
TrajectoryClosed when the events finish the trajectory. A refusal raises a ``DomainError`` before
anything is returned, so there are never partial events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain import commands as c
from domain.audit import record_audit_scores, submit_self_evaluation
from domain.cancellation import cancel_audit
from domain.certificate import extend_validity
from domain.certificate_holder import CertificateFacts
from domain.closing import with_closing
from domain.deadlines import on_deadline
from domain.decision import decide_certification
from domain.errors import InvalidCommand, TrajectoryNotFound
from domain.events import Event
from domain.guards import Context, require_rules_for
from domain.heraudit import request_heraudit
from domain.intake import record_intake
from domain.objection import decide_objection, file_objection
from domain.opening import open_trajectory, send_announcement, send_intake
from domain.participation import withdraw_participation
from domain.planning import declare_conflict, schedule_audit
from domain.postponement import decide_postponement, request_postponement
from domain.report import issue_draft_report, react_to_draft
from domain.rules import Rules
from domain.state import TrajectoryState
from domain.survey import record_survey_answer

_Handler = Callable[[TrajectoryState, Any, Context], list[Event]]

HANDLERS: dict[type[c.Command], _Handler] = {
    c.SendAnnouncement: send_announcement,
    c.SendIntake: send_intake,
    c.RecordIntake: record_intake,
    c.DeclareConflictOfInterest: declare_conflict,
    c.ScheduleAudit: schedule_audit,
    c.RequestPostponement: request_postponement,
    c.DecidePostponement: decide_postponement,
    c.SubmitSelfEvaluation: submit_self_evaluation,
    c.RecordAuditScores: record_audit_scores,
    c.IssueDraftReport: issue_draft_report,
    c.ReactToDraft: react_to_draft,
    c.DecideCertification: decide_certification,
    c.RequestHeraudit: request_heraudit,
    c.FileObjection: file_objection,
    c.DecideObjection: decide_objection,
    c.CancelAudit: cancel_audit,
    c.RecordSurveyAnswer: record_survey_answer,
    c.WithdrawParticipation: withdraw_participation,
    c.ExtendValidity: extend_validity,
}


def decide(
    state: TrajectoryState | None,
    command: c.Command,
    now: datetime,
    rules: Rules,
    *,
    facts: CertificateFacts | None = None,
) -> list[Event]:
    """The events ``command`` causes at ``now`` under ``rules``, or a DomainError explaining why not.

    ``facts`` — what the store knows about the certificate number across trajectories — is read by
    the application before an OpenTrajectory and passed in, so the domain itself does no I/O.
    """
    ctx = Context.at(now, rules)
    if isinstance(command, c.OpenTrajectory):
        return open_trajectory(state, command, ctx, facts)
    if state is None:
        raise TrajectoryNotFound(f"traject {command.trajectory_id} is niet geopend")
    if command.trajectory_id != state.trajectory_id:
        raise InvalidCommand(
            f"commando voor traject {command.trajectory_id} bij traject {state.trajectory_id}",
            rule="state.wrong_trajectory",
        )
    require_rules_for(state, rules)
    if isinstance(command, c.FireDeadline):
        return on_deadline(state, command.deadline_id, ctx.now, rules)
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise InvalidCommand(f"onbekend commando {type(command).__name__}", rule="command.unknown")
    return with_closing(state, handler(state, command, ctx), ctx)
