"""Pending uitstel requests for planners, and their explained answers."""

from __future__ import annotations

from datetime import date

import pytest

from domain import DecidePostponement, OpenTrajectory, RecordIntake, RequestPostponement, SendAnnouncement
from projections.messages import list_messages
from projections.postponements import list_postponements, pending_postponements
from tests.projections.world import World
from tests.unit.driver import intake_fields

pytestmark = pytest.mark.asyncio(loop_scope="session")

T = "kib2-1002"


async def _planning(world: World) -> None:
    await world.do(
        OpenTrajectory,
        "2025-11-03",
        T,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
    )
    await world.do(SendAnnouncement, "2025-11-04", T)
    await world.do(RecordIntake, "2025-11-10", T, **intake_fields())


async def test_a_request_is_pending_until_a_planner_answers_it(world: World) -> None:
    """A request lists as pending with its decide-by date; a rejection and a grant record status and reason."""
    await _planning(world)
    await world.do(RequestPostponement, "2026-01-05", T, ground="verhuizing of nieuwbouw", reason="nieuwbouw centrale")
    await world.catch_up()
    [pending] = await pending_postponements(world.pool)
    assert (pending.trajectory_id, pending.request_number, pending.organisation, pending.ground, pending.reason) == (
        T,
        1,
        "Bibliotheek Hengelo",
        "verhuizing of nieuwbouw",
        "nieuwbouw centrale",
    )
    assert (pending.requested_on, pending.decide_by, pending.status, pending.audit_quarter) == (
        date(2026, 1, 5),
        date(2026, 1, 19),
        "pending",
        "2026-K2",
    )
    assert pending.command_id == f"{T}/c4"
    await world.do(DecidePostponement, "2026-01-07", T, grant=False, reason="de verhuizing is pas in 2027")
    await world.do(
        RequestPostponement,
        "2026-01-08",
        T,
        ground="fusie",
        reason="fusie met Borne",
        ground_effective_on=date(2026, 5, 1),
    )
    await world.catch_up()
    assert [p.request_number for p in await pending_postponements(world.pool)] == [2]
    await world.do(
        DecidePostponement, "2026-01-09", T, grant=True, reason="fusie gaat in per 1 mei", new_quarter="2026-K4"
    )
    await world.catch_up()
    assert await pending_postponements(world.pool) == []
    first, second = await list_postponements(world.pool, T)
    assert (first.status, first.decided_on, first.decided_reason, first.decided_by) == (
        "rejected",
        date(2026, 1, 7),
        "de verhuizing is pas in 2027",
        "planner",
    )
    assert (second.status, second.decided_reason, second.new_quarter) == (
        "granted",
        "fusie gaat in per 1 mei",
        "2026-K4",
    )
    bodies = {m.kind: m.body for m in await list_messages(world.pool, T)}
    assert "de verhuizing is pas in 2027" in bodies["postponement_rejected"]
    assert "fusie gaat in per 1 mei" in bodies["postponement_granted"]
    assert "2026-K4" in bodies["postponement_granted"]
