"""A workflow that fails is shown to ops and can be run again from its failed step, applying it once."""

from __future__ import annotations

import json

import asyncpg
import pytest

from application.trajectories import TrajectoryService
from tests.workflows.support import Env, events_of, given, open_payload

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_failed_command_is_listed_and_a_retry_runs_it_once_from_the_failed_step(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """ERROR → in `failed_workflows`; ops retry forks it from the failed step; a resend reuses that fork."""
    await given(service, pool)
    payload = json.dumps(open_payload("cmd-open"))
    fail = {"CBCT_TEST_FAIL_AT": "command:before_handle"}
    failing = await env.agent("submit-fails", "submit", "OpenTrajectory", payload, **fail)
    assert await failing.exit_code() != 0 and "InjectedFault" in failing.stderr()
    failed = await (await env.agent("failed", "failed")).result()
    assert [(f["workflow_id"], f["status"], f["name"]) for f in failed] == [("cmd-open", "ERROR", "cbct.command")]
    assert "InjectedFault" in failed[0]["error"]
    assert await events_of(pool, "trajectory-t1") == []

    retried = await (await env.agent("retry", "retry", "cmd-open")).result()
    assert retried["retried_as"] == "cmd-open:retry:1" and retried["status"] == "SUCCESS"
    again = await (await env.agent("resend", "submit", "OpenTrajectory", payload)).result()
    assert again["accepted"] and [e["type"] for e in again["events"]] == ["TrajectoryOpened"]

    assert [e["command_id"] for e in await events_of(pool, "trajectory-t1")] == ["cmd-open"]
    assert await (await env.agent("failed-after", "failed")).result() == []
    forks = await pool.fetchval("SELECT count(*) FROM dbos.workflow_status WHERE forked_from = 'cmd-open'")
    assert forks == 1  # the resend attached to the fork that had succeeded
