"""Trajectory snapshots: the folded `TrajectoryState` per trajectory, kept in `trajectory_states`.

`Snapshots.fold(conn, events)` loads the stored snapshot of every trajectory in a batch (one query),
folds the batch's events onto it with `domain.evolve`, saves the results (one statement) and returns
them, so the read models derived from the state never re-read a stream. Snapshots are JSON of
`TrajectoryState` (compare them as models: frozensets have no fixed JSON order).

A small in-process cache keyed on (trajectory, stream version) skips parsing a snapshot that this
process wrote last: a state is a pure function of its stream up to that version, so a cached state
with the stored version is the stored state, whichever runner wrote it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from application.event_store import RecordedEvent, read_as
from application.trajectories import STREAM_PREFIX, trajectory_id_of
from domain import EVENT_TYPES, Event, TrajectoryState, event_from_dict, evolve
from infrastructure.logging import get_logger

log = get_logger(__name__)

TABLE = "trajectory_states"


class SnapshotMismatch(RuntimeError):
    """A batch does not continue the stored snapshot (a gap in a stream): the batch is rolled back."""


@dataclass
class Folded:
    """One trajectory after a batch: its new state and the batch's events for it, in stream order."""

    trajectory_id: str
    state: TrajectoryState
    steps: list[tuple[RecordedEvent, Event]] = field(default_factory=list)

    @property
    def last(self) -> RecordedEvent:
        return self.steps[-1][0]


def decode(event: RecordedEvent) -> Event | None:
    """The domain event of a trajectory record, or None for a type the domain does not know.

    A payload the domain cannot read raises UndecodableEvent naming the event: the projection stops
    at it (projections/runner.py) until it is corrected (docs/repairing-events.md).
    """
    if event.event_type not in EVENT_TYPES:
        return None
    return read_as(event, lambda e: event_from_dict(e.event_type, e.data))


def trajectory_events(events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
    """The batch's events that belong to trajectory streams."""
    return [e for e in events if e.stream_id.startswith(STREAM_PREFIX)]


class Snapshots:
    """Loads, folds and saves trajectory snapshots for a projection's batches."""

    def __init__(self, cache_size: int = 2_000) -> None:
        self._cache: OrderedDict[str, tuple[int, TrajectoryState]] = OrderedDict()
        self._cache_size = cache_size

    async def fold(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> list[Folded]:
        """Fold a batch onto the stored snapshots and save them; one `Folded` per trajectory touched."""
        ordered: dict[str, list[RecordedEvent]] = {}
        for event in trajectory_events(events):
            ordered.setdefault(trajectory_id_of(event.stream_id), []).append(event)
        if not ordered:
            return []
        stored = await self._load(conn, list(ordered))
        result: list[Folded] = []
        for trajectory_id, records in ordered.items():
            version, state = stored.get(trajectory_id, (0, None))
            steps: list[tuple[RecordedEvent, Event]] = []
            for record in records:
                if record.stream_version != version + 1:
                    raise SnapshotMismatch(
                        f"{record.stream_id}: event version {record.stream_version} does not follow "
                        f"snapshot version {version}"
                    )
                version = record.stream_version
                domain_event = decode(record)
                if domain_event is None:
                    log.warning("projection_unknown_event", stream_id=record.stream_id, event_type=record.event_type)
                    continue
                state = evolve(state, domain_event)
                steps.append((record, domain_event))
            if state is None:  # only unknown events so far
                continue
            self._remember(trajectory_id, version, state)
            result.append(Folded(trajectory_id, state, steps))
            stored[trajectory_id] = (version, state)
        await conn.execute(
            f"""INSERT INTO {TABLE} (trajectory_id, state, version, framework_version, updated_at)
                SELECT t, s::jsonb, v, f, u
                FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[]) AS x(t, s, v, f, u)
                ON CONFLICT (trajectory_id) DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version,
                    updated_at = EXCLUDED.updated_at""",
            [f.trajectory_id for f in result],
            [f.state.model_dump_json() for f in result],
            [stored[f.trajectory_id][0] for f in result],
            [f.state.framework_version for f in result],
            [ordered[f.trajectory_id][-1].recorded_at for f in result],
        )
        return [f for f in result if f.steps]

    async def _load(self, conn: asyncpg.Connection, ids: list[str]) -> dict[str, tuple[int, TrajectoryState | None]]:
        rows = await conn.fetch(
            f"SELECT trajectory_id, version, state FROM {TABLE} WHERE trajectory_id = ANY($1::text[])", ids
        )
        found: dict[str, tuple[int, TrajectoryState | None]] = {}
        for row in rows:
            trajectory_id, version = row["trajectory_id"], int(row["version"])
            cached = self._cache.get(trajectory_id)
            if cached is not None and cached[0] == version:
                found[trajectory_id] = cached
            else:
                found[trajectory_id] = (version, TrajectoryState.model_validate_json(row["state"]))
        return found

    def _remember(self, trajectory_id: str, version: int, state: TrajectoryState) -> None:
        self._cache[trajectory_id] = (version, state)
        self._cache.move_to_end(trajectory_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


async def load_state(conn: asyncpg.Connection | asyncpg.Pool, trajectory_id: str) -> TrajectoryState | None:
    """The projected state of one trajectory (as far as the projection has got)."""
    text = await conn.fetchval(f"SELECT state FROM {TABLE} WHERE trajectory_id = $1", trajectory_id)
    return None if text is None else TrajectoryState.model_validate_json(text)
