"""The Temporal worker for trajectories: `TrajectoryWorkflow` and its activities, bound to one process's
store, service and sender (the composition roots — `worker.py`, the CLI's `bootstrap` — build it)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.email import EmailActivities
from activities.sender import MessageSender
from activities.trajectory import TrajectoryActivities
from application.command_signature import SigningKeys
from application.event_store import EventStore
from application.trajectories import TrajectoryService
from workflows.contracts import TASK_QUEUE
from workflows.trajectory import TrajectoryWorkflow


def trajectory_worker(
    client: Client,
    *,
    store: EventStore,
    service: TrajectoryService,
    sender: MessageSender,
    signing_keys: SigningKeys,
    allow_simulated: bool = False,
    task_queue: str = TASK_QUEUE,
    max_concurrent_activities: int = 32,
    graceful_shutdown_timeout: timedelta = timedelta(0),
) -> Worker:
    """The Temporal worker for trajectories: the workflow and its activities, bound to this process's
    store, service and sender. The client must use `pydantic_data_converter`.

    `signing_keys` verify every submission's signature; `allow_simulated` only for the skipped-time
    worlds of the demo and the scenario runner (a production worker refuses simulated worlds)."""
    trajectory = TrajectoryActivities(
        store, service, sender, signing_keys=signing_keys, allow_simulated=allow_simulated
    )
    email = EmailActivities(sender, store)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[trajectory.decide, trajectory.survey, email.send],
        max_concurrent_activities=max_concurrent_activities,
        graceful_shutdown_timeout=graceful_shutdown_timeout,
    )
