"""Issue 9, case C1: an event no reader can decode stops only the projections that read it, at that
event, with the event named; views go on; a correction (docs/repairing-events.md) lets them continue."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from application.event_store import UndecodableEvent
from domain import OpenTrajectory, TrajectoryState
from projections.overview import get_trajectory, list_trajectories
from projections.registry import all_projections
from tests.projections.world import World, certified, make_world, opened_2019

pytestmark = pytest.mark.asyncio(loop_scope="session")

HUGE = 18446744073709551616  # the probe's --employees: 2**64


async def _inject_intake(world: World, source: str, target: str, employees: Any) -> tuple[uuid.UUID, str]:
    """Append, behind the store's back (as an older bug would have), `source`'s intake to `target`
    with another employee count; return its event id and global position."""
    row = await world.pool.fetchrow(
        "SELECT data::text AS data FROM events WHERE stream_id = $1 AND event_type = 'IntakeRecorded'",
        f"trajectory-{source}",
    )
    data = json.loads(row["data"])
    text = json.dumps({**data, "trajectory_id": target, "employees": 0}).replace(
        '"employees": 0', f'"employees": {employees}'
    )
    version = await world.store.stream_version(f"trajectory-{target}")
    event_id = uuid.uuid4()
    inserted = await world.pool.fetchrow(
        """INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data, command_id, actor)
           VALUES ($1, $2, $3, 'IntakeRecorded', 1, $4::jsonb, $5, 'probe')
           RETURNING transaction_id::text || ':' || position AS at""",
        f"trajectory-{target}",
        version + 1,
        event_id,
        text,
        f"probe-{event_id}",
    )
    return event_id, inserted["at"]


async def _dump(world: World) -> dict[str, list[Any]]:
    dump: dict[str, list[Any]] = {}
    for table in [t for p in all_projections() for t in p.tables]:
        rows = [dict(r) for r in await world.pool.fetch(f"SELECT * FROM {table}")]
        if table == "trajectory_states":
            for r in rows:
                r["state"] = TrajectoryState.model_validate_json(r["state"])
        dump[table] = sorted(rows, key=repr)
    return dump


async def test_c1_an_undecodable_event_halts_its_projections_there_and_a_correction_resumes_them(world: World) -> None:
    await certified(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await opened_2019(world, "kib-1002", "1002", "Bibliotheek Hengelo")
    await world.catch_up()
    await world.do(
        OpenTrajectory,
        "2018-06-20",
        "kib-1003",
        organisation="Bibliotheek Almelo",
        certificate_number="1003",
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry="2019-03-31",
    )
    await world.fire_due("2018-10-01")
    event_id, position = await _inject_intake(world, "kib-1036", "kib-1003", HUGE)
    # Something after it in the global order, on another trajectory.
    await world.do(
        OpenTrajectory,
        "2018-10-02",
        "kib-1004",
        organisation="Bibliotheek Oss",
        certificate_number="1004",
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry="2019-03-31",
    )

    await world.catch_up()  # does not raise
    assert set(world.runner.halts) == {"trajectories", "messages"}
    for halt in world.runner.halts.values():
        assert str(halt.at) == position
        assert "trajectory-kib-1003" in halt.error and "IntakeRecorded" in halt.error and str(event_id) in halt.error
    statuses = {s.name: s for s in await world.runner.status()}
    assert statuses["trajectories"].halted_at == position and statuses["trajectories"].behind >= 2
    assert "employees" in (statuses["trajectories"].halted_error or "")

    # Views serve what came before the event: every other trajectory, and this one up to it.
    rows = {r.trajectory_id: r for r in await list_trajectories(world.pool, limit=100)}
    assert {"kib-1036", "kib-1002", "kib-1003"} <= set(rows) and "kib-1004" not in rows
    overview = await get_trajectory(world.pool, "kib-1036")
    assert overview is not None and overview.verdict is not None

    # The command side stops on that trajectory only, naming the event.
    with pytest.raises(UndecodableEvent, match="trajectory-kib-1003"):
        await world.service.state("kib-1003")
    assert await world.service.state("kib-1002") is not None

    # Catching up again changes nothing while it is not repaired.
    assert await world.catch_up() == 0 and set(world.runner.halts) == {"trajectories", "messages"}

    # Repair: a correction of the stored event; everything continues by itself.
    stored = await world.store.read_stream("trajectory-kib-1003")
    bad = next(e for e in stored if e.event_id == event_id)
    await world.store.correct(event_id, {**bad.data, "employees": 180}, reason="2**64 typed for 180", actor="ops")
    await world.catch_up()
    assert world.runner.halts == {}
    statuses = {s.name: s for s in await world.runner.status()}
    assert all(s.halted_at is None and s.behind == 0 for s in statuses.values())
    state = await world.service.state("kib-1003")
    assert state is not None and state.intake is not None
    assert "kib-1004" in {r.trajectory_id for r in await list_trajectories(world.pool, limit=100)}
    # The correction is itself an event, and a rebuild gives what following along gave.
    corrected = next(e for e in await world.store.read_stream("trajectory-kib-1003") if e.event_id == event_id)
    assert corrected.data["employees"] == 180
    correction = await world.store.read_stream(f"correction-{event_id}")
    assert correction[0].event_type == "EventCorrected" and correction[0].actor == "ops"
    incremental = await _dump(world)
    for name in world.runner.names:
        await world.runner.rebuild(name)
    assert await _dump(world) == incremental


async def test_a_halted_projection_in_the_worker_loop_waits_and_resumes_after_a_correction(world: World) -> None:
    """`run` (the worker) never exits on an undecodable event: it halts, waits, and continues once repaired."""
    import asyncio

    await certified(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await world.do(
        OpenTrajectory,
        "2018-06-20",
        "kib-1003",
        organisation="Bibliotheek Almelo",
        certificate_number="1003",
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry="2019-03-31",
    )
    event_id, position = await _inject_intake(world, "kib-1036", "kib-1003", HUGE)
    runner = make_world(world.pool).runner
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run("trajectories", stop))
    try:

        async def halted() -> None:
            while "trajectories" not in runner.halts:  # noqa: ASYNC110 - set by the runner task
                await asyncio.sleep(0.02)

        await asyncio.wait_for(halted(), 20)
        assert str(runner.halts["trajectories"].at) == position and not task.done()
        stored = next(e for e in await world.store.read_stream("trajectory-kib-1003") if e.event_id == event_id)
        await world.store.correct(event_id, {**stored.data, "employees": 12}, reason="typo", actor="ops")

        async def resumed() -> None:
            while (await runner.status())[0].behind or "trajectories" in runner.halts:  # noqa: ASYNC110 - in the db
                await asyncio.sleep(0.05)

        await asyncio.wait_for(resumed(), 30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
