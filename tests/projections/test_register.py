"""The certificate register: one row per certificate number, as CBCT publishes it."""

from __future__ import annotations

from datetime import date

import pytest

from domain import DecideCertification, OpenTrajectory, RecordSurveyAnswer
from projections.register import list_register
from tests.projections.world import World, certified_after_heraudit, opened_2019, run_audit, withdrawn

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_register_rows_for_certified_heraudit_and_no_participation(world: World) -> None:
    """Certified, voorwaardelijk → heraudit → certified, and geen deelname read as in CBCT's register."""
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await world.catch_up()
    [running] = await list_register(world.pool)
    assert (running.result, running.remark, running.certified_until, running.status) == (
        None,
        None,
        date(2019, 3, 31),
        "gecertificeerd tot",
    )
    await run_audit(world, "kib-1036", "2019-02-12", plan_on="2018-12-03")
    await world.do(DecideCertification, "2019-03-15", "kib-1036")
    await certified_after_heraudit(world)
    await withdrawn(world)
    await world.catch_up()
    rows = {r.certificate_number: r for r in await list_register(world.pool)}
    assert [
        (n, r.organisation, r.association, r.result, r.remark, r.certified_until, r.status) for n, r in rows.items()
    ] == [
        ("1036", "Bibliotheek Helmond-Peel", "VOB", "Gecertificeerd", None, date(2023, 3, 31), "gecertificeerd tot"),
        (
            "1040",
            "Bibliotheek Eindhoven",
            "VOB",
            "Voorwaardelijk gecertificeerd",
            "Gecertificeerd na heraudit",
            date(2023, 7, 10),  # decided after the old expiry: anchored on the decision
            "gecertificeerd tot",
        ),
        (
            "1052",
            "GIGANT",
            "Cultuurconnectie",
            "Niet gecertificeerd",
            "Geen deelname",
            date(2019, 3, 31),
            "gecertificeerd tot",
        ),
    ]
    assert [r.certificate_number for r in await list_register(world.pool, association="Cultuurconnectie")] == ["1052"]
    on_2020 = {r.certificate_number: r.status for r in await list_register(world.pool, on=date(2020, 1, 1))}
    assert on_2020 == {"1036": "gecertificeerd tot", "1040": "gecertificeerd tot", "1052": "verlopen"}
    on_2020 = {r.certificate_number: r.status for r in await list_register(world.pool, on=date(2020, 1, 1))}
    assert on_2020 == {"1036": "gecertificeerd tot", "1040": "gecertificeerd tot", "1052": "verlopen"}


async def test_register_follows_the_latest_trajectory_of_a_certificate_number(world: World) -> None:
    """A newer trajectory for the same number takes the row once it has something to say; until then the
    running certificate stays, also when the older trajectory still receives events (its survey)."""
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await run_audit(world, "kib-1036", "2019-02-12", plan_on="2018-12-03")
    await world.do(DecideCertification, "2019-03-15", "kib-1036")
    await world.do(
        OpenTrajectory,
        "2019-03-18",
        "kib2-1036",
        organisation="Bibliotheek Helmond-Peel",
        certificate_number="1036",
        association="VOB",
        framework_version="kib-2018",
    )
    await world.catch_up()
    await world.do(RecordSurveyAnswer, "2019-03-20", "kib-1036", answer="zeer tevreden")
    await world.catch_up()
    [row] = await list_register(world.pool)
    assert (row.trajectory_id, row.result, row.certified_until, row.status) == (
        "kib-1036",
        "Gecertificeerd",
        date(2023, 3, 31),
        "gecertificeerd tot",
    )
    await world.fire_due("2023-04-01")  # the certificate ends before the next cycle decides
    await world.catch_up()
    [row] = await list_register(world.pool)
    assert (row.trajectory_id, row.organisation, row.result, row.certified_until, row.status) == (
        "kib2-1036",
        "Bibliotheek Helmond-Peel",
        None,
        None,
        "hercertificering loopt",
    )


async def test_register_shows_hercertificering_loopt_after_expiry_without_a_decision(world: World) -> None:
    """The old certificate expires before the decision: the register says 'hercertificering loopt', no date."""
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await world.fire_due("2019-04-02")
    [row] = await list_register(world.pool)
    assert (row.result, row.certified_until, row.status) == (None, None, "hercertificering loopt")
