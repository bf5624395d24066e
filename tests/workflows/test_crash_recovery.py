"""kill -9 in the middle of a workflow: a new process finishes it, and nothing is applied twice."""

from __future__ import annotations

import json

import asyncpg
import pytest

from application.trajectories import TrajectoryService
from tests.workflows.support import (
    AFTER_ANNOUNCEMENT,
    Env,
    deliveries,
    eml_files,
    events_of,
    given,
    open_payload,
    wait_until,
    workflow_status,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_command_killed_after_its_append_completes_once_in_the_next_process(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """A command process killed right after the append: the worker recovers the workflow; one event, once."""
    await given(service, pool)
    payload = json.dumps(open_payload("cmd-open"))
    first = await env.agent("submit-1", "submit", "OpenTrajectory", payload, CBCT_TEST_PAUSE_AT="command:after_append")
    assert await env.marker("command:after_append", first) == "cmd-open"
    await first.kill9()
    assert [e["event_type"] for e in await events_of(pool, "trajectory-t1")] == ["TrajectoryOpened"]
    assert await workflow_status(pool, "cmd-open") == "PENDING"

    worker = await env.worker()
    await wait_until(lambda: _is(pool, "cmd-open", "SUCCESS"), "the worker to recover the command workflow")
    again = await (await env.agent("submit-2", "submit", "OpenTrajectory", payload)).result()
    assert again["accepted"] and [e["type"] for e in again["events"]] == ["TrajectoryOpened"]
    events = await events_of(pool, "trajectory-t1")
    assert [(e["stream_version"], e["command_id"]) for e in events] == [(1, "cmd-open")]
    other = json.dumps({**open_payload("cmd-open"), "organisation": "Een andere bibliotheek"})
    reused = await env.agent("submit-3", "submit", "OpenTrajectory", other)
    assert await reused.exit_code() != 0 and "CommandIdReused" in reused.stderr()

    worker.terminate()
    assert await worker.exit_code() == 0
    assert any(e.get("event") == "worker_stopped" for e in worker.log_events())


async def test_send_killed_after_the_file_is_written_delivers_each_message_once(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """Killed between writing the .eml and recording it: after restart one file and one MessageDelivered each."""
    await given(service, pool, ("OpenTrajectory", open_payload("cmd-open")))
    ticking = await env.agent("tick", "tick", AFTER_ANNOUNCEMENT.isoformat(), CBCT_TEST_PAUSE_AT="send:after_write")
    await env.marker("send:after_write", ticking)
    await ticking.kill9()
    written = eml_files(env.outbox)
    assert written and all(p.suffix == ".eml" for p in written)
    assert await deliveries(pool) == {}

    worker = await env.worker(CBCT_DISPATCH_INTERVAL_CRON="* * * * * *")  # recovery, and the schedule
    messages = await wait_until(lambda: _pending_count(pool, 2), "the announcement and reminder messages")
    delivered = await wait_until(lambda: _delivered(pool, messages), "both messages recorded delivered")
    assert delivered == {m: 1 for m in messages}
    files = eml_files(env.outbox)
    assert [p.name for p in files] == sorted(f"{m}.eml" for m in messages)
    for path, message_id in zip(files, sorted(messages), strict=True):
        text = path.read_text(encoding="utf-8")
        assert text.count("Message-ID:") == 1 and f"<{message_id}@cbct-trajectories>" in text
    worker.terminate()
    assert await worker.exit_code() == 0


async def _is(pool: asyncpg.Pool, workflow_id: str, status: str) -> bool:
    return await workflow_status(pool, workflow_id) == status


async def _pending_count(pool: asyncpg.Pool, expected: int) -> list[str] | None:
    """The ids of the outbox's messages, once there are `expected` of them."""
    rows = await pool.fetch("SELECT message_id FROM messages ORDER BY message_id")
    return [r["message_id"] for r in rows] if len(rows) >= expected else None


async def _delivered(pool: asyncpg.Pool, messages: list[str]) -> dict[str, int] | None:
    done = await deliveries(pool)
    return done if set(done) >= set(messages) else None
