"""`tick`: the controlled clock stops at each due moment, fires what is due, delivers, and always ends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
import pytest

from application.trajectories import TrajectoryService
from infrastructure.controlled_clock import DatabaseClock
from tests.workflows.support import AFTER_ANNOUNCEMENT, Env, deliveries, eml_files, given, open_payload

pytestmark = pytest.mark.asyncio(loop_scope="session")

GHOST = "ghost:announcement:2026-03-01:0"


async def test_tick_skips_a_deadline_that_stays_unfired_and_still_ends_at_to(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """A listed deadline whose workflow fires nothing (unknown trajectory) is skipped once; the rest fire on time."""
    await given(service, pool, ("OpenTrajectory", open_payload("cmd-open")))
    await pool.execute(
        """INSERT INTO deadlines (deadline_id, trajectory_id, organisation, kind, label, due_on, due_at, nature,
               party, fired)
           VALUES ($1, 'ghost', 'Spookbibliotheek', 'announcement', 'Aankondiging', $2, $3, 'hard', 'cbct', false)""",
        GHOST,
        date(2026, 3, 1),
        datetime(2026, 3, 1, 8, tzinfo=UTC),
    )
    report = await (await env.agent("tick", "tick", AFTER_ANNOUNCEMENT.isoformat())).result()

    assert report["skipped"] == [GHOST]
    assert sorted(report["fired"]) == ["t1:announcement:2026-06-30:0", "t1:certificate_expiry_reminder:2026-06-30:0"]
    assert report["moved_to"] == AFTER_ANNOUNCEMENT.isoformat()
    assert report["messages_delivered"] == 2 and len(eml_files(env.outbox)) == 2
    assert report["events_appended"] == 2 + 2  # AnnouncementSent, the reminder, and two MessageDelivered
    assert set((await deliveries(pool)).values()) == {1}
    assert await DatabaseClock(pool).now() == AFTER_ANNOUNCEMENT
    occurred = await pool.fetch(
        "SELECT data->>'occurred_at' AS at FROM events WHERE command_id LIKE 't1:%' ORDER BY position"
    )
    assert {r["at"] for r in occurred} == {"2026-06-30T07:00:00Z"}  # fired at their due moment, not at `to`
