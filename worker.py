"""The worker process (`python -m worker`): projections, the deadline dispatcher and e-mail delivery.

Composition root: logging → `bootstrap(launch_workflows=True)` (database, store, services, DBOS, which
recovers the workflows a previous run left PENDING) → every projection as a task → the DBOS dispatch
schedule. SIGTERM / SIGINT stop it gracefully: no new dispatches, running workflows finish (up to
`shutdown_grace_seconds`; what does not finish stays PENDING and is recovered by the next start),
projections stop after their current batch, then DBOS and the embedded Postgres are shut down.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.email import EmailActivities
from activities.sender import MessageSender
from activities.trajectory import TrajectoryActivities
from application.event_store import EventStore
from application.trajectories import TrajectoryService
from bootstrap import bootstrap
from infrastructure.logging import bind_operation, configure_logging, get_logger
from infrastructure.settings import Settings
from workflows import engine
from workflows.contracts import TASK_QUEUE
from workflows.dispatcher import apply_schedule
from workflows.trajectory import TrajectoryWorkflow

log = get_logger("worker")

ADOPT_EVERY_SECONDS = 10.0

# The pure domain (and the calendars it reads) is passed through the workflow sandbox: it is
# deterministic, and re-importing it per workflow costs ~130 ms and fails on `holidays`' locale calls.
PASSTHROUGH = ("domain", "holidays", "dateutil", "application", "frameworks", "pydantic", "pydantic_core")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))


def trajectory_worker(
    client: Client,
    *,
    store: EventStore,
    service: TrajectoryService,
    sender: MessageSender,
    task_queue: str = TASK_QUEUE,
    max_concurrent_activities: int = 32,
) -> Worker:
    """The Temporal worker for trajectories: the workflow and its activities, bound to this process's
    store, service and sender. The client must use `pydantic_data_converter`."""
    trajectory = TrajectoryActivities(store, service)
    email = EmailActivities(sender, store)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TrajectoryWorkflow],
        activities=[trajectory.decide, trajectory.survey, email.send],
        workflow_runner=workflow_runner(),
        max_concurrent_activities=max_concurrent_activities,
    )


async def adopt_orphans(grace_seconds: float, stop: asyncio.Event) -> None:
    """Now and then take over what dead short-lived processes (CLI) left PENDING."""
    while not stop.is_set():
        try:
            adopted = await engine.adopt_orphans(grace_seconds)
            if adopted:
                log.info("orphans_adopted", workflow_ids=adopted)
        except Exception as error:  # the database may be restarting: try again next time
            log.warning("adopt_orphans_failed", error=str(error))
        try:
            await asyncio.wait_for(stop.wait(), ADOPT_EVERY_SECONDS)
        except TimeoutError:
            continue


async def run(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then shut down in order."""
    if not settings.executor_id:  # a stable id: a restarted worker recovers its own PENDING workflows
        settings = settings.model_copy(update={"executor_id": engine.WORKER_EXECUTOR})
    async with bootstrap(settings, launch_workflows=True) as app:
        await apply_schedule(settings.dispatch_interval_cron)
        halt_projections = asyncio.Event()
        projections = [
            asyncio.create_task(app.projections.run(name, halt_projections), name=f"projection:{name}")
            for name in app.projections.names
        ]
        halt_adopter = asyncio.Event()
        adopter = asyncio.create_task(adopt_orphans(settings.orphan_grace_seconds, halt_adopter))
        log.info(
            "worker_started",
            projections=app.projections.names,
            dispatch=settings.dispatch_interval_cron,
            clock=settings.clock,
            application_version=settings.application_version,
            executor_id=settings.executor_id,
        )
        done = asyncio.create_task(stop.wait())
        await asyncio.wait([done, *projections], return_when=asyncio.FIRST_COMPLETED)
        crashed = [t for t in projections if t.done() and not t.cancelled() and t.exception() is not None]
        for task in crashed:
            log.error("projection_crashed", task=task.get_name(), error=repr(task.exception()))
        log.info("worker_stopping")
        halt_adopter.set()
        engine.begin_draining()
        unfinished = await engine.drain(settings.shutdown_grace_seconds)
        if unfinished:
            log.warning("workflows_left_pending", workflow_ids=unfinished)
        halt_projections.set()
        await asyncio.gather(*projections, adopter, return_exceptions=True)
        done.cancel()
    log.info("worker_stopped")
    if crashed:  # a supervisor restarts the worker; the projection resumes from its checkpoint
        raise RuntimeError(f"projections crashed: {', '.join(t.get_name() for t in crashed)}")


async def _main() -> None:
    settings = Settings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with bind_operation(process="worker"):
        await run(settings, stop)


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        asyncio.run(_main())
    except Exception as error:
        log.exception("worker_failed", error=str(error))
        sys.exit(1)


if __name__ == "__main__":
    main()
