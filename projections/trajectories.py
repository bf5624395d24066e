"""The trajectory read models, kept in one pass: fold each batch once, then update every table from it.

Snapshot (`trajectory_states`), overview (`trajectories`), `timeline`, `deadlines`, `register` and
`postponement_requests` all derive from the same folded state, so one projection maintains them in the
runner's transaction: a handful of statements per batch, whatever its size, and never a stream re-read.
A rebuild of "trajectories" rebuilds them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from application.event_store import RecordedEvent
from domain import deadlines
from frameworks.loader import load_rules
from projections import bulk, overview, postponements, register, timeline
from projections import deadlines as deadline_model
from projections.trajectory_state import TABLE as SNAPSHOTS
from projections.trajectory_state import Snapshots


class TrajectoriesProjection:
    """Folds trajectory events into the snapshot and every read model derived from it."""

    name: ClassVar[str] = "trajectories"
    categories: ClassVar[Sequence[str] | None] = ["trajectory"]
    event_types: ClassVar[Sequence[str] | None] = None
    tables: ClassVar[Sequence[str]] = [
        SNAPSHOTS,
        overview.TABLE,
        timeline.TABLE,
        deadline_model.TABLE,
        register.TABLE,
        postponements.TABLE,
    ]

    def __init__(self) -> None:
        self._snapshots = Snapshots()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        await bulk.without_waiting_for_disk(conn)
        folded = await self._snapshots.fold(conn, events)
        if not folded:
            return
        states = {f.trajectory_id: f.state for f in folded}
        pending = {tid: deadlines(s, load_rules(s.framework_version)) for tid, s in states.items()}
        await overview.write(conn, folded, pending)
        await timeline.write(conn, folded)
        await deadline_model.write(conn, states, pending)
        await register.write(conn, folded)
        await postponements.write(conn, folded)
