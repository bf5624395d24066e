"""How the rest of the system talks to trajectories' workflows: submit a command, start, look.

`TrajectoryClient.submit(command)` is update-with-start: it delivers the command as the `submit`
update to the trajectory's running workflow, starting the workflow first when none runs (the opening
command, or any command after a closed trajectory's workflow ended). The answer is the workflow's
`Verdict`. Transient refusals by the server (too many updates in flight on one workflow, a workflow
that ended between our start and our update) are retried with the same update id, so a retry is
never a second command.

Every submission is signed (`application/command_signature.py`) by the `signer` the client is built
with — the process's signing keys — and the decide activity refuses one that is not. A client without
a signer can start and look at workflows, not submit.

For simulated worlds (the demo, rehearsals) build the client with `world_offset` (added to Temporal's
clock to form the domain's now) and `simulated=True` (a submission may then carry its own moment,
`at`). The offset takes effect when a workflow starts: a workflow already running keeps its own.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from application.command_signature import CommandSigner
from domain import Command
from workflows.contracts import (
    COMMAND_FAILED,
    NEXT_DEADLINE_ATTRIBUTE,
    ORGANISATION_ATTRIBUTE,
    PHASE_ATTRIBUTE,
    TASK_QUEUE,
    CommandSubmission,
    RefreshRequest,
    TrajectoryEnded,
    TrajectoryInput,
    TrajectoryStatus,
    Verdict,
    trajectory_workflow_id,
)
from workflows.trajectory import TrajectoryWorkflow

RETRIES = 20


class CommandInputRejected(ValueError):
    """The workflow's validator refused the submission (malformed, or for another trajectory)."""


class CommandFailed(RuntimeError):
    """The command could not be decided: its activity kept failing (e.g. the database is away) until
    its retries ran out. Nothing was appended that a retry with the same command id would repeat."""


class TrajectoryClient:
    """Commands and status of trajectories' workflows, on one Temporal client and task queue."""

    def __init__(
        self,
        client: Client,
        *,
        task_queue: str = TASK_QUEUE,
        signer: CommandSigner | None = None,
        world_offset: timedelta = timedelta(0),
        simulated: bool = False,
    ) -> None:
        self.client = client
        self.signer = signer
        self.task_queue = task_queue
        self.world_offset = world_offset
        self.simulated = simulated

    def start_input(self, trajectory_id: str) -> TrajectoryInput:
        return TrajectoryInput(trajectory_id=trajectory_id, world_offset=self.world_offset, simulated=self.simulated)

    def _start(self, trajectory_id: str) -> WithStartWorkflowOperation[TrajectoryWorkflow, object]:
        return WithStartWorkflowOperation(
            TrajectoryWorkflow.run,
            self.start_input(trajectory_id),
            id=trajectory_workflow_id(trajectory_id),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            task_queue=self.task_queue,
        )

    async def submit(self, command: Command, *, at: datetime | None = None, update_id: str | None = None) -> Verdict:
        """Deliver `command` to its trajectory's workflow (starting it when needed) and return the verdict.

        Raises `CommandInputRejected` when the workflow's validator refuses it. The submission is signed
        with the client's signer (the decide activity refuses an unsigned one).
        """
        if self.signer is None:
            raise RuntimeError("this TrajectoryClient has no signer: it can look, not submit")
        submission = CommandSubmission.of(command, at=at).signed(self.signer)
        update_id = update_id or f"{command.command_id}/{uuid.uuid4().hex[:12]}"
        for attempt in range(RETRIES):
            try:
                return await self.client.execute_update_with_start_workflow(
                    TrajectoryWorkflow.submit,  # type: ignore[arg-type]  # (the SDK's stub wants a sync handler)
                    submission,
                    start_workflow_operation=self._start(command.trajectory_id),
                    id=update_id,
                )
            except WorkflowUpdateFailedError as error:
                text = rejection_text(error)
                if isinstance(error.cause, ActivityError) or (
                    isinstance(error.cause, ApplicationError) and error.cause.type == COMMAND_FAILED
                ):
                    raise CommandFailed(text) from None
                if "completed" in text.lower() and attempt + 1 < RETRIES:
                    continue  # the run ended just as we arrived: the next attempt starts a new run
                raise CommandInputRejected(text) from None
            except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
                if _caller_gave_up():  # the SDK turns our cancellation into this error: stop, do not retry
                    raise asyncio.CancelledError from error
                if (isinstance(error, RPCError) and error.status not in _RETRYABLE) or attempt + 1 >= RETRIES:
                    raise
                await asyncio.sleep(min(0.05 * 2**attempt, 2.0))
        raise AssertionError("unreachable")

    async def start(self, trajectory_id: str) -> None:
        """Start the trajectory's workflow unless one runs (idempotent: a running one is left as it is)."""
        await self.client.start_workflow(
            TrajectoryWorkflow.run,
            self.start_input(trajectory_id),
            id=trajectory_workflow_id(trajectory_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    def handle(self, trajectory_id: str) -> WorkflowHandle[TrajectoryWorkflow, TrajectoryEnded]:
        return self.client.get_workflow_handle_for(TrajectoryWorkflow.run, trajectory_workflow_id(trajectory_id))

    async def status(self, trajectory_id: str) -> TrajectoryStatus:
        return await self.handle(trajectory_id).query(TrajectoryWorkflow.status)

    async def refresh(self, trajectory_id: str, store_version: int) -> TrajectoryStatus:
        """Have the running workflow read its schedule from the store again (it missed events up to
        `store_version`); one update per version, however often it is asked."""
        return await self.handle(trajectory_id).execute_update(
            TrajectoryWorkflow.refresh,  # type: ignore[arg-type]  # (the SDK's stub wants a sync handler)
            RefreshRequest(store_version=store_version),
            id=f"refresh/{store_version}",
        )


async def ensure_search_attributes(client: Client) -> None:
    """Register the workflow's search attributes in the client's namespace unless they are there
    (the embedded dev server registers them at start; a test server or a fresh cluster may not)."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest

    kinds = {
        PHASE_ATTRIBUTE: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ORGANISATION_ATTRIBUTE: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        NEXT_DEADLINE_ATTRIBUTE: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    }
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {k: v for k, v in kinds.items() if k not in listed.custom_attributes}
    except RPCError as error:  # the time-skipping test server only knows how to add them
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = kinds
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise


def rejection_text(error: WorkflowUpdateFailedError) -> str:
    """Why the workflow refused an update: the messages of the failure and its causes (the innermost
    names the field and the rule)."""
    parts: list[str] = []
    cause: BaseException | None = error.cause
    while cause is not None:
        message = str(getattr(cause, "message", None) or cause)
        if message and message not in parts:
            parts.append(message)
        cause = cause.__cause__
    return " — ".join(parts) or str(error)


_RETRYABLE = {RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.ABORTED}


def _caller_gave_up() -> bool:
    """Whether the running task was cancelled (a caller's timeout): the SDK reports that as a
    `WorkflowUpdateRPCTimeoutOrCancelledError`, which must then end the submission, not retry it."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
