"""The satisfaction survey (evaluatie) after the decision: one answer, until it closes."""

from __future__ import annotations

from domain.commands import RecordSurveyAnswer
from domain.errors import InvalidCommand
from domain.events import Event, SurveyAnswered
from domain.guards import Context, require_open
from domain.state import TrajectoryState
from domain.vocabulary import SurveyStatus


def record_survey_answer(state: TrajectoryState, cmd: RecordSurveyAnswer, ctx: Context) -> list[Event]:
    """Record the answer while the survey is open."""
    require_open(state, cmd)
    if state.survey.status is not SurveyStatus.SENT:
        raise InvalidCommand(
            f"de enquête is {state.survey.status.value}; er kan geen antwoord meer bij",
            rule="survey.not_open",
        )
    return [SurveyAnswered(**ctx.stamp(state), answer=cmd.answer, comment=cmd.comment, answered_on=ctx.today)]
