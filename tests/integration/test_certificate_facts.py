"""Opening the next trajectory reads its certificate from the store, across streams, through the
command handler: the running certificate is taken, a disagreeing date and another organisation's
number are refused, and nothing is written on a refusal."""

from __future__ import annotations

from datetime import date

from application.command_handler import Accepted, Rejected
from domain import DecideCertification, OpenTrajectory, RecordSurveyAnswer
from tests.projections.world import World, opened_2019, run_audit
from tests.unit.driver import at


def open_command(
    trajectory_id: str, organisation: str = "Bibliotheek Helmond-Peel", **fields: object
) -> OpenTrajectory:
    return OpenTrajectory(
        command_id=f"open-{trajectory_id}",
        trajectory_id=trajectory_id,
        actor="planner",
        organisation=organisation,
        certificate_number="1036",
        association="VOB",
        framework_version="kib-2018",
        **fields,
    )


async def test_the_next_cycle_reads_its_certificate_from_the_store(world: World) -> None:
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await run_audit(world, "kib-1036", "2019-02-12", plan_on="2018-12-03")
    await world.do(DecideCertification, "2019-03-15", "kib-1036")
    await world.do(RecordSurveyAnswer, "2019-03-20", "kib-1036", answer="tevreden")

    wrong = await world.service.handle(
        open_command("wrong", previous_certificate_expiry=date(2019, 3, 31)), at("2019-04-01")
    )
    assert isinstance(wrong, Rejected) and wrong.rule == "certificate.expiry_mismatch"
    assert "geldig tot 2023-03-31" in wrong.message and "niet tot 2019-03-31" in wrong.message

    taken = await world.service.handle(
        open_command("other", organisation="Bibliotheek Eindhoven", previous_certificate_expiry=date(2023, 3, 31)),
        at("2019-04-01"),
    )
    assert isinstance(taken, Rejected) and taken.rule == "certificate.number_taken"
    assert "hoort bij Bibliotheek Helmond-Peel (traject kib-1036)" in taken.message
    assert await world.service.history("wrong") == [] and await world.service.history("other") == []

    opened = await world.service.handle(open_command("next"), at("2019-04-01"))
    assert isinstance(opened, Accepted)
    assert opened.events[0]["data"]["previous_certificate_expiry"] == "2023-03-31"
    assert opened.events[0]["data"]["audit_quarter"] == "2023-K1"

    again = await world.service.handle(open_command("next"), at("2019-04-02"))
    assert isinstance(again, Accepted) and again.duplicate  # a retry of the opening, not a second trajectory
