"""When a trajectory is done: withdrawn, or its outcome final with survey and objection settled.

Both ``decide`` and ``on_deadline`` pass their events through ``with_closing``, so the event that
finishes a trajectory is always followed by TrajectoryClosed in the same batch.
"""

from __future__ import annotations

from domain.events import Event, TrajectoryClosed
from domain.evolve import evolve
from domain.guards import Context
from domain.register import register_entry
from domain.state import TrajectoryState
from domain.vocabulary import ObjectionStatus, SurveyStatus


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
