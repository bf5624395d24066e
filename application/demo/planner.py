"""The scenario planner: which commands the demo sends at which moments so that CBCT's published
2018-2022 register arises from the process itself.

Pure and deterministic: the same row, seed and scale index always give the same steps, dates, scores
and command ids (so a re-run of the demo appends nothing twice). Nothing here writes an outcome: each
register row's result and remark follows from intake, planning, scores, decisions, heraudits, a
withdrawal, and from the deadlines the domain fires itself while the demo's world moves on. The
timeline (``timeline.py``) is drawn from the trajectory's own random stream until it fits; its parts
live beside it (intake, audits and scores, postponements, heraudits, survey).
"""

from __future__ import annotations

from collections.abc import Sequence

from application.demo.draft import Retry, TrajectoryDraft
from application.demo.ids import trajectory_id_for
from application.demo.outcomes import audit_quarters
from application.demo.period import FRAMEWORK_VERSION
from application.demo.postponements import postponement_variant
from application.demo.register import RegisterRow
from application.demo.scenario import PlanningError, Scenario
from application.demo.seeded import unit
from application.demo.survey import SurveyResponse, allocate_survey_answers, satisfaction_at, survey_response
from application.demo.timeline import Story, draw_timeline
from domain import Rules, Satisfaction
from frameworks.loader import load_rules

ATTEMPTS = 200
"""Draws per trajectory before the planner gives up on a row."""


def plan_trajectory(
    row: RegisterRow,
    *,
    seed: int,
    scale_index: int = 0,
    satisfaction: Satisfaction | None = None,
    rules: Rules | None = None,
) -> Scenario:
    """The steps that make ``row``'s outcome arise from the process (copy ``scale_index`` of it).

    ``satisfaction`` is the survey answer if the auditee answers; left out, it is drawn from CBCT's mix
    by a seeded hash (``plan_register`` passes answers balanced over the whole register instead).
    """
    if scale_index < 0:
        raise ValueError("scale_index must be >= 0")
    draft = TrajectoryDraft(row, scale_index, seed, rules or load_rules(FRAMEWORK_VERSION))
    story = Story(
        postponement=postponement_variant(seed, draft.tid),
        survey=survey_response(seed, draft.tid),
        satisfaction=satisfaction or satisfaction_at(unit(seed, draft.tid, "satisfaction")),
    )
    quarters = audit_quarters(row, draft.tid)
    for _ in range(ATTEMPTS):
        draft.reset()
        try:
            draw_timeline(draft, story, draft.rng.choice(quarters))
        except Retry:
            continue
        return Scenario(
            trajectory_id=draft.tid,
            certificate_number=draft.number,
            row=row,
            scale_index=scale_index,
            steps=draft.ordered(),
        )
    raise PlanningError(f"{draft.tid}: geen geldige tijdlijn gevonden voor deze uitkomst")


def plan_register(rows: Sequence[RegisterRow], *, seed: int, scale: int = 1) -> list[Scenario]:
    """Scenarios for every row, ``scale`` copies each (copy 0 is the row itself), survey mix balanced."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    rules = load_rules(FRAMEWORK_VERSION)
    copies = [(row, index) for index in range(scale) for row in rows]
    respondents = [
        trajectory_id_for(row.certificate_number, index)
        for row, index in copies
        if not row.withdrawn
        and survey_response(seed, trajectory_id_for(row.certificate_number, index)) is not SurveyResponse.NONE
    ]
    answers = allocate_survey_answers(respondents, seed)
    return [
        plan_trajectory(
            row,
            seed=seed,
            scale_index=index,
            satisfaction=answers.get(trajectory_id_for(row.certificate_number, index)),
            rules=rules,
        )
        for row, index in copies
    ]
