"""A read model's columns are declared once (its row TypedDict): the migrated table and the writes agree with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from projections import bulk, deadlines, overview, register, timeline
from tests.projections.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")

DECLARED: list[tuple[str, type[Any]]] = [
    (deadlines.TABLE, deadlines.DeadlineRow),
    (overview.TABLE, overview.OverviewRow),
    (register.TABLE, register.RegisterTableRow),
    (timeline.TABLE, timeline.TimelineRow),
]


async def test_each_declared_row_names_exactly_the_migrated_columns(world: World) -> None:
    for table, row in DECLARED:
        names = await world.pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            table,
        )
        assert sorted(bulk.columns(row)) == sorted(r["column_name"] for r in names), table


async def test_a_row_missing_a_declared_column_is_refused_naming_it(world: World) -> None:
    row = {"trajectory_id": "t-1", "stream_version": 1, "event_type": "TrajectoryOpened", "summary": "x"}
    async with world.pool.acquire() as conn:
        with pytest.raises(ValueError, match=r"missing \['actor', 'occurred_at', 'recorded_at'\], extra \[\]"):
            await bulk.insert(conn, timeline.TABLE, timeline.TimelineRow, [row])


async def test_a_column_the_row_does_not_declare_keeps_its_default(world: World) -> None:
    """A later migration's column with a default needs no change to the writes: it is not listed in the insert."""
    moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
    entry = timeline.TimelineRow(
        trajectory_id="t-1",
        stream_version=1,
        event_type="TrajectoryOpened",
        occurred_at=moment,
        recorded_at=moment,
        actor=None,
        summary="Traject geopend",
    )
    async with world.pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("ALTER TABLE timeline ADD COLUMN later text NOT NULL DEFAULT 'standaard'")
            await bulk.insert(conn, timeline.TABLE, timeline.TimelineRow, [entry])
            assert await conn.fetchval("SELECT later FROM timeline WHERE trajectory_id = 't-1'") == "standaard"
        finally:
            await transaction.rollback()  # the table stays as migrated
