"""When a trajectory is done: withdrawn, or its outcome final with survey and objection settled.

Both ``decide`` and ``on_deadline`` pass their events through ``with_closing``, so the event that
finishes a trajectory is always followed by TrajectoryClosed in the same batch.
"""

from __future__ import annotations

from domain import events as ev
from domain.concept import Concept, EventPart
from domain.events import Event, TrajectoryClosed
from domain.evolve import changed, evolve
from domain.guards import Context
from domain.register import register_entry
from domain.state import (
    TrajectoryState,
)
from domain.vocabulary import ObjectionStatus, Phase, SurveyStatus


def is_done(state: TrajectoryState) -> bool:
    """Nothing is left to happen in this trajectory."""
    if state.withdrawn:
        return True
    final = state.certificate is not None or state.heraudit_lapsed
    return (
        final and state.survey.status is not SurveyStatus.SENT and state.objection.status is not ObjectionStatus.PENDING
    )


def with_closing(state: TrajectoryState | None, events: list[Event], ctx: Context) -> list[Event]:
    """``events``, plus TrajectoryClosed when they finish the trajectory."""
    if not events:
        return events
    after = state
    for event in events:
        after = evolve(after, event)
    if after is None or not after.is_open or not is_done(after):
        return events
    entry = register_entry(after)
    closed = TrajectoryClosed(**ctx.stamp(after), closed_on=ctx.today, result=entry.result, remark=entry.remark)
    return [*events, closed]


# --- what this concept declares: its commands' CLI steps, its events' evolve steps and summaries ---


def _evolve_trajectory_closed(s: TrajectoryState, e: ev.TrajectoryClosed) -> TrajectoryState:
    return changed(s, phase=Phase.CLOSED, phase_since=e.closed_on)


def _summary_trajectory_closed(e: ev.TrajectoryClosed) -> str:
    outcome = ": " + " – ".join(v.value for v in (e.result, e.remark) if v is not None) if e.result else ""
    return f"Traject afgesloten{outcome}"


CONCEPT = Concept(
    name="closing",
    events=(EventPart(ev.TrajectoryClosed, _evolve_trajectory_closed, _summary_trajectory_closed),),
)
