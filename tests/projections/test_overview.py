"""The trajectory overview and timeline, from real commands."""

from __future__ import annotations

from datetime import date

import pytest

from projections.overview import get_trajectory, list_trajectories
from projections.timeline import get_timeline
from tests.projections.world import World, certified, opened_2019

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_overview_shows_a_certified_trajectory_with_what_the_report_needs(world: World) -> None:
    """A closed, certified trajectory shows phase, audit, auditors, category, verdict and gecertificeerd tot."""
    await certified(world)
    await world.catch_up()
    t = await get_trajectory(world.pool, "kib-1036")
    assert t is not None
    assert (t.organisation, t.certificate_number, t.association, t.framework_version) == (
        "Bibliotheek Helmond-Peel",
        "1036",
        "VOB",
        "kib-2018",
    )
    assert (t.phase, t.is_open, t.verdict, t.result, t.remark) == (
        "afgesloten",
        False,
        "Gecertificeerd",
        "Gecertificeerd",
        None,
    )
    assert t.audit_dates == (date(2019, 2, 12),) and t.auditors == ("Ellen Expert", "Peer Bakker")
    assert t.audit_quarter == "2019-K1" and t.category is not None and t.modules == ("M1",)
    assert t.certified_until == date(2023, 3, 31) and t.certificate_status == "gecertificeerd tot"
    assert t.survey_answer == "tevreden"
    assert t.audit_norm_scores is not None and set(t.audit_norm_scores) == {"1", "2", "3", "4", "5", "6", "7", "M1"}
    assert t.norm_scores == t.audit_norm_scores
    assert t.next_deadline_kind is None
    assert await get_trajectory(world.pool, "nope") is None


async def test_timeline_has_one_dutch_line_per_event(world: World) -> None:
    """Every stored event appears once, in stream order, with a Dutch summary, its actor and times."""
    await certified(world)
    await world.catch_up()
    timeline = await get_timeline(world.pool, "kib-1036")
    stored = await world.service.history("kib-1036")
    assert [(e.stream_version, e.event_type) for e in timeline] == [(e.stream_version, e.event_type) for e in stored]
    lines = [e.summary for e in timeline]
    assert "Audit gepland op 12-02-2019 (auditoren: Ellen Expert, Peer Bakker)" in lines
    assert "Certificaat 1036 uitgereikt: gecertificeerd tot 31-03-2023" in lines
    assert "Aankondiging verstuurd (automatisch): audit in 2019-K1; intake uiterlijk 15-10-2018" in lines
    assert lines[-1] == "Traject afgesloten: Gecertificeerd"
    assert {e.actor for e in timeline} == {"planner", "dispatcher"}


async def test_list_filters_by_phase_and_part_of_the_name(world: World) -> None:
    """list_trajectories filters on the Dutch phase and a case-insensitive part of the organisation name."""
    await certified(world)
    await opened_2019(world, "kib-1011", "1011", "Stichting Heuvellandbibliotheken")
    await world.catch_up()
    assert [t.trajectory_id for t in await list_trajectories(world.pool)] == ["kib-1036", "kib-1011"]
    assert [t.trajectory_id for t in await list_trajectories(world.pool, phase="planning")] == ["kib-1011"]
    assert [t.trajectory_id for t in await list_trajectories(world.pool, organisation_like="HELMOND")] == ["kib-1036"]
    assert await list_trajectories(world.pool, organisation_like="100%") == []
    assert [t.trajectory_id for t in await list_trajectories(world.pool, open_only=True)] == ["kib-1011"]
    assert len(await list_trajectories(world.pool, limit=1)) == 1
