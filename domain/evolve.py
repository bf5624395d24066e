"""Fold events into state: ``evolve(state, event)`` and ``replay(events)``. Pure, rules-free.

Every event already carries the outcomes ``decide`` computed, so folding never consults rules and
replaying an old stream under newer rule files yields the same state. Each event's step is declared by
its concept (``domain.concept``); the helpers here are what those steps share.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from domain import events as ev
from domain.errors import InvalidCommand
from domain.state import AuditRound, PreviousCertificate, TrajectoryState
from domain.vocabulary import Phase


def opened_state(event: ev.TrajectoryOpened) -> TrajectoryState:
    """The state a stream starts with."""
    previous = event.previous_certificate_expiry
    return TrajectoryState(
        trajectory_id=event.trajectory_id,
        organisation=event.organisation,
        certificate_number=event.certificate_number,
        association=event.association,
        organisation_type=event.organisation_type,
        framework_version=event.framework_version,
        opened_on=event.opened_on,
        version=0,
        phase=Phase.OPENED,
        phase_since=event.opened_on,
        audit_quarter=event.audit_quarter,
        announcement_due_on=event.announcement_due_on,
        previous_certificate=PreviousCertificate(expiry=previous, valid_until=previous) if previous else None,
        previous_auditors=frozenset(event.previous_auditors),
    )


def evolve(state: TrajectoryState | None, event: ev.Event) -> TrajectoryState:
    """The state after ``event``. A stream must start with TrajectoryOpened."""
    # The registry imports every concept, and some concepts fold events themselves (closing): import late.
    from domain.registry import EVOLVE_STEPS

    if isinstance(event, ev.TrajectoryOpened):
        if state is not None:
            raise InvalidCommand("traject is al geopend", rule="state.already_opened")
        new = opened_state(event)
    else:
        if state is None:
            raise InvalidCommand(f"gebeurtenis {type(event).__name__} vóór TrajectoryOpened", rule="state.not_opened")
        new = EVOLVE_STEPS[type(event)](state, event)
    return new.model_copy(update={"version": new.version + 1})


def replay(events: Iterable[ev.Event]) -> TrajectoryState | None:
    """Fold a whole stream; None for an empty stream."""
    state: TrajectoryState | None = None
    for event in events:
        state = evolve(state, event)
    return state


def changed(state: TrajectoryState, **changes: Any) -> TrajectoryState:
    """The state with some fields replaced (an evolve step's usual answer)."""
    return state.model_copy(update=changes)


def round_with(state: TrajectoryState, **changes: Any) -> AuditRound:
    """The current round with some fields replaced."""
    return state.round.model_copy(update=changes)


def unschedule(state: TrajectoryState, on: date) -> TrajectoryState:
    """Back to planning: the audit dates and auditors are gone (a postponement or a cancellation)."""
    round_ = round_with(state, audit_dates=(), expert_auditor=None, peer_auditor=None, scheduled_on=None)
    return changed(state, phase=Phase.PLANNING, phase_since=on, round=round_)
