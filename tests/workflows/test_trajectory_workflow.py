"""`TrajectoryWorkflow`'s own guarantees: arrival order, command-id idempotency, the validator, replay."""

from __future__ import annotations

import asyncio
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.common import RetryPolicy
from temporalio.worker import Replayer

from domain import (
    Command,
    DeclareConflictOfInterest,
    OpenTrajectory,
    RequestPostponement,
    WithdrawParticipation,
)
from tests.payload_keys import replay_converter
from tests.workflows.rig import Rig
from tests.workflows.support import wait_until
from workflows import trajectory as trajectory_workflow
from workflows.client import CommandFailed, rejection_text
from workflows.contracts import SUBMIT, CommandSubmission, trajectory_workflow_id
from workflows.trajectory import TrajectoryWorkflow

pytestmark = pytest.mark.asyncio(loop_scope="session")

HISTORIES = Path(__file__).parent / "histories"


async def open_one(rig: Rig, tid: str = "t-1") -> None:
    await rig.send(
        OpenTrajectory,
        "2025-11-03",
        tid,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 12, 31),
        contact_email="an@bibliotheekhengelo.example",
    )


C = TypeVar("C", bound=Command)


def command(cls: type[C], tid: str, command_id: str, **fields: Any) -> C:
    return cls(command_id=command_id, trajectory_id=tid, actor="test", **fields)


async def test_two_commands_at_once_are_both_answered_in_arrival_order_with_gapless_versions(rig: Rig) -> None:
    await open_one(rig)
    client = await rig.client()
    first, second = await asyncio.gather(
        client.submit(command(DeclareConflictOfInterest, "t-1", "c-a", auditor="Ellen Expert", relation="oud-collega")),
        client.submit(command(RequestPostponement, "t-1", "c-b", ground="overmacht", reason="brand")),
    )
    assert first.accepted and second.accepted, (first, second)
    versions = sorted(v for v in (first.stream_version, second.stream_version) if v is not None)
    assert versions == [2, 3]
    assert [v for v, _, _ in await rig.events("t-1")] == [1, 2, 3]


async def test_the_same_command_id_twice_appends_once_and_answers_with_the_original_events(rig: Rig) -> None:
    await open_one(rig)
    client = await rig.client()
    ask = command(RequestPostponement, "t-1", "c-same", ground="overmacht", reason="brand")
    first = await client.submit(ask)
    again, concurrently = await asyncio.gather(client.submit(ask), client.submit(ask))
    assert first.accepted and not first.duplicate
    for repeat in (again, concurrently):
        assert repeat.accepted and repeat.duplicate
        assert repeat.events == first.events and repeat.stream_version == first.stream_version
    assert [c for _, _, c in await rig.events("t-1")].count("c-same") == 1


async def _history_counts(rig: Rig, tid: str) -> dict[int, int]:
    history = await (await rig.client()).handle(tid).fetch_history()
    counts: dict[int, int] = {}
    for event in history.events:
        counts[event.event_type] = counts.get(event.event_type, 0) + 1
    return counts


async def test_bad_input_is_rejected_by_the_validator_and_nothing_is_written(rig: Rig) -> None:
    """A malformed command, one for another trajectory, or a decision moment in a real world: each is
    refused naming the field, with no update accepted, no activity run, no event stored."""
    await open_one(rig)
    client = await rig.client()
    handle = client.handle("t-1")
    before = await _history_counts(rig, "t-1")
    stored = await rig.events("t-1")
    malformed = {
        "command_type": "RecordIntake",
        "command": {"command_id": "x", "trajectory_id": "t-1", "actor": "a", "locations": ["Centrale"], "employees": 0},
    }
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await handle.execute_update(SUBMIT, malformed)
    assert "contacts" in rejection_text(raised.value) and "employees" in rejection_text(raised.value)
    with pytest.raises(WorkflowUpdateFailedError) as unknown:
        await handle.execute_update(SUBMIT, {"command_type": "DoMagic", "command": {}})
    assert "DoMagic" in rejection_text(unknown.value)
    with pytest.raises(WorkflowUpdateFailedError) as elsewhere:
        _ = await handle.execute_update(
            TrajectoryWorkflow.submit,
            CommandSubmission.of(command(RequestPostponement, "t-2", "c-1", ground="overmacht", reason="x")),
        )
    assert "trajectory_id" in rejection_text(elsewhere.value)
    with pytest.raises(WorkflowUpdateFailedError) as timed:
        _ = await handle.execute_update(
            TrajectoryWorkflow.submit,
            CommandSubmission.of(
                command(RequestPostponement, "t-1", "c-2", ground="overmacht", reason="x"),
                at=await rig.now(),
            ),
        )
    assert "at:" in rejection_text(timed.value)
    after = await _history_counts(rig, "t-1")
    for kind in (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        EventType.EVENT_TYPE_MARKER_RECORDED,  # a local activity's result
    ):
        assert after.get(kind, 0) == before.get(kind, 0), kind
    assert await rig.events("t-1") == stored


async def refuse_appends(rig: Rig, command_id: str) -> None:
    """The store refuses (an error, not a lost connection) every event of `command_id` until `accept_appends`."""
    await rig.pool.execute(
        f"""CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.command_id = '{command_id}' THEN RAISE EXCEPTION 'test: the store refuses it'; END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER test_refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_refuse();"""
    )


async def accept_appends(rig: Rig) -> None:
    await rig.pool.execute("DROP TRIGGER test_refuse ON events; DROP FUNCTION test_refuse()")


async def _failing_attempts(rig: Rig, tid: str) -> list[tuple[str, int]]:
    client = await rig.client()
    response = await client.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.client.namespace, execution=WorkflowExecution(workflow_id=trajectory_workflow_id(tid))
        )
    )
    return [(p.activity_type.name, p.attempt) for p in response.pending_activities if p.attempt >= 3]


async def test_a_deadline_whose_decision_keeps_failing_moves_to_an_activity_that_ops_see_failing(rig: Rig) -> None:
    """A deadline is decided in a local activity; when that keeps failing (here: the store refuses its
    append) it goes on as a regular activity, retried patiently and visible to ops as failing, and is
    appended once when the store takes it again."""
    await open_one(rig, "t-f")
    client = await rig.client()
    due = (await client.status("t-f")).next_deadline
    assert due is not None and due.kind == "announcement"
    await refuse_appends(rig, due.deadline_id)
    # The test server holds skipped time still while the activity is retried: skip in the background.
    passing = asyncio.create_task(rig.until((due.due_at + timedelta(days=1)).date().isoformat()))
    failing = await wait_until(lambda: _failing_attempts(rig, "t-f"), "the deadline to be retried as an activity", 60)
    assert [name for name, _ in failing] == ["trajectory.decide"]
    await accept_appends(rig)
    await asyncio.wait_for(passing, 120)
    await wait_until(lambda: _announced(rig, "t-f"), "the announcement to be appended", 60)
    assert [c for _, _, c in await rig.events("t-f")].count(due.deadline_id) == 1
    assert await _failing_attempts(rig, "t-f") == []


async def test_a_command_whose_decision_keeps_failing_is_answered_as_failed_and_the_next_one_is_decided(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person's command is retried locally (a minute, shortened here); when that runs out the update
    fails as `CommandFailed` naming the cause, nothing is written, and the workflow takes the next."""
    monkeypatch.setattr(
        trajectory_workflow,
        "COMMAND_RETRY",
        RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=2),
    )
    await open_one(rig, "t-c")
    await refuse_appends(rig, "c-refused")
    client = await rig.client()
    with pytest.raises(CommandFailed) as failed:
        await client.submit(command(RequestPostponement, "t-c", "c-refused", ground="overmacht", reason="brand"))
    assert "the store refuses it" in str(failed.value)
    await accept_appends(rig)
    verdict = await client.submit(command(RequestPostponement, "t-c", "c-next", ground="overmacht", reason="brand"))
    assert verdict.accepted
    assert [c for _, _, c in await rig.events("t-c")][1:] == ["c-next"]


async def _announced(rig: Rig, tid: str) -> bool:
    return any(kind == "AnnouncementSent" for _, kind, _ in await rig.events(tid))


@pytest.mark.skipif(os.environ.get("CBCT_RECORD_HISTORY") != "1", reason="records a history: CBCT_RECORD_HISTORY=1")
async def test_record_a_history(rig: Rig) -> None:
    """Record open → announcement, reminders and intake by timer → e-mails → withdrawal as a new file."""
    await open_one(rig, "t-h")
    await rig.until("2026-07-20")
    await rig.send(WithdrawParticipation, "2026-07-21", "t-h", reason="fusie")
    handle = (await rig.client()).handle("t-h")
    await handle.result()
    path = HISTORIES / f"trajectory-withdrawn-{date.today().isoformat()}.json"
    path.write_text((await handle.fetch_history()).to_json(), encoding="utf-8")


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_every_recorded_history_replays_on_the_current_code(path: Path) -> None:
    """Histories recorded by earlier revisions replay on this code without nondeterminism."""
    history = WorkflowHistory.from_json("trajectory:t-h", path.read_text(encoding="utf-8"))  # noqa: ASYNC240
    types = {e.event_type for e in history.events}
    assert EventType.EVENT_TYPE_TIMER_FIRED in types
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED in types
    replayer = Replayer(workflows=[TrajectoryWorkflow], data_converter=replay_converter())
    await replayer.replay_workflow(history)
