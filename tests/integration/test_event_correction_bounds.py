"""Issue 18, case 4: `EventStore.correct` through `application.corrections` can no longer rewrite any event
into anything. Each case was accepted on main (measured: see /work/notes/correct.md); now it is refused
with the field and the rule named, the store unchanged and every view still working. A good correction
of an unreadable event, and a forced one of a readable event, are still accepted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from application.corrections import Corrections, InvalidCorrection
from application.event_store import ExpectedVersion, InvalidAppend, NewEvent, RecordedEvent
from application.trajectories import TrajectoryService
from domain.correction import CorrectionRefused
from infrastructure.memory_event_store import InMemoryEventStore
from projections.register import list_register
from projections.scratch import dry_run
from tests.projections.world import World, certified, opened_2019

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass(frozen=True)
class Setup:
    corrections: Corrections
    een: dict[str, RecordedEvent]  # Bibliotheek Een (1001), certified: its events by type
    twee: dict[str, RecordedEvent]  # Bibliotheek Twee (1002), opened


async def _by_type(world: World, trajectory_id: str) -> dict[str, RecordedEvent]:
    return {e.event_type: e for e in await world.store.read_stream(f"trajectory-{trajectory_id}")}


async def _setup(world: World) -> Setup:
    await certified(world, "t-een", "1001", "Bibliotheek Een")
    await opened_2019(world, "t-twee", "1002", "Bibliotheek Twee")
    await world.catch_up()

    async def read_models(stream: Sequence[RecordedEvent], connection: Any) -> None:
        await dry_run(connection, stream)

    corrections = Corrections(world.store, world.service, read_models=read_models)
    return Setup(corrections, await _by_type(world, "t-een"), await _by_type(world, "t-twee"))


async def _stored(world: World) -> tuple[int, str]:
    """What the store holds: the number of events and every correction."""
    count = await world.pool.fetchval("SELECT count(*) FROM events")
    rows = await world.pool.fetch("SELECT event_id::text, corrected_data::text FROM event_corrections ORDER BY 1")
    return int(count), json.dumps([dict(r) for r in rows])


async def _register(world: World) -> dict[str, str]:
    return {r.certificate_number: r.organisation for r in await list_register(world.pool)}


async def _rebuilt_register(world: World) -> dict[str, str]:
    for name in world.runner.names:
        await world.runner.rebuild(name)
    assert world.runner.halts == {}
    return await _register(world)


async def _refused(world: World, setup: Setup, event: RecordedEvent, data: dict[str, Any], **kw: Any) -> Exception:
    before = await _stored(world)
    with pytest.raises((InvalidCorrection, CorrectionRefused)) as caught:
        await setup.corrections.correct(
            event.event_id, data, reason=kw.pop("reason", "test"), actor="ops", force=kw.pop("force", True), **kw
        )
    assert await _stored(world) == before, "a refused correction must write nothing"
    assert "\n" not in str(caught.value)
    return caught.value


async def test_moving_a_certificate_number_to_another_organisation_is_refused(world: World) -> None:
    """Main: accepted; after a rebuild the register showed 1001 Bibliotheek Twee and Bibliotheek Een was gone."""
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    error = await _refused(world, setup, opened, {**opened.data, "certificate_number": "1001"})
    assert isinstance(error, CorrectionRefused) and error.rule == "correction.certificate_number_taken"
    assert "1001" in error.message and "Bibliotheek Een" in error.message
    issued = setup.een["CertificateIssued"]
    error = await _refused(world, setup, issued, {**issued.data, "certificate_number": "1002"})
    assert isinstance(error, CorrectionRefused) and "certificate_number" in error.message
    error = await _refused(world, setup, issued, {**issued.data, "organisation": "Bibliotheek Twee"})
    assert isinstance(error, CorrectionRefused) and "organisation" in error.message
    assert await _rebuilt_register(world) == {"1001": "Bibliotheek Een", "1002": "Bibliotheek Twee"}


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("previous_certificate_expiry", "0001-01-01", "2000-01-01"),  # main: every view empty (year 0)
        ("organisation", "B" * 2048, "200"),  # main: workflow tasks and email.send failed for ever
        ("contact_email", "an@bieb.example\r\nBcc: x@y.nl", "pattern"),  # main: the same
        ("trajectory_id", "t-een", "trajectory_id"),
    ],
)
async def test_a_value_no_command_could_have_produced_is_refused(
    world: World, field: str, value: str, rule: str
) -> None:
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    error = await _refused(world, setup, opened, {**opened.data, field: value})
    assert field in str(error) and rule in str(error)
    assert await _rebuilt_register(world) == {"1001": "Bibliotheek Een", "1002": "Bibliotheek Twee"}


async def test_an_unknown_framework_is_refused_before_any_read_model_meets_it(world: World) -> None:
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    error = await _refused(world, setup, opened, {**opened.data, "framework_version": "kib-9999"})
    assert isinstance(error, CorrectionRefused) and "kib-9999" in error.message


async def test_an_event_corrected_event_cannot_be_corrected(world: World) -> None:
    """Main: the EventCorrected event was corrected into {"nothing": "to see"}."""
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    done = await setup.corrections.correct(
        opened.event_id, {**opened.data, "contact_email": "info@twee.example"}, reason="adres", actor="ops", force=True
    )
    correction = (await world.store.read_stream(f"correction-{opened.event_id}"))[0]
    assert correction.event_id == done.result.event_ids[0]
    error = await _refused(world, setup, correction, {"nothing": "to see"})
    assert isinstance(error, CorrectionRefused) and error.rule == "correction.of_correction"
    before = await _stored(world)
    with pytest.raises(InvalidAppend, match="cannot itself be corrected"):  # the store refuses it too
        await world.store.correct(correction.event_id, {"nothing": "to see"}, reason="x", actor="ops")
    assert await _stored(world) == before


async def test_a_readable_event_needs_force_and_a_reason(world: World) -> None:
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    data = {**opened.data, "contact_email": "info@twee.example"}
    error = await _refused(world, setup, opened, data, force=False)
    assert isinstance(error, InvalidCorrection) and error.field == "--force"
    error = await _refused(world, setup, opened, data, reason="  ")
    assert isinstance(error, InvalidCorrection) and error.field == "--reason"
    error = await _refused(world, setup, opened, data, reason="x\x1b[2J")
    assert isinstance(error, InvalidCorrection) and error.field == "--reason"


async def test_a_forced_good_correction_is_accepted_and_listed_with_reason_and_actor(world: World) -> None:
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    done = await setup.corrections.correct(
        opened.event_id,
        {**opened.data, "organisation": " Bibliotheek Twee-Oost "},
        reason="naam veranderd bij de fusie",
        actor="ops:anna",
        force=True,
    )
    assert done.was_readable
    assert (await world.store.read_event(opened.event_id)).data["organisation"] == "Bibliotheek Twee-Oost"  # type: ignore[union-attr]
    (listed,) = await world.store.corrections("trajectory-t-twee")
    assert (listed.event_id, listed.stream_version, listed.reason, listed.corrected_by) == (
        opened.event_id,
        opened.stream_version,
        "naam veranderd bij de fusie",
        "ops:anna",
    )
    assert await _rebuilt_register(world) == {"1001": "Bibliotheek Een", "1002": "Bibliotheek Twee-Oost"}


async def test_an_unreadable_event_is_corrected_without_force_and_everything_resumes(world: World) -> None:
    setup = await _setup(world)
    intake = setup.twee["IntakeRecorded"]
    text = json.dumps({**intake.data, "employees": 0}).replace('"employees": 0', '"employees": 18446744073709551616')
    await world.pool.execute("ALTER TABLE events DISABLE TRIGGER USER")  # as an older bug wrote it
    try:
        await world.pool.execute("UPDATE events SET data = $1::jsonb WHERE event_id = $2", text, intake.event_id)
    finally:
        await world.pool.execute("ALTER TABLE events ENABLE TRIGGER USER")
    await world.runner.rebuild("trajectories")
    assert "trajectories" in world.runner.halts
    done = await setup.corrections.correct(
        intake.event_id, {**intake.data, "employees": 180}, reason="2**64 getypt, 180 bedoeld", actor="ops"
    )
    assert not done.was_readable
    await world.catch_up()
    assert world.runner.halts == {}
    assert (await world.state("t-twee")).intake is not None


async def test_a_read_model_that_cannot_apply_the_corrected_stream_refuses_it_and_rolls_everything_back(
    world: World,
) -> None:
    setup = await _setup(world)
    opened = setup.twee["TrajectoryOpened"]
    year_one = {**opened.data, "previous_certificate_expiry": "0001-01-01"}
    stream = await world.store.read_stream("trajectory-t-twee")
    broken = [RecordedEvent(**{**e.__dict__, "data": year_one}) if e.event_id == opened.event_id else e for e in stream]
    counts = {t: await world.pool.fetchval(f"SELECT count(*) FROM {t}") for t in ("timeline", "register", "messages")}
    async with world.pool.acquire() as conn:
        await dry_run(conn, stream)  # the stream as it is: every read model applies it, and nothing stays
        with pytest.raises(CorrectionRefused, match="read model 'trajectories'") as caught:
            await dry_run(conn, broken)
        assert caught.value.rule == "correction.read_model"
        assert await conn.fetchval("SELECT 1") == 1  # the connection is fine afterwards
    assert counts == {t: await world.pool.fetchval(f"SELECT count(*) FROM {t}") for t in counts}

    # And inside `correct`: a read model's refusal rolls back the correction written in the same transaction.
    async def refuse(stream: Sequence[RecordedEvent], connection: Any) -> None:
        assert next(e for e in stream if e.event_id == opened.event_id).data["contact_email"] == "x@twee.example"
        assert await connection.fetchval("SELECT count(*) FROM event_corrections") == 1  # written, not committed
        await dry_run(connection, broken)

    before = await _stored(world)
    with pytest.raises(CorrectionRefused):
        await Corrections(world.store, world.service, read_models=refuse).correct(
            opened.event_id, {**opened.data, "contact_email": "x@twee.example"}, reason="r", actor="ops", force=True
        )
    assert await _stored(world) == before


async def test_the_memory_store_judges_a_correction_the_same_way() -> None:
    store = InMemoryEventStore()
    service = TrajectoryService(store)
    opened = {
        "trajectory_id": "t-m", "occurred_at": datetime(2025, 11, 3, 9, tzinfo=UTC).isoformat(),
        "organisation": "Bibliotheek Een", "certificate_number": "1001", "association": "VOB",
        "framework_version": "kib-ii-2023", "opened_on": "2025-11-03", "previous_certificate_expiry": "2026-12-31",
        "audit_quarter": "2026-K4", "announcement_due_on": "2026-06-30",
    }  # fmt: skip
    event_id = uuid.uuid4()
    await store.append("trajectory-t-m", [NewEvent("TrajectoryOpened", opened, event_id=event_id)], ExpectedVersion.ANY)
    corrections = Corrections(store, service)
    with pytest.raises(InvalidCorrection, match="2000-01-01"):
        await corrections.correct(event_id, {**opened, "opened_on": "0001-01-01"}, reason="r", actor="ops", force=True)
    with pytest.raises(InvalidCorrection, match="--force"):
        await corrections.correct(event_id, opened, reason="r", actor="ops")
    done = await corrections.correct(
        event_id, {**opened, "organisation": "Bibliotheek Eén"}, reason="r", actor="o", force=True
    )
    with pytest.raises(CorrectionRefused, match="gecorrigeerd"):
        await corrections.correct(done.result.event_ids[0], {"nothing": "to see"}, reason="r", actor="o", force=True)

    async def refuse(stream: Sequence[RecordedEvent], connection: Any) -> None:
        raise CorrectionRefused("nee", rule="test")

    with pytest.raises(CorrectionRefused):
        await store.correct(event_id, opened, reason="r", actor="o", verify=refuse)
    assert (await store.read_event(event_id)).data["organisation"] == "Bibliotheek Eén"  # type: ignore[union-attr]
    assert [c.reason for c in await store.corrections("trajectory-t-m")] == ["r"]


async def test_an_unreadable_event_before_the_corrected_one_is_repaired_first() -> None:
    """Otherwise nothing after it could be judged: the fold would stop there and pass anything."""
    store = InMemoryEventStore()
    at = datetime(2025, 11, 3, 9, tzinfo=UTC).isoformat()
    opened = {
        "trajectory_id": "t-m", "occurred_at": at, "organisation": "Bibliotheek Een", "certificate_number": "1001",
        "association": "VOB", "framework_version": "kib-ii-2023", "opened_on": "2025-11-03",
        "previous_certificate_expiry": "2026-12-31", "audit_quarter": "2026-K4", "announcement_due_on": "2026-06-30",
    }  # fmt: skip
    intake = {
        "trajectory_id": "t-m", "occurred_at": at, "received_on": "2025-11-03",
        "contacts": [{"name": "An", "email": "an@bieb.example", "role": ""}], "locations": ["Hoofdvestiging"],
        "employees": 40, "services": [], "category": "A", "dagdelen": 2, "auditor_hours": 8, "modules": [],
        "ido": False, "scope": ["1"],
    }  # fmt: skip
    sent = {"trajectory_id": "t-m", "occurred_at": at, "sent_on": "2025-11-03", "intake_due_on": "2025-12-01"}
    events = [
        NewEvent("TrajectoryOpened", opened),
        NewEvent("IntakeRecorded", {**intake, "employees": "veertig"}),  # what an older bug wrote
        NewEvent("IntakeSent", sent),
    ]
    await store.append("trajectory-t-m", events, ExpectedVersion.ANY)
    corrections = Corrections(store, TrajectoryService(store))
    with pytest.raises(CorrectionRefused, match="corrigeer dat eerst"):
        await corrections.correct(
            events[2].event_id, {**sent, "sent_on": "2025-11-04"}, reason="r", actor="o", force=True
        )
    done = await corrections.correct(events[1].event_id, intake, reason="veertig → 40", actor="ops")
    assert not done.was_readable
    assert (await TrajectoryService(store).state("t-m")).intake is not None  # type: ignore[union-attr]
