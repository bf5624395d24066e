"""Issue 18, case 2: a second local user, with its own copy of the `temporal` CLI, cannot act as the
director through the embedded Temporal server, nor make a production worker decide in a simulated world.

The set-up is the CLI's own (`bootstrap(temporal=True)`): the embedded dev server of a data directory,
a worker of this process, commands signed with the data directory's keys. The intruder sends what the
issue reproduced: a `submit` update withdrawing a trajectory as `director:CBCT`, and an
update-with-start in a world seven years back. Both must leave the store as it was. (With payload
encryption the intruder's plain JSON is not even decodable; the assertions hold either way: nothing
accepted, nothing stored.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from temporalio.service import RPCError

from application.trajectories import stream_id
from bootstrap import bootstrap
from domain import OpenTrajectory
from infrastructure import temporal_binaries
from infrastructure.settings import Settings
from tests.second_user import Intruder
from tests.workflows.conftest import settings_url
from workflows.contracts import TASK_QUEUE, trajectory_workflow_id

pytestmark = pytest.mark.slow

INTRUDER_TIMEOUT = 45.0
"""The intruder's `temporal` call may wait on an update that never completes (an undecodable payload
is retried by the worker's workflow task); it is cut off then, which counts as not accepted."""


def _opening(tid: str) -> OpenTrajectory:
    return OpenTrajectory(
        command_id=f"{tid}/open",
        trajectory_id=tid,
        actor="planner:anna",
        organisation="Bibliotheek Twee",
        certificate_number="1042",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2029, 6, 30),
        contact_email="an@bibliotheektwee.example",
    )


async def _as_intruder(intruder: Intruder, argv: list[str]) -> str:
    """Run `argv` as the intruder (off the event loop: this process's worker must keep answering);
    return what it printed. A call cut off after `INTRUDER_TIMEOUT` returns its marker."""
    try:
        done = await asyncio.to_thread(intruder.run, argv, timeout=INTRUDER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "<timed out>"
    said = f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    print(said)  # (shown with -s: what the intruder was told)
    return said


def _accepted(said: str) -> bool:
    """Whether the CLI printed an accepting verdict (as JSON, or as its Go map)."""
    flat = said.replace(" ", "")
    return '"accepted":true' in flat or "accepted:true" in flat


async def _all_events(pool: asyncpg.Pool) -> list[tuple[str, int, str]]:
    rows = await pool.fetch("SELECT stream_id, stream_version, event_type FROM events ORDER BY position")
    return [(r["stream_id"], r["stream_version"], r["event_type"]) for r in rows]


async def test_a_second_user_cannot_submit_as_the_director_nor_start_a_simulated_world(
    intruder: Intruder, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=settings_url(database_url),
        data_dir=tmp_path / "data",
        outbox_dir=tmp_path / "outbox",
        log_level="error",
    )
    temporal = str(intruder.own_copy(temporal_binaries.temporal_cli_path()))
    async with bootstrap(settings, temporal=True) as app:
        access = app.temporal
        address = access.client.service_client.config.target_host
        namespace = access.client.namespace
        assert (await access.trajectories.submit(_opening("t2"))).accepted  # the system's own, signed
        stored = [r.event_type for r in await app.store.read_stream(stream_id("t2"))]
        assert stored and "ParticipationWithdrawn" not in stored
        everything = await _all_events(app.pool)

        withdraw = {
            "command_type": "WithdrawParticipation",
            "command": {
                "command_id": "t2/intruder-withdraw",
                "trajectory_id": "t2",
                "actor": "director:CBCT",
                "reason": "Geen deelname",
            },
        }
        said = await _as_intruder(
            intruder,
            [
                temporal, "workflow", "update", "execute", "--address", address, "--namespace", namespace,
                "-w", trajectory_workflow_id("t2"), "--name", "submit", "--input", json.dumps(withdraw),
            ],
        )  # fmt: skip
        assert not _accepted(said), said
        assert [r.event_type for r in await app.store.read_stream(stream_id("t2"))] == stored, said

        opening = {"command_type": "OpenTrajectory", "command": _opening("t9").model_dump(mode="json")}
        start = {"trajectory_id": "t9", "simulated": True, "world_offset": "-P7Y"}
        said = await _as_intruder(
            intruder,
            [
                temporal, "workflow", "execute-update-with-start", "--address", address, "--namespace", namespace,
                "--workflow-id", trajectory_workflow_id("t9"), "--type", "TrajectoryWorkflow",
                "--task-queue", TASK_QUEUE, "--id-conflict-policy", "UseExisting", "--input", json.dumps(start),
                "--update-name", "submit", "--update-input", json.dumps(opening),
            ],
        )  # fmt: skip
        assert not _accepted(said), said
        assert await app.store.read_stream(stream_id("t9")) == [], said
        assert await _all_events(app.pool) == everything, said  # nothing of 2019, nor of any other time
        # The intruder's workflows are not left running in the data directory's server.
        for tid in ("t2", "t9"):
            with contextlib.suppress(RPCError):  # already ended (t9 fails at its first step)
                await access.client.get_workflow_handle(trajectory_workflow_id(tid)).terminate("test over")
