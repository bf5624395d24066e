"""The satisfaction survey (evaluatie) after the decision: one answer, until it closes."""

from __future__ import annotations

from domain import commands
from domain import events as ev
from domain.commands import RecordSurveyAnswer
from domain.concept import Cli, CommandPart, Concept, EventPart, Field
from domain.dutch import datum
from domain.errors import InvalidCommand
from domain.events import Event, SurveyAnswered
from domain.evolve import changed
from domain.guards import Context, require_open
from domain.state import (
    TrajectoryState,
)
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


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_survey_sent(s: TrajectoryState, e: ev.SurveySent) -> TrajectoryState:
    survey = s.survey.model_copy(
        update={
            "status": SurveyStatus.SENT,
            "sent_on": e.sent_on,
            "reminder_on": e.reminder_on,
            "closes_on": e.closes_on,
        }
    )
    return changed(s, survey=survey)


def _summary_survey_sent(e: ev.SurveySent) -> str:
    return f"Evaluatie verstuurd; open tot en met {datum(e.closes_on)}"


def _evolve_survey_answered(s: TrajectoryState, e: ev.SurveyAnswered) -> TrajectoryState:
    return changed(s, survey=s.survey.model_copy(update={"status": SurveyStatus.ANSWERED, "answer": e.answer}))


def _summary_survey_answered(e: ev.SurveyAnswered) -> str:
    return f"Evaluatie beantwoord: {e.answer.value}"


def _evolve_survey_closed(s: TrajectoryState, e: ev.SurveyClosed) -> TrajectoryState:
    return changed(s, survey=s.survey.model_copy(update={"status": SurveyStatus.CLOSED}))


def _summary_survey_closed(e: ev.SurveyClosed) -> str:
    return "Evaluatie gesloten zonder antwoord"


CONCEPT = Concept(
    name="survey",
    commands=(
        CommandPart(
            commands.RecordSurveyAnswer,
            record_survey_answer,
            Cli("survey", "answer", "Beantwoord de tevredenheidsenquête."),
        ),
    ),
    events=(
        EventPart(ev.SurveySent, _evolve_survey_sent, _summary_survey_sent),
        EventPart(ev.SurveyAnswered, _evolve_survey_answered, _summary_survey_answered),
        EventPart(ev.SurveyClosed, _evolve_survey_closed, _summary_survey_closed),
    ),
    fields={
        "answer": Field("zeer tevreden, tevreden, matig, ontevreden of zeer ontevreden.", "tevreden"),
        "comment": Field("Toelichting bij het antwoord.", "Prima."),
    },
)
