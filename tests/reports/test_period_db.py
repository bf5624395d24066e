"""The period report from the event store as of a peildatum, fed by real commands through Postgres."""

from __future__ import annotations

from datetime import date

import pytest

from application.reports import period_report
from application.reports.as_of import facts_as_of, register_as_of
from domain import DecideCertification, RecordSurveyAnswer, RequestHeraudit
from tests.projections.world import KIB2018, B, G, World, certified, opened_2019, run_audit, withdrawn
from tests.unit.driver import scores

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_report_as_of_a_peildatum_ignores_later_events(world: World) -> None:
    """The same command at a peildatum prints the same report after later events were recorded."""
    await withdrawn(world)  # Cultuurconnectie: Geen deelname on 01-12-2018
    await opened_2019(world, "kib-1040", "1040", "Bibliotheek Eindhoven")
    scope = (await world.state("kib-1040")).round.scope
    await run_audit(world, "kib-1040", "2019-02-12", scores(scope, KIB2018, n6=[B, B, G, B]), plan_on="2018-12-03")
    span = (date(2018, 1, 1), date(2022, 12, 31))
    peil = date(2019, 3, 1)
    before = (await period_report(world.store, *span, peil)).as_dict()
    assert (before["groups"]["alle"]["outcomes"]["carried_out"], before["groups"]["alle"]["outcomes"]["undecided"]) == (
        1,
        1,
    )

    # Everything below happens after the peildatum in the world's time.
    await world.do(DecideCertification, "2019-03-15", "kib-1040")
    await world.do(RecordSurveyAnswer, "2019-03-20", "kib-1040", answer="matig")
    await world.do(RequestHeraudit, "2019-06-03", "kib-1040")
    await run_audit(world, "kib-1040", "2019-07-02", scores(("6",), KIB2018, n6=G))
    await world.do(DecideCertification, "2019-07-10", "kib-1040")

    assert (await period_report(world.store, *span, peil)).as_dict() == before
    now = (await period_report(world.store, *span, date(2023, 2, 21))).as_dict()
    outcomes = now["groups"]["alle"]["outcomes"]
    assert (outcomes["carried_out"], outcomes["not_or_conditional"], outcomes["certified_after_heraudit"]) == (1, 1, 1)
    assert outcomes["no_participation"] == 1 and now["groups"]["alle"]["norm_averages"]["6"] == 41.7


async def test_register_status_follows_the_peildatum(world: World) -> None:
    """A closed trajectory's certificate reads 'gecertificeerd tot' before its end and 'verlopen' after."""
    await certified(world)
    facts = {f.trajectory_id: f for f in await facts_as_of(world.store, date(2020, 1, 1))}
    row = facts["kib-1036"]
    assert (row.result, row.status, row.closed) == ("Gecertificeerd", "gecertificeerd tot", True)
    assert row.certified_until is not None
    later = {f.trajectory_id: f for f in await facts_as_of(world.store, row.certified_until.replace(year=2030))}
    assert later["kib-1036"].status == "verlopen"
    assert (await facts_as_of(world.store, date(2018, 1, 1))) == []
    register = await register_as_of(world.store, date(2020, 1, 1), "VOB")
    assert [(r.certificate_number, r.result, r.status) for r in register] == [
        ("1036", "Gecertificeerd", "gecertificeerd tot")
    ]
    assert await register_as_of(world.store, date(2020, 1, 1), "Cultuurconnectie") == []
