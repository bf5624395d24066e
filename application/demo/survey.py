"""The satisfaction survey in the demo: who answers when, and answers in CBCT's published mix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from application.demo.draft import TrajectoryDraft
from application.demo.seeded import unit
from domain import RecordSurveyAnswer, Satisfaction
from domain.calendar import add_days

SURVEY_MIX: dict[Satisfaction, float] = {
    Satisfaction.VERY_SATISFIED: 0.39,
    Satisfaction.SATISFIED: 0.56,
    Satisfaction.MODERATE: 0.04,
    Satisfaction.DISSATISFIED: 0.01,
}
"""CBCT's published satisfaction mix of the 2018-2022 period."""

COMMENTS = {
    Satisfaction.VERY_SATISFIED: ("Prettig en deskundig auditteam.", "Heldere audit, nuttige verbeterpunten.", ""),
    Satisfaction.SATISFIED: ("Goed verlopen.", "Duidelijk rapport, wel veel voorbereiding.", ""),
    Satisfaction.MODERATE: ("De voorbereiding kostte erg veel tijd.", "Rapport kwam laat."),
    Satisfaction.DISSATISFIED: ("De audit sloot slecht aan bij onze organisatie.",),
    Satisfaction.VERY_DISSATISFIED: ("",),
}


class SurveyResponse(StrEnum):
    """When the auditee answers the satisfaction survey."""

    BEFORE_REMINDER = "before_reminder"
    AFTER_REMINDER = "after_reminder"
    NONE = "none"  # the survey closes unanswered


def survey_response(seed: int, trajectory_id: str) -> SurveyResponse:
    """Whether and when the auditee answers the survey: most before the reminder, some after, a few never."""
    u = unit(seed, trajectory_id, "survey-response")
    if u < 0.08:
        return SurveyResponse.NONE
    return SurveyResponse.AFTER_REMINDER if u < 0.33 else SurveyResponse.BEFORE_REMINDER


def satisfaction_at(u: float) -> Satisfaction:
    """The answer at position ``u`` in [0, 1) of CBCT's mix."""
    edge = 0.0
    for answer, share in SURVEY_MIX.items():
        edge += share
        if u < edge:
            return answer
    return Satisfaction.SATISFIED


def allocate_survey_answers(trajectory_ids: Sequence[str], seed: int) -> dict[str, Satisfaction]:
    """Answers for these respondents in CBCT's mix (largest remainder), assigned in a seeded order."""
    n = len(trajectory_ids)
    exact = {answer: share * n for answer, share in SURVEY_MIX.items()}
    counts = {answer: int(value) for answer, value in exact.items()}
    by_remainder = sorted(exact, key=lambda a: (-(exact[a] - counts[a]), list(SURVEY_MIX).index(a)))
    for answer in by_remainder[: n - sum(counts.values())]:
        counts[answer] += 1
    ordered = sorted(trajectory_ids, key=lambda tid: (unit(seed, tid, "satisfaction-order"), tid))
    answers: dict[str, Satisfaction] = {}
    position = 0
    for answer, count in counts.items():
        for tid in ordered[position : position + count]:
            answers[tid] = answer
        position += count
    return answers


def answer_survey(draft: TrajectoryDraft, response: SurveyResponse, satisfaction: Satisfaction, decided: date) -> None:
    """The auditee's answer before or after the reminder (or none: the survey closes by itself)."""
    terms = draft.rules.terms
    if response is SurveyResponse.NONE:
        return
    if response is SurveyResponse.BEFORE_REMINDER:
        day = draft.day(add_days(decided, 1), add_days(decided, terms.survey_reminder_days - 1))
    else:
        day = draft.day(
            add_days(decided, terms.survey_reminder_days + 1), add_days(decided, terms.survey_close_days - 1)
        )
    comment = draft.rng.choice(COMMENTS[satisfaction])
    draft.add(day, (10, 20), "survey", RecordSurveyAnswer, draft.auditee, answer=satisfaction, comment=comment)
