"""A workflow begun under code revision N finishes under revision N+1 (same explicit application_version).

Revision 2 of the delivery workflow inserts a step before the send, guarded by `DBOS.patch_async`
(`workflows/notifications.py`). A revision-1 worker, sending what its schedule dispatched, is killed
after the send step completed; the revision-2 worker (same executor id, same application_version
"1") recovers the workflow on launch and replays the old step order; a message begun under revision
2 takes the new one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import asyncpg
import pytest

from application.trajectories import TrajectoryService
from infrastructure.controlled_clock import DatabaseClock
from tests.workflows.support import (
    AFTER_ANNOUNCEMENT,
    Env,
    deliveries,
    given,
    open_payload,
    wait_until,
    workflow_status,
    workflow_steps,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

OLD_ORDER = ["cbct.send_message", "cbct.record_delivery"]
NEW_ORDER = ["DBOS.patch-check-recipient", "cbct.check_recipient", *OLD_ORDER]


async def test_a_delivery_interrupted_under_revision_1_finishes_under_revision_2(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """Killed between send and record under revision 1; revision 2 finishes it the old way, new work the new way."""
    await given(service, pool, ("OpenTrajectory", open_payload("cmd-open")))
    every_second = {"CBCT_DISPATCH_INTERVAL_CRON": "* * * * * *"}
    old = await env.worker(
        "worker-rev1", CBCT_TEST_PAUSE_AT="deliver:before_record", CBCT_TEST_CODE_REVISION="1", **every_second
    )
    await DatabaseClock(pool).move_to(AFTER_ANNOUNCEMENT)  # its schedule fires the deadlines, then sends
    interrupted = await env.marker("deliver:before_record", old)
    await old.kill9()
    assert await workflow_steps(pool, interrupted) == ["cbct.send_message"]
    assert await pool.fetchval(
        "SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1", interrupted
    ) == "worker"

    worker = await env.worker("worker-rev2", CBCT_TEST_CODE_REVISION="2", **every_second)
    first = await wait_until(lambda: _all_delivered(pool, at_least=2), "the interrupted deliveries to finish")
    await wait_until(lambda: _succeeded(pool, interrupted), "the interrupted workflow to succeed")
    assert await workflow_steps(pool, interrupted) == OLD_ORDER
    version = await pool.fetchval(
        "SELECT application_version FROM dbos.workflow_status WHERE workflow_uuid = $1", interrupted
    )
    assert version == "1"

    await DatabaseClock(pool).move_to(datetime(2026, 10, 1, tzinfo=UTC))  # the next reminder falls due
    later = await wait_until(
        lambda: _all_delivered(pool, at_least=len(first) + 1), "the worker's schedule to deliver a new message"
    )
    for workflow_id in sorted(f"deliver:{m}" for m in set(later) - set(first)):
        await wait_until(partial(_succeeded, pool, workflow_id), f"{workflow_id} to succeed")
        assert await workflow_steps(pool, workflow_id) == NEW_ORDER
    assert set(later.values()) == {1}
    worker.terminate()
    assert await worker.exit_code() == 0


async def _succeeded(pool: asyncpg.Pool, workflow_id: str) -> bool:
    return await workflow_status(pool, workflow_id) == "SUCCESS"


async def _all_delivered(pool: asyncpg.Pool, *, at_least: int) -> dict[str, int] | None:
    """Deliveries per message, once every listed message is delivered and there are `at_least` of them."""
    rows = await pool.fetch("SELECT message_id FROM messages WHERE status <> 'unaddressed'")
    listed = {r["message_id"] for r in rows}
    done = await deliveries(pool)
    return done if len(listed) >= at_least and set(done) >= listed else None
