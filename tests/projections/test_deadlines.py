"""The deadlines read model: what the dispatcher fires and what planners see due and overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import OpenTrajectory, RecordIntake, ScheduleAudit, SendAnnouncement
from domain.self_evaluation import ExtendSelfEvaluation
from projections.deadlines import DueDeadline, due_deadlines, list_deadlines, next_due_at
from tests.projections.world import World
from tests.unit.driver import at, intake_fields

pytestmark = pytest.mark.asyncio(loop_scope="session")

T = "kib2-1002"


async def _open(world: World) -> None:
    await world.do(
        OpenTrajectory,
        "2025-11-03",
        T,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
        contact_email="info@bibliotheekhengelo.example",
    )
    await world.catch_up()


async def _kinds(world: World) -> dict[str, bool]:
    return {d.kind: d.fired for d in await list_deadlines(world.pool, at("2025-11-03"), trajectory_id=T)}


async def test_deadlines_appear_and_disappear_as_steps_are_done(world: World) -> None:
    """Opening lists the announcement; announcing replaces it by the intake; the intake replaces that by planning."""
    await _open(world)
    assert await _kinds(world) == {
        "announcement": False,
        "certificate_expiry_reminder": False,
        "certificate_expiry": False,
    }
    [announcement] = [d for d in await list_deadlines(world.pool, at("2025-11-03")) if d.kind == "announcement"]
    assert (announcement.label, announcement.due_on, announcement.party) == ("aankondiging", date(2025, 12, 30), "cbct")
    assert announcement.organisation == "Bibliotheek Hengelo"
    await world.do(SendAnnouncement, "2025-11-04", T)
    await world.catch_up()
    assert "announcement" not in await _kinds(world) and (await _kinds(world))["intake"] is False
    await world.do(RecordIntake, "2025-11-10", T, **intake_fields())
    await world.catch_up()
    assert "intake" not in await _kinds(world) and (await _kinds(world))["planning"] is False


async def test_a_missed_hard_deadline_stays_listed_as_fired_until_the_step_is_done(world: World) -> None:
    """A fired intake deadline (DeadlineMissed) stays listed, overdue and fired, until the intake comes in."""
    await _open(world)
    await world.do(SendAnnouncement, "2025-11-04", T)
    fired = await world.fire_due("2025-11-20")
    assert fired == [f"{T}:intake:2025-11-18:0"]
    assert (await _kinds(world))["intake"] is True
    assert all(d.deadline_id != fired[0] for d in await due_deadlines(world.pool, at("2025-11-20")))
    [overdue] = await list_deadlines(world.pool, at("2025-11-20"), status="overdue")
    assert (overdue.deadline_id, overdue.fired, overdue.status, overdue.days_overdue) == (fired[0], True, "overdue", 1)
    await world.do(RecordIntake, "2025-11-21", T, **intake_fields())
    await world.catch_up()
    assert "intake" not in await _kinds(world)
    assert await list_deadlines(world.pool, at("2025-11-21"), status="overdue") == []


async def test_due_queries_return_unfired_deadlines_in_order(world: World) -> None:
    """due_deadlines lists unfired deadlines due at now, earliest first; next_due_at gives the next moment."""
    await _open(world)
    assert await due_deadlines(world.pool, at("2025-11-04")) == []
    first = await next_due_at(world.pool)
    # the first expiry reminder (6 months before 30-06-2026) at 09:00 Amsterdam on 30-12-2025, as the announcement
    assert first == datetime(2025, 12, 30, 8, 0, tzinfo=UTC)
    due = await due_deadlines(world.pool, first)
    assert due == [
        DueDeadline(f"{T}:announcement:2025-12-30:0", T, "announcement", first),
        DueDeadline(f"{T}:certificate_expiry_reminder:2025-12-30:0", T, "certificate_expiry_reminder", first),
    ]
    assert await due_deadlines(world.pool, first, limit=1) == due[:1]
    later = await next_due_at(world.pool, after_excluding=[d.deadline_id for d in due])
    assert later is not None and later > first
    await world.fire_due(first)  # the announcement went out: the intake term (14 days) is next
    assert await next_due_at(world.pool) == datetime(2026, 1, 13, 23, 0, tzinfo=UTC) < later


async def test_statuses_split_pending_due_today_and_overdue(world: World) -> None:
    """pending: after today; due: still to fall due today; overdue: its moment passed (fired or not)."""
    await _open(world)
    await world.do(SendAnnouncement, "2025-11-04", T)
    await world.catch_up()
    intake_due = at("2025-11-18")
    statuses = {
        when: {d.kind: d.status for d in await list_deadlines(world.pool, when)}
        for when in (at("2025-11-17"), intake_due, intake_due + timedelta(days=1))
    }
    assert statuses[at("2025-11-17")]["intake"] == "pending"
    assert statuses[intake_due]["intake"] == "due"
    assert statuses[intake_due + timedelta(days=1)]["intake"] == "overdue"
    pending = await list_deadlines(world.pool, intake_due, status="pending")
    assert pending and all(d.status == "pending" for d in pending)
    assert [d.kind for d in await list_deadlines(world.pool, intake_due, status="due")] == ["intake"]
    assert await list_deadlines(world.pool, intake_due, status="overdue") == []


async def test_an_extended_self_evaluation_deadline_is_listed_as_verlengd(world: World) -> None:
    """cbct deadlines lists the moved self-evaluation deadline at its new date, labelled 'zelfevaluatie (verlengd)'."""
    await _open(world)
    await world.do(SendAnnouncement, "2025-11-04", T)
    await world.do(RecordIntake, "2025-11-10", T, **intake_fields())
    await world.do(
        ScheduleAudit, "2026-03-20", T, audit_dates=[date(2026, 5, 4)], expert_auditor="Ellen", peer_auditor="Peer"
    )
    await world.do(ExtendSelfEvaluation, "2026-03-21", T, days=10)
    await world.catch_up()
    listed = [d for d in await list_deadlines(world.pool, at("2026-03-21")) if d.kind == "self_evaluation"]
    assert [(d.label, d.due_on) for d in listed] == [("zelfevaluatie (verlengd)", date(2026, 4, 2))]
