"""Stuck trajectories: overdue beyond a grace period with no progress since."""

from __future__ import annotations

from datetime import date

import pytest

from domain import OpenTrajectory, RecordIntake, SendAnnouncement
from projections.stuck import stuck_trajectories
from tests.projections.world import World
from tests.unit.driver import at, intake_fields

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _announced(world: World, trajectory_id: str, number: str, organisation: str, on: str) -> None:
    await world.do(
        OpenTrajectory,
        on,
        trajectory_id,
        organisation=organisation,
        certificate_number=number,
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
    )
    await world.do(SendAnnouncement, on, trajectory_id)


async def test_stuck_after_the_grace_period_whether_the_deadline_fired_or_not(world: World) -> None:
    """A missed intake is stuck only after the grace period; the DeadlineMissed itself is no progress."""
    await _announced(world, "a", "1002", "Bibliotheek Hengelo", "2025-11-04")
    assert await world.fire_due("2025-11-20") == ["a:intake:2025-11-18:0"]
    await _announced(world, "b", "1011", "Bibliotheek Borne", "2025-11-05")  # its intake deadline never fires
    await _announced(world, "c", "1014", "Bibliotheek Delden", "2025-11-05")
    await world.do(RecordIntake, "2025-11-10", "c", **intake_fields())  # c is on schedule
    await world.catch_up()
    assert await stuck_trajectories(world.pool, at("2025-11-22"), grace_days=7) == []
    a, b = await stuck_trajectories(world.pool, at("2025-11-28"), grace_days=7)
    assert (a.trajectory_id, a.kind, a.label, a.party, a.due_on, a.fired, a.days_overdue) == (
        "a",
        "intake",
        "intake",
        "auditee",
        date(2025, 11, 18),
        True,
        9,
    )
    assert (a.organisation, a.phase) == ("Bibliotheek Hengelo", "aangekondigd")
    assert a.last_event_at == at("2025-11-20") and a.last_progress_at == at("2025-11-04")
    assert (b.trajectory_id, b.fired, b.days_overdue) == ("b", False, 8)
    assert [s.trajectory_id for s in await stuck_trajectories(world.pool, at("2025-11-28"), grace_days=30)] == []
    await world.do(RecordIntake, "2025-11-28", "a", **intake_fields())
    await world.catch_up()
    assert [s.trajectory_id for s in await stuck_trajectories(world.pool, at("2025-11-28"), grace_days=7)] == ["b"]
