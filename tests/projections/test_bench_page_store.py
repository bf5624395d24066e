"""The page benchmark's store (bench/http_pages.py): a trajectory's read-model rows copied with new ids.

The benchmark builds the issue's 25,000 trajectories by copying a demo's read models in SQL; a read model
of a trajectory that the copy forgets would be measured at the demo's size, silently. So: every table
with a trajectory in it is copied (or named here as no read model), and each copy is a whole trajectory
under its own ids."""

from __future__ import annotations

import pytest

from bench.http_pages import COPIED, copy_read_models
from tests.projections.world import World, certified

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOT_READ_MODELS = {"signin_links"}
"""Tables with a trajectory_id that hold no trajectory's facts: an e-mailed sign-in link's."""


async def test_every_table_of_a_trajectory_is_copied(world: World) -> None:
    tables = await world.pool.fetch(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND column_name = 'trajectory_id'"
    )
    assert {t["table_name"] for t in tables} - NOT_READ_MODELS == set(COPIED)


async def test_the_copies_hold_each_row_again_under_new_ids(world: World) -> None:
    await certified(world)
    await world.catch_up()
    await world.pool.execute("INSERT INTO simulated_trajectories (trajectory_id, world) VALUES ('kib-1036', 'demo')")
    before = {t: await world.pool.fetchval(f"SELECT count(*) FROM {t}") for t in COPIED}
    assert all(before[t] > 0 for t in ("trajectories", "timeline", "calendar_audits", "register", "messages"))

    async with world.pool.acquire() as conn:
        held = await copy_read_models(conn, 3)

    assert held == {t: 3 * n for t, n in before.items()}
    ids = [r["trajectory_id"] for r in await world.pool.fetch("SELECT trajectory_id FROM trajectories ORDER BY 1")]
    assert ids == ["kib-1036", "kib-1036-x1", "kib-1036-x2"]
    copy = await world.pool.fetchrow(
        "SELECT r.certificate_number, s.state->>'trajectory_id' AS tid, s.state->>'certificate_number' AS number"
        " FROM register r JOIN trajectory_states s USING (trajectory_id) WHERE trajectory_id = 'kib-1036-x2'"
    )
    assert copy is not None and tuple(copy) == ("1036-x2", "kib-1036-x2", "1036-x2")
    original = await world.pool.fetchval("SELECT state->>'certificate_number' FROM trajectory_states"
                                          " WHERE trajectory_id = 'kib-1036'")  # fmt: skip
    assert original == "1036"
