"""The period report from the read model, fed by real commands through the event store and projections."""

from __future__ import annotations

from datetime import date

import pytest

from application.reports import period_report
from projections.overview import get_trajectory
from tests.projections.world import World, certified, certified_after_heraudit, withdrawn

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_period_report_from_events(world: World) -> None:
    """Certified, certified after heraudit, withdrawn and a Cultuurconnectie + VOB trajectory add up."""
    await certified(world)  # VOB, all Volledig, survey 'tevreden'
    await certified_after_heraudit(world)  # VOB, norm 6 at 1.25 in the regular audit, survey 'matig'
    await withdrawn(world)  # Cultuurconnectie, Geen deelname
    await certified(world, "kib-2001", "2001", "Bibliotheek Samen", association="Cultuurconnectie + VOB")
    await world.catch_up()

    r = await period_report(world.pool, date(2018, 1, 1), date(2023, 2, 21))
    d = r.as_dict()
    assert (d["trajectories"], d["certified_at_once"], d["not_or_conditionally_certified"]) == (4, 2, 1)
    assert (d["certified_after_heraudit"], d["remaining_not_or_conditional"], d["no_participation"]) == (1, 0, 1)
    assert d["participation"] == {
        "VOB": {"members": 2, "participated": 2},
        "Cultuurconnectie": {"members": 1, "participated": 0},
        "Cultuurconnectie + VOB": {"members": 1, "participated": 1},
    }
    # Norm 6: (3 + 1.25 + 3) / 3 = 2.4167 of 3 → 80.6 %; the heraudit does not change the regular audit's score.
    assert d["average_score_per_norm"] == {
        "1": 100.0,
        "2": 100.0,
        "3": 100.0,
        "4": 100.0,
        "5": 100.0,
        "6": 80.6,
        "7": 100.0,
    }
    assert d["average_score_per_norm_by_association"]["VOB"]["6"] == 70.8
    assert d["average_score_per_norm_by_association"]["Cultuurconnectie + VOB"]["6"] == 100.0
    assert d["average_score_per_norm_by_association"]["Cultuurconnectie"]["6"] is None
    category = (await get_trajectory(world.pool, "kib-1036")).category  # type: ignore[union-attr]
    assert category is not None and d["average_score_per_norm_by_category"][category]["6"] == 80.6
    assert (d["module_1"]["in_scope"], d["module_1"]["scored"], d["module_1"]["average_score"]) == (3, 3, 100.0)
    assert d["survey_answers"] == 3
    assert d["satisfaction"] == {
        "zeer tevreden": 0.0,
        "tevreden": 66.7,
        "matig": 33.3,
        "ontevreden": 0.0,
        "zeer ontevreden": 0.0,
    }

    later = await period_report(world.pool, date(2019, 1, 1), date(2023, 2, 21))
    assert later.trajectories == 0 and later.average_score_per_norm["1"] is None
