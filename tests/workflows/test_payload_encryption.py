"""Issue 18, case 2: every payload on the Temporal server is ciphertext, and a client without the payload
key can neither read a trajectory's history nor get a command accepted — nor wedge the workflow for the
next legitimate command (a codec that raised on a plain payload would fail the workflow task, and every
later update would be refused "due to Workflow Task in failed state"; measured, see notes/temporal.md).

The intruder is a client on the same server with the plain pydantic converter: what the `temporal` CLI
or any SDK sends without our key.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from domain import Command, OpenTrajectory, WithdrawParticipation
from infrastructure.payload_codec import ENCODING, REFUSED_ERROR_TYPE
from infrastructure.temporal_binaries import temporal_cli_path
from tests.second_user import Intruder
from tests.workflows.rig import Rig
from workflows.contracts import CommandSubmission, TrajectoryInput, trajectory_workflow_id
from workflows.trajectory import TrajectoryWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _plain(rig: Rig) -> Client:
    """A client on the same server without the payload key: what the `temporal` CLI or any SDK sends."""
    return Client(
        rig.env.client.service_client, namespace=rig.env.client.namespace, data_converter=pydantic_data_converter
    )


async def _intrude(
    rig: Rig, command: Command, *, world_offset: timedelta = timedelta(0), simulated: bool = False
) -> Any:
    """Submit `command` as `TrajectoryClient.submit` does (update-with-start), but without the payload key."""
    plain = _plain(rig)
    start = WithStartWorkflowOperation(
        TrajectoryWorkflow.run,
        TrajectoryInput(trajectory_id=command.trajectory_id, world_offset=world_offset, simulated=simulated),
        id=trajectory_workflow_id(command.trajectory_id),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_queue=rig.task_queue,
    )
    return await plain.execute_update_with_start_workflow(
        TrajectoryWorkflow.submit,
        CommandSubmission.of(command),
        start_workflow_operation=start,
    )


async def _open(rig: Rig, tid: str) -> None:
    await rig.send(
        OpenTrajectory,
        "2025-11-03",
        tid,
        organisation="Bibliotheek Geheim",
        certificate_number="1077",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 12, 31),
        contact_email="an@geheim.example",
    )


def _refused(error: BaseException) -> bool:
    cause = error.cause if isinstance(error, WorkflowUpdateFailedError | WorkflowFailureError) else None
    return isinstance(cause, ApplicationError) and cause.type == REFUSED_ERROR_TYPE


async def test_a_plain_update_is_refused_and_the_next_legitimate_command_still_gets_its_verdict(rig: Rig) -> None:
    await _open(rig, "t-p")
    before = await rig.events("t-p")
    withdraw = WithdrawParticipation(command_id="t-p/evil", trajectory_id="t-p", actor="director:CBCT", reason="weg")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await _intrude(rig, withdraw)
    assert _refused(refused.value)
    assert "Bibliotheek" not in str(refused.value.cause)  # the intruder cannot read the answer either
    assert await rig.events("t-p") == before  # nothing stored

    verdict = await rig.send(WithdrawParticipation, "2025-11-20", "t-p", reason="fusie")
    assert verdict.accepted
    assert {command for _, _, command in await rig.events("t-p")} - {c for _, _, c in before} == {verdict.command_id}


async def test_a_plain_start_of_a_simulated_world_fails_its_workflow_and_stores_nothing(rig: Rig) -> None:
    plain = _plain(rig)
    start = TrajectoryInput(trajectory_id="t-q", world_offset=-timedelta(days=7 * 365), simulated=True)
    await plain.start_workflow(
        TrajectoryWorkflow.run, start, id=trajectory_workflow_id("t-q"), task_queue=rig.task_queue
    )
    handle = rig.env.client.get_workflow_handle(trajectory_workflow_id("t-q"))
    with pytest.raises(WorkflowFailureError) as failed:  # the workflow fails: its task does not retry for ever
        await handle.result()
    assert _refused(failed.value)
    assert await rig.events("t-q") == []


async def test_the_history_holds_only_ciphertext(rig: Rig) -> None:
    await _open(rig, "t-h")
    history = await rig.env.client.get_workflow_handle(trajectory_workflow_id("t-h")).fetch_history()
    raw = history.to_json()
    assert "Bibliotheek Geheim" not in raw and "geheim.example" not in raw
    started = history.events[0].workflow_execution_started_event_attributes
    assert [p.metadata["encoding"] for p in started.input.payloads] == [ENCODING]


async def test_another_os_user_with_the_temporal_cli_gets_nothing_accepted_and_reads_nothing(
    rig: Rig, intruder: Intruder
) -> None:
    """Issue 18's reproduction: `temporal workflow update execute ... --name submit` as a second user."""
    await _open(rig, "t-i")
    before = await rig.events("t-i")
    cli = str(intruder.own_copy(temporal_cli_path()))
    server = ["--address", rig.env.client.service_client.config.target_host, "--namespace", rig.env.client.namespace]
    withdraw = WithdrawParticipation(command_id="t-i/evil", trajectory_id="t-i", actor="director:CBCT", reason="weg")
    submission = json.dumps(CommandSubmission.of(withdraw).model_dump(mode="json"))
    update = [cli, "workflow", "update", "execute", *server, "-w", "trajectory:t-i", "--name", "submit"]
    result = await asyncio.to_thread(intruder.run, [*update, "--input", submission])
    assert result.returncode != 0, result.stdout
    assert await rig.events("t-i") == before

    shown = await asyncio.to_thread(
        intruder.run, [cli, "workflow", "show", *server, "-w", "trajectory:t-i", "-o", "json"]
    )
    assert shown.returncode == 0, shown.stderr  # it can reach the server (see README), but reads no payload
    assert "trajectory:t-i" in shown.stdout or "t-i" in shown.stdout
    assert "Bibliotheek Geheim" not in shown.stdout and "geheim.example" not in shown.stdout

    verdict = await rig.send(WithdrawParticipation, "2025-11-20", "t-i", reason="fusie")
    assert verdict.accepted
