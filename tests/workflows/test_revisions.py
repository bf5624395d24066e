"""A workflow begun under code revision N finishes under revision N+1 (same explicit application_version).

Revision 2 of the delivery workflow checks the recipient before the send. The workflows have no DBOS
steps (`workflows/commands.py` says why), so there is no recorded step order a new revision could
contradict: a revision-1 worker, killed after the send and before recording it, is recovered by the
revision-2 worker (same executor id, same application_version "1"), which runs the workflow again
with the new check — and the idempotent send and record still make it exactly one e-mail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import asyncpg
import pytest

from application.trajectories import TrajectoryService
from infrastructure.controlled_clock import DatabaseClock
from tests.workflows.support import (
    AFTER_ANNOUNCEMENT,
    Env,
    deliveries,
    eml_files,
    given,
    open_payload,
    wait_until,
    workflow_status,
    workflow_steps,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_delivery_interrupted_under_revision_1_finishes_under_revision_2(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """Killed between send and record under revision 1; revision 2 finishes it, with its new check."""
    await given(service, pool, ("OpenTrajectory", open_payload("cmd-open")))
    every_second = {"CBCT_DISPATCH_INTERVAL_CRON": "* * * * * *"}
    old = await env.worker(
        "worker-rev1", CBCT_TEST_PAUSE_AT="deliver:before_record", CBCT_TEST_CODE_REVISION="1", **every_second
    )
    await DatabaseClock(pool).move_to(AFTER_ANNOUNCEMENT)  # its schedule fires the deadlines, then sends
    interrupted = await env.marker("deliver:before_record", old)
    await old.kill9()
    sent_before = eml_files(env.outbox)
    assert sent_before, "revision 1 sent before it was killed"
    assert await workflow_status(pool, interrupted) == "PENDING"
    assert await workflow_steps(pool, interrupted) == []
    assert (
        await pool.fetchval("SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = $1", interrupted)
        == "worker"
    )

    worker = await env.worker("worker-rev2", CBCT_TEST_CODE_REVISION="2", **every_second)
    first = await wait_until(lambda: _all_delivered(pool, at_least=2), "the interrupted deliveries to finish")
    await wait_until(lambda: _succeeded(pool, interrupted), "the interrupted workflow to succeed")
    assert (await _output(pool, interrupted))["recipient_checked"] is True  # finished by revision 2
    version = await pool.fetchval(
        "SELECT application_version FROM dbos.workflow_status WHERE workflow_uuid = $1", interrupted
    )
    assert version == "1"
    assert len(eml_files(env.outbox)) == len(first)  # one e-mail per message: the resend was recognised

    await DatabaseClock(pool).move_to(datetime(2026, 10, 1, tzinfo=UTC))  # the next reminder falls due
    later = await wait_until(
        lambda: _all_delivered(pool, at_least=len(first) + 1), "the worker's schedule to deliver a new message"
    )
    for workflow_id in sorted(f"deliver:{m}" for m in set(later) - set(first)):
        await wait_until(partial(_succeeded, pool, workflow_id), f"{workflow_id} to succeed")
        assert (await _output(pool, workflow_id))["recipient_checked"] is True
    assert set(later.values()) == {1}
    assert len(eml_files(env.outbox)) == len(later)
    worker.terminate()
    assert await worker.exit_code() == 0


async def _succeeded(pool: asyncpg.Pool, workflow_id: str) -> bool:
    return await workflow_status(pool, workflow_id) == "SUCCESS"


async def _output(pool: asyncpg.Pool, workflow_id: str) -> dict[str, Any]:
    """A finished workflow's result (its portable JSON form)."""
    text = await pool.fetchval("SELECT output FROM dbos.workflow_output WHERE workflow_uuid = $1", workflow_id)
    output: dict[str, Any] = json.loads(text)
    return output


async def _all_delivered(pool: asyncpg.Pool, *, at_least: int) -> dict[str, int] | None:
    """Deliveries per message, once every listed message is delivered and there are `at_least` of them."""
    rows = await pool.fetch("SELECT message_id FROM messages WHERE status <> 'unaddressed'")
    listed = {r["message_id"] for r in rows}
    done = await deliveries(pool)
    return done if len(listed) >= at_least and set(done) >= listed else None
