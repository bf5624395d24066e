"""The baseline of `bench/commands.py`: a bare Temporal entity workflow on the same server and worker.

One workflow per trajectory, started by update-with-start like ours; every command is an update whose
handler (one at a time, like ours) runs one local activity (like ours; unsandboxed, like ours) that
writes the command's event with a single raw asyncpg INSERT. No validation, no load, no decide, no
event store, no e-mail: what remains is Temporal plus one round trip to Postgres, so `ours / bare` is
what our own layers cost.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from temporalio import activity, workflow

if TYPE_CHECKING:
    import asyncpg

BARE_TASK_QUEUE = "cbct-bench-bare"
CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS bench_bare_events (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL,
    stream_version bigint NOT NULL,
    event_id uuid NOT NULL UNIQUE,
    event_type text NOT NULL,
    data jsonb NOT NULL,
    command_id text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, stream_version)
)
"""


class BareCommand(BaseModel):
    """What the bare update carries: the event our command would append, already decided."""

    model_config = ConfigDict(frozen=True)

    command_id: str
    trajectory_id: str
    event_type: str
    data_json: str


class BareAppend(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: BareCommand
    stream_version: int


class BareActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name="bench.bare_append")
    async def append(self, request: BareAppend) -> int:
        """One raw INSERT; idempotent on (stream, version) like a retried append."""
        command = request.command
        await self.pool.execute(
            "INSERT INTO bench_bare_events (stream_id, stream_version, event_id, event_type, data, command_id)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (stream_id, stream_version) DO NOTHING",
            command.trajectory_id,
            request.stream_version,
            uuid.uuid5(uuid.NAMESPACE_URL, command.command_id),
            command.event_type,
            command.data_json,
            command.command_id,
        )
        return request.stream_version


@workflow.defn(name="BenchBareWorkflow", sandboxed=False)
class BareWorkflow:
    """An entity workflow that appends each command's event in an activity, one command at a time."""

    def __init__(self) -> None:
        self.version = 0
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, trajectory_id: str) -> int:
        await workflow.wait_condition(lambda: False)  # lives until the benchmark terminates it
        return self.version

    @workflow.update
    async def submit(self, command: BareCommand) -> int:
        async with self.lock:
            self.version += 1
            return await workflow.execute_local_activity_method(
                BareActivities.append,
                BareAppend(command=command, stream_version=self.version),
                start_to_close_timeout=timedelta(seconds=10),
            )
