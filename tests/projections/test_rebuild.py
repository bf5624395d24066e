"""Rebuilding gives the same read models as following along, whatever the batch size."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import pytest

from application.access import Principal, Role
from application.event_store import ExpectedVersion, NewEvent
from application.feed_subscriptions import create_feed, revoke_feed
from domain import (
    DecidePostponement,
    OpenTrajectory,
    RecordIntake,
    RequestPostponement,
    SendAnnouncement,
    TrajectoryState,
)
from projections.messages import message_stream, pending_messages
from projections.registry import all_projections
from tests.accounts.history import account_history
from tests.projections.world import World, certified, certified_after_heraudit, make_world, withdrawn
from tests.unit.driver import at, intake_fields

pytestmark = pytest.mark.asyncio(loop_scope="session")

TABLES = [table for projection in all_projections() for table in projection.tables]


async def _dump(pool: asyncpg.Pool) -> dict[str, list[Any]]:
    """Every read-model table, rows sorted; snapshots compared as models (frozensets have no JSON order)."""
    dump: dict[str, list[Any]] = {}
    for table in TABLES:
        rows = [dict(r) for r in await pool.fetch(f"SELECT * FROM {table}")]
        if table == "trajectory_states":
            for row in rows:
                row["state"] = TrajectoryState.model_validate_json(row["state"])
        dump[table] = sorted(rows, key=repr)
    return dump


async def _history(world: World) -> None:
    """A mix of outcomes, postponements, a missed deadline and a delivery, caught up at odd moments."""
    await certified(world)
    await world.catch_up()
    await certified_after_heraudit(world)
    await withdrawn(world)
    t = "kib2-1002"
    await world.do(
        OpenTrajectory,
        "2025-11-03",
        t,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
    )
    await world.do(SendAnnouncement, "2025-11-04", t)
    await world.fire_due("2025-11-20")
    await world.do(RecordIntake, "2025-11-21", t, **intake_fields())
    await world.do(RequestPostponement, "2026-01-05", t, ground="verhuizing of nieuwbouw", reason="nieuwbouw")
    await world.do(DecidePostponement, "2026-01-07", t, grant=True, reason="akkoord", new_quarter="2026-K3")
    await world.catch_up()
    message = (await pending_messages(world.pool, limit=1))[0]
    await world.store.append(
        message_stream(message.message_id),
        [
            NewEvent(
                "MessageDelivered",
                {"message_id": message.message_id, "delivered_at": "2026-01-07T10:00:00+00:00", "transport": "smtp"},
            )
        ],
        ExpectedVersion.NO_STREAM,
    )
    await account_history(world.pool, world.store)
    # A calendar feed made and another revoked (issue 22): the feed tokens' read model.
    planner = Principal("pia", "Pia Planner", Role.PLANNER)
    await create_feed(world.store, planner, at("2026-01-07"))
    revoked = await create_feed(world.store, planner, at("2026-01-07"))
    await revoke_feed(world.store, revoked.feed_id, planner, at("2026-01-08"))
    await world.catch_up()


async def test_rebuild_equals_incremental_for_every_projection(world: World) -> None:
    """rebuild(name) of each projection reproduces exactly the tables the incremental run built."""
    await _history(world)
    incremental = await _dump(world.pool)
    assert all(incremental[table] for table in TABLES), [t for t in TABLES if not incremental[t]]
    for name in world.runner.names:
        assert await world.runner.rebuild(name) > 0
    assert await _dump(world.pool) == incremental


@pytest.mark.parametrize("batch_size", [1, 7, 5000])
async def test_batch_size_does_not_change_the_result(world: World, batch_size: int) -> None:
    """Replaying in batches of 1, 7 or everything at once gives the same tables as the incremental run."""
    await _history(world)
    incremental = await _dump(world.pool)
    other = make_world(world.pool, batch_size=batch_size)  # a fresh process: empty snapshot caches
    for name in other.runner.names:
        await other.runner.rebuild(name)
    assert await _dump(world.pool) == incremental
