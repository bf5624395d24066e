"""Driving trajectories' workflows in skipped time: the world's clock, commands, and what to read back.

The test server starts at the real present; a rig's world starts at `WORLD_START` (2025-11-01) through
the workflows' world offset, as the demo's does. `until(day)` lets skipped time pass to that moment —
every timer due on the way fires, with its activities — and `send` submits a command there through
update-with-start, exactly as the CLI does.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from application.trajectories import TrajectoryService
from domain import Command
from infrastructure.postgres_event_store import PostgresEventStore
from interfaces.skipped_time import skip_time
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from tests.unit.driver import at
from tests.workflows.support import SIGNER, wait_until
from workflows.client import TrajectoryClient
from workflows.contracts import Verdict

WORLD_START = at("2025-11-01", 9)


@dataclass
class Rig:
    env: WorkflowEnvironment
    pool: asyncpg.Pool
    store: PostgresEventStore
    service: TrajectoryService
    outbox: Path
    task_queue: str
    offset: timedelta | None = None
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    touched: set[str] = field(default_factory=set)

    async def client(self) -> TrajectoryClient:
        if self.offset is None:
            self.offset = WORLD_START - await self.env.get_current_time()
        return TrajectoryClient(self.env.client, signer=SIGNER, task_queue=self.task_queue, world_offset=self.offset)

    async def now(self) -> datetime:
        await self.client()
        assert self.offset is not None
        return await self.env.get_current_time() + self.offset

    async def until(self, day: str, hour: int = 10) -> None:
        """Let skipped time pass to `hour` o'clock Amsterdam on `day`, firing every timer on the way."""
        delta = at(day, hour) - await self.now()
        if delta > timedelta(0):
            with self.env.auto_time_skipping_disabled():
                await skip_time(self.env, delta)

    async def send(
        self,
        cls: type[Command],
        day: str,
        trajectory_id: str,
        *,
        expect: bool | None = True,
        actor: str = "test",
        **fields: Any,
    ) -> Verdict:
        """Move to `day` and submit the command through the trajectory's workflow; check its answer."""
        await self.until(day)
        command = cls(
            command_id=f"{trajectory_id}/c{next(self.ids)}", trajectory_id=trajectory_id, actor=actor, **fields
        )
        self.touched.add(trajectory_id)
        verdict = await (await self.client()).submit(command)
        if expect is not None:
            assert verdict.accepted is expect, verdict
        return verdict

    async def terminate_all(self) -> None:
        """End every workflow this rig touched: the server is shared, and a workflow left running on
        a task queue nobody polls would hold skipped time still for the next test."""
        client = await self.client()
        # Also those a test drove through the client itself (not `send`): every trajectory of this rig's
        # database. (One left running once held skipped time still for the rest of the session.)
        rows = await self.pool.fetch("SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'trajectory-%'")
        stored = {row["stream_id"].removeprefix("trajectory-") for row in rows}
        for trajectory_id in sorted(self.touched | stored):
            with contextlib.suppress(RPCError, WorkflowQueryFailedError):
                # The test server keeps skipped time locked for an activity a termination cut off.
                await wait_until(partial(self._quiet, trajectory_id), f"{trajectory_id} to send its e-mails", 20)
            with contextlib.suppress(RPCError):
                await client.handle(trajectory_id).terminate("test over")

    async def _quiet(self, trajectory_id: str) -> bool:
        client = await self.client()
        # (not `describe()`: the test server hands back datetime search attributes the SDK cannot read)
        try:
            return (await client.status(trajectory_id)).emails_pending == 0
        except (RPCError, WorkflowQueryFailedError):
            return True  # ended

    def projections(self) -> ProjectionRunner:
        return ProjectionRunner(self.pool, self.store, all_projections())

    async def events(self, trajectory_id: str) -> list[tuple[int, str, str | None]]:
        rows = await self.pool.fetch(
            "SELECT stream_version, event_type, command_id FROM events WHERE stream_id = $1 ORDER BY stream_version",
            f"trajectory-{trajectory_id}",
        )
        return [(r["stream_version"], r["event_type"], r["command_id"]) for r in rows]
