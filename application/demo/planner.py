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

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from application.demo.draft import Retry, TrajectoryDraft
from application.demo.ids import trajectory_id_for
from application.demo.outcomes import audit_quarters
from application.demo.period import FRAMEWORK_VERSION
from application.demo.postponements import PostponementVariant, postponement_variant
from application.demo.register import RegisterRow
from application.demo.scenario import PlanningError, Scenario
from application.demo.seeded import unit
from application.demo.survey import SurveyResponse, allocate_survey_answers, satisfaction_at, survey_response
from application.demo.timeline import Story, draw_timeline
from domain import Association, RecordAuditScores, Result, Rules, Satisfaction
from frameworks.loader import load_rules

ATTEMPTS = 200
"""Draws per trajectory before the planner gives up on a row."""


@dataclass(frozen=True)
class Marks:
    """What the register plan decides for a trajectory over the whole register, to bear out CBCT's findings."""

    postponed_then_withdrawn: bool = False
    """Uitstel werd afstel: a granted postponement, then Geen deelname."""
    large: bool = False
    """A large organisation: audit category IV (so every group has one)."""
    reading_base_in_order: bool = True
    """False for the libraries whose reading-promotion base was not in order."""


AFSTEL = 8
"""Postponed Cultuurconnectie trajectories that end without participation (uitstel werd afstel), per copy."""
LARGE = {Association.VOB: 4, Association.CULTUURCONNECTIE: 3, Association.BOTH: 1}
"""Large organisations (audit category IV) per association and copy."""
READING_BASE_NOT_IN_ORDER = 6
"""Libraries whose reading-promotion base was not in order (CBCT: six), per copy."""
MODULE_1 = "M1"


def plan_trajectory(
    row: RegisterRow,
    *,
    seed: int,
    scale_index: int = 0,
    satisfaction: Satisfaction | None = None,
    rules: Rules | None = None,
    marks: Marks | None = None,
) -> Scenario:
    """The steps that make ``row``'s outcome arise from the process (copy ``scale_index`` of it).

    ``satisfaction`` is the survey answer if the auditee answers; left out, it is drawn from CBCT's mix
    by a seeded hash (``plan_register`` passes answers balanced over the whole register instead).
    ``marks`` are the register plan's decisions for this trajectory (see ``register_marks``).
    """
    if scale_index < 0:
        raise ValueError("scale_index must be >= 0")
    marks = marks or Marks()
    draft = TrajectoryDraft(
        row,
        scale_index,
        seed,
        rules or load_rules(FRAMEWORK_VERSION),
        reading_base_in_order=marks.reading_base_in_order,
        large=marks.large,
    )
    variant = postponement_variant(seed, draft.tid, row.association)
    story = Story(
        postponement=PostponementVariant.GRANTED if marks.postponed_then_withdrawn else variant,
        survey=survey_response(seed, draft.tid),
        satisfaction=satisfaction or satisfaction_at(unit(seed, draft.tid, "satisfaction")),
        postponed_then_withdrawn=marks.postponed_then_withdrawn,
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


def register_marks(rows: Sequence[RegisterRow], *, seed: int, scale: int = 1) -> dict[tuple[str, int], Marks]:
    """The marks known before planning, per (certificate number, copy): uitstel werd afstel, large."""
    found: dict[tuple[str, int], Marks] = {}
    for index in range(scale):
        copy = [(row, index) for row in rows]
        withdrawn = [c for c in copy if c[0].withdrawn and c[0].association is Association.CULTUURCONNECTIE]
        for row, _ in _sample(seed, f"afstel-{index}", withdrawn, AFSTEL):
            found[(row.certificate_number, index)] = Marks(postponed_then_withdrawn=True)
        for association, count in LARGE.items():
            taking_part = [c for c in copy if c[0].association is association and not c[0].withdrawn]
            for row, _ in _sample(seed, f"large-{association.value}-{index}", taking_part, count):
                found[(row.certificate_number, index)] = Marks(large=True)
    return found


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
    marks = register_marks(rows, seed=seed, scale=scale)

    def plan(row: RegisterRow, index: int, mark: Marks) -> Scenario:
        tid = trajectory_id_for(row.certificate_number, index)
        return plan_trajectory(
            row, seed=seed, scale_index=index, satisfaction=answers.get(tid), rules=rules, marks=mark
        )

    scenarios = [plan(row, index, marks.get((row.certificate_number, index), Marks())) for row, index in copies]
    # CBCT: in six cases the library's reading-promotion base was not in order. Which libraries have the
    # module is known only once their intake is drawn, so six of them (per copy) are drawn again with the
    # mark: it changes their module scores only, not one draw of their timelines.
    for index in range(scale):
        libraries = [(s.row, index) for s in scenarios if s.scale_index == index and _library_with_module(s)]
        for row, _ in _sample(seed, f"reading-base-{index}", libraries, READING_BASE_NOT_IN_ORDER):
            at = copies.index((row, index))
            mark = replace(marks.get((row.certificate_number, index), Marks()), reading_base_in_order=False)
            scenarios[at] = plan(row, index, mark)
    return scenarios


def plan_copies(rows: Sequence[RegisterRow], *, seed: int, scale: int = 1) -> Iterator[Scenario]:
    """``plan_register`` one scenario at a time: copy 0 of every row first, then copy 1, …"""
    yield from plan_register(rows, seed=seed, scale=scale)


def _sample(seed: int, purpose: str, items: list[tuple[RegisterRow, int]], count: int) -> list[tuple[RegisterRow, int]]:
    """A seeded choice of ``count`` items, the same for the same seed and register."""
    ordered = sorted(items, key=lambda item: (item[1], item[0].certificate_number))
    return random.Random(f"{seed}|{purpose}").sample(ordered, min(count, len(ordered)))


def _library_with_module(scenario: Scenario) -> bool:
    """Certified at once with module 1 scored: its reading-promotion base can be out of order while it passes."""
    row = scenario.row
    if row.withdrawn or row.result is not Result.CERTIFIED or row.remark is not None:
        return False
    return any(
        isinstance(step.command, RecordAuditScores) and MODULE_1 in step.command.scores for step in scenario.steps
    )
