"""Ops on the trajectories' workflows: list, show, failed, retry, reconcile — on Temporal's visibility.

- `reconcile` makes the event store the truth: every open trajectory in the store gets its running
  workflow (started when missing, idempotent), so workflows lost with Temporal's data come back, each
  with its next timer (the workflow asks the store for its schedule when it starts); a running one
  whose schedule was read at a stream version behind the store's (it missed an event: an update the
  server lost in a crash) is refreshed. The worker runs it at start and every
  `CBCT_RECONCILE_INTERVAL_SECONDS` (`reconcile_every`).
- `failing_activities` finds running workflows whose activities keep failing (attempt ≥ 3): Temporal
  retries them on its own with backoff; ops see why they fail here and in the Web UI.
- `retry` starts a trajectory's workflow again after it failed, was terminated or timed out (for an
  open trajectory); a running workflow retries its failing activity by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import PendingActivityState, WorkflowExecutionStatus
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from application.trajectories import STREAM_PREFIX, TrajectoryService
from infrastructure.logging import get_logger
from workflows.client import TrajectoryClient
from workflows.contracts import (
    NEXT_DEADLINE_ATTRIBUTE,
    ORGANISATION_ATTRIBUTE,
    PHASE_ATTRIBUTE,
    WORKFLOW_TYPE,
    trajectory_id_of_workflow,
    trajectory_workflow_id,
)

log = get_logger(__name__)

FAILING_AFTER_ATTEMPTS = 3
CONCURRENT = 16
_STATUS_NAMES = {
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING: "Running",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED: "Completed",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED: "Failed",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED: "Canceled",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED: "Terminated",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: "ContinuedAsNew",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: "TimedOut",
}
FAILED_STATUSES = ("Failed", "Terminated", "TimedOut", "Canceled")


class WorkflowNotFound(LookupError, ValueError):
    """No workflow has this id."""


@dataclass(frozen=True)
class WorkflowRow:
    """A trajectory's workflow as ops see it."""

    workflow_id: str
    trajectory_id: str | None
    status: str
    phase: str | None
    organisation: str | None
    next_deadline: datetime | None
    started_at: datetime | None
    closed_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FailingActivity:
    """An activity of a running workflow that keeps failing."""

    workflow_id: str
    trajectory_id: str | None
    activity: str
    attempt: int
    state: str
    last_failure: str | None
    next_attempt_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def _first(values: Any) -> Any:
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values


def _query(status: str | None, phase: str | None, organisation: str | None) -> str:
    parts = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    if status:
        parts.append(f"ExecutionStatus = '{_quote(status)}'")
    if phase:
        parts.append(f"{PHASE_ATTRIBUTE} = '{_quote(phase)}'")
    if organisation:
        parts.append(f"{ORGANISATION_ATTRIBUTE} = '{_quote(organisation)}'")
    return " AND ".join(parts)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


async def list_workflows(
    client: Client,
    *,
    status: str | None = "Running",
    phase: str | None = None,
    organisation: str | None = None,
    limit: int = 100,
) -> list[WorkflowRow]:
    """Trajectories' workflows from Temporal's visibility, newest first."""
    rows: list[WorkflowRow] = []
    async for execution in client.list_workflows(_query(status, phase, organisation), limit=limit):
        attributes = execution.search_attributes
        rows.append(
            WorkflowRow(
                workflow_id=execution.id,
                trajectory_id=trajectory_id_of_workflow(execution.id),
                status=execution.status.name.title().replace("_", "") if execution.status else "Unknown",
                phase=_first(attributes.get(PHASE_ATTRIBUTE)),
                organisation=_first(attributes.get(ORGANISATION_ATTRIBUTE)),
                next_deadline=_first(attributes.get(NEXT_DEADLINE_ATTRIBUTE)),
                started_at=execution.start_time,
                closed_at=execution.close_time,
            )
        )
    return rows


def workflow_id_for(name: str) -> str:
    """A workflow id, or a trajectory id turned into its workflow's id."""
    return name if trajectory_id_of_workflow(name) is not None else trajectory_workflow_id(name)


async def raw_status(client: Client, workflow_id: str) -> str | None:
    """The latest run's status by name, None when no workflow has the id (read raw: no search
    attribute decoding, which the time-skipping test server's datetimes would fail)."""
    response = await _describe(client, workflow_id)
    return None if response is None else _STATUS_NAMES.get(response.workflow_execution_info.status, "Unknown")


async def _describe(client: Client, workflow_id: str) -> DescribeWorkflowExecutionResponse | None:
    """The latest run of `workflow_id` as the server describes it; None when no workflow has the id."""
    try:
        return await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
            )
        )
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def show_workflow(client: Client, name: str) -> dict[str, Any]:
    """One workflow: its status, what it waits for (query), and its pending activities."""
    workflow_id = workflow_id_for(name)
    response = await _describe(client, workflow_id)
    if response is None:
        raise WorkflowNotFound(f"workflow_id: geen workflow {workflow_id!r}")
    info = response.workflow_execution_info
    status = _STATUS_NAMES.get(info.status, "Unknown")
    shown: dict[str, Any] = {
        "workflow_id": workflow_id,
        "run_id": info.execution.run_id,
        "status": status,
        "started_at": info.start_time.ToDatetime().isoformat() if info.HasField("start_time") else None,
        "history_length": info.history_length,
        "pending_activities": [
            (await _activity(client, workflow_id, p)).as_dict() for p in response.pending_activities
        ],
    }
    if status == "Running":
        trajectory_id = trajectory_id_of_workflow(workflow_id)
        if trajectory_id is not None:
            with_status = await TrajectoryClient(client).status(trajectory_id)
            shown["trajectory"] = with_status.model_dump(mode="json")
    return shown


async def _failure_message(client: Client, failure: Failure) -> str:
    """A failure's own message: the codec keeps it encrypted on the server ("Encoded failure")."""
    copy = Failure()
    copy.CopyFrom(failure)
    return str(await client.data_converter.decode_failure(copy))


async def _activity(client: Client, workflow_id: str, pending: Any) -> FailingActivity:
    failure = await _failure_message(client, pending.last_failure) if pending.HasField("last_failure") else None
    return FailingActivity(
        workflow_id=workflow_id,
        trajectory_id=trajectory_id_of_workflow(workflow_id),
        activity=pending.activity_type.name,
        attempt=pending.attempt,
        state=PendingActivityState.Name(pending.state).removeprefix("PENDING_ACTIVITY_STATE_").lower(),
        last_failure=failure,
        next_attempt_at=pending.next_attempt_schedule_time.ToDatetime()
        if pending.HasField("next_attempt_schedule_time")
        else None,
    )


async def failing_activities(client: Client, *, limit: int = 1000) -> list[FailingActivity]:
    """Activities of running trajectories' workflows that failed at least `FAILING_AFTER_ATTEMPTS - 1`
    times and are being retried."""
    ids = [execution.id async for execution in _running(client, limit)]
    gate = asyncio.Semaphore(CONCURRENT)

    async def one(workflow_id: str) -> list[FailingActivity]:
        async with gate:
            try:
                response = await client.workflow_service.describe_workflow_execution(
                    DescribeWorkflowExecutionRequest(
                        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
                    )
                )
            except RPCError:
                return []
            return [
                await _activity(client, workflow_id, p)
                for p in response.pending_activities
                if p.attempt >= FAILING_AFTER_ATTEMPTS
            ]

    found = await asyncio.gather(*(one(i) for i in ids))
    return [a for batch in found for a in batch]


async def _running(client: Client, limit: int) -> Any:
    async for execution in client.list_workflows(_query("Running", None, None), limit=limit):
        yield execution


async def failed_workflows(client: Client, *, limit: int = 100) -> list[WorkflowRow]:
    """Trajectories' workflows that ended Failed, Terminated, TimedOut or Canceled and were not started
    again since (their latest run is not running)."""
    rows: list[WorkflowRow] = []
    seen: set[str] = set()
    for status in FAILED_STATUSES:
        for row in await list_workflows(client, status=status, limit=limit):
            if row.workflow_id in seen:
                continue
            seen.add(row.workflow_id)
            if await raw_status(client, row.workflow_id) == status:
                rows.append(row)
    return rows[:limit]


async def open_trajectories(pool: asyncpg.Pool, service: TrajectoryService) -> list[str]:
    """Every trajectory the event store holds as open (folded from its stream: the store is the truth),
    except those of a simulated world (`cbct demo`), whose clock stands still where the world stopped."""
    streams = await pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE $1"
        " AND substr(stream_id, length($2) + 1) NOT IN (SELECT trajectory_id FROM simulated_trajectories)"
        " ORDER BY stream_id",
        f"{STREAM_PREFIX}%",
        STREAM_PREFIX,
    )
    ids = [r["stream_id"].removeprefix(STREAM_PREFIX) for r in streams]
    open_ids: list[str] = []
    for trajectory_id in ids:
        state = await service.state(trajectory_id)
        if state is not None and state.is_open:
            open_ids.append(trajectory_id)
    return open_ids


async def stream_versions(pool: asyncpg.Pool, trajectory_ids: Sequence[str]) -> dict[str, int]:
    """Each trajectory's stream version in the store."""
    rows = await pool.fetch(
        "SELECT stream_id, max(stream_version) AS version FROM events WHERE stream_id = ANY($1::text[])"
        " GROUP BY stream_id",
        [f"{STREAM_PREFIX}{t}" for t in trajectory_ids],
    )
    return {r["stream_id"].removeprefix(STREAM_PREFIX): int(r["version"]) for r in rows}


async def reconcile(pool: asyncpg.Pool, service: TrajectoryService, trajectories: TrajectoryClient) -> list[str]:
    """Start a workflow for every open trajectory that has none running, and refresh each running one
    whose schedule is behind the store; return the ids started."""
    gate = asyncio.Semaphore(CONCURRENT)
    open_ids = await open_trajectories(pool, service)
    versions = await stream_versions(pool, open_ids)
    refreshed: list[str] = []

    async def one(trajectory_id: str) -> str | None:
        async with gate:
            if await raw_status(trajectories.client, trajectory_workflow_id(trajectory_id)) == "Running":
                if await _refresh_if_behind(trajectories, trajectory_id, versions.get(trajectory_id)):
                    refreshed.append(trajectory_id)
                return None
            await trajectories.start(trajectory_id)
            return trajectory_id

    started = [t for t in await asyncio.gather(*(one(t) for t in open_ids)) if t]
    if started or refreshed:
        log.info(
            "workflows_reconciled",
            started=len(started),
            refreshed=len(refreshed),
            trajectory_ids=(started + refreshed)[:20],
        )
    return started


async def _refresh_if_behind(trajectories: TrajectoryClient, trajectory_id: str, store_version: int | None) -> bool:
    """Refresh the workflow when its schedule was read before the store's last event (or, read by an
    older revision, carries no version); one that has not read it yet will read it anyway."""
    if store_version is None:
        return False
    try:
        status = await trajectories.status(trajectory_id)
        if status.open is None or (status.version is not None and status.version >= store_version):
            return False
        await trajectories.refresh(trajectory_id, store_version)
    except Exception as error:  # one workflow that does not answer now is not the others' problem
        log.warning("workflow_refresh_failed", trajectory_id=trajectory_id, error=str(error) or type(error).__name__)
        return False
    return True


async def reconcile_every(
    interval: float, pool: asyncpg.Pool, service: TrajectoryService, trajectories: TrajectoryClient
) -> None:
    """`reconcile` every `interval` seconds until cancelled (the worker's own task); a failed round is
    logged, and the next one tries again."""
    while True:
        await asyncio.sleep(interval)
        try:
            await reconcile(pool, service, trajectories)
        except Exception as error:
            log.warning("reconcile_failed", error=str(error) or type(error).__name__)


async def retry(pool: asyncpg.Pool, service: TrajectoryService, trajectories: TrajectoryClient, name: str) -> str:
    """Start a trajectory's workflow again after it ended without finishing its trajectory. Returns
    what was done: 'started', 'running' (it retries by itself) or 'closed' (nothing left to do)."""
    workflow_id = workflow_id_for(name)
    trajectory_id = trajectory_id_of_workflow(workflow_id)
    status = await raw_status(trajectories.client, workflow_id)
    if status is None or trajectory_id is None:
        raise WorkflowNotFound(f"workflow_id: geen workflow {workflow_id!r}")
    if status == "Running":
        return "running"
    state = await service.state(trajectory_id)
    if state is None or not state.is_open:
        return "closed"
    await trajectories.start(trajectory_id)
    return "started"


def summarize(rows: Sequence[WorkflowRow]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in rows]
