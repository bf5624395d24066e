"""The worker process (`python -m worker`): trajectories' workflows and activities, and the projections.

Composition root: logging → `Readiness` → `bootstrap` (database, store, service, projections) → Temporal
(`CBCT_TEMPORAL_ADDRESS`, else the embedded dev server in `CBCT_DATA_DIR`), supervised: a lost server is
revived or waited for, and the readiness says so) → the Temporal worker (`TrajectoryWorkflow` and its
activities, bound to this process's store, service and sender) → every projection as a task →
`reconcile` (every open trajectory in the store gets its running workflow, brought up to the store, at start
and every `CBCT_RECONCILE_INTERVAL_SECONDS`) → the readiness file that
`python -m worker --check` reads. Several workers on one task queue share the work; when one dies,
Temporal hands its work to the others.

SIGTERM / SIGINT stop it gracefully: the worker stops polling, running activities get
`shutdown_grace_seconds` to finish (what does not is retried by another worker, idempotently), the
projections stop after their current batch, then Temporal and the database connections are released.
The grace bounds the exit: what still runs after it (a local activity retrying a decision) is
abandoned; the next worker decides it once, by its command id.

With the embedded Postgres, this process owns the server's life: a `PostgresKeeper` restarts it within
about a second when its postmaster dies.

`cbct serve` runs this same machinery with a *companion* (its HTTP server): `run(..., companion=...)`
enters it once the worker runs, watches it like the worker's own tasks, and leaves it first on the way
down (the HTTP server stops accepting and lets its requests finish), before the worker stops as above.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bootstrap import App, bootstrap, sender_for
from infrastructure import readiness_file
from infrastructure.logging import bind_operation, configure_logging, get_logger
from infrastructure.postgres_keeper import PostgresKeeper
from infrastructure.process_end import end_process
from infrastructure.readiness import Readiness
from infrastructure.settings import Settings
from infrastructure.settings_errors import mask, settings_or_exit
from infrastructure.startup_heap import freeze_startup_heap
from workflows.contracts import TASK_QUEUE
from workflows.worker_factory import trajectory_worker

if TYPE_CHECKING:
    from infrastructure.temporal_supervisor import TemporalSupervisor

log = get_logger("worker")

SHUTDOWN_MARGIN_SECONDS = 0.5
"""After the grace: time for the SDK to cancel activities and report them, before we abandon them."""


@dataclass(frozen=True)
class Running:
    """What a running worker process holds, for its companion: the app, the supervised Temporal
    connection (its `client` may be replaced when the embedded server moves) and the readiness."""

    settings: Settings
    app: App
    temporal: TemporalSupervisor
    readiness: Readiness
    identity: str


Companion = Callable[[Running], AbstractAsyncContextManager["asyncio.Task[None]"]]
"""Something that runs beside the worker (`cbct serve`'s HTTP server): entered once the worker runs, it
yields a task whose end (a crash) stops the process; it is exited first when the process stops."""


async def run(
    settings: Settings,
    stop: asyncio.Event,
    *,
    companion: Companion | None = None,
    name: str = "worker",
    ui_codec_endpoint: str | None = None,
) -> None:
    """Run until `stop` is set, then shut down in order (the companion first, when there is one).

    `name` is the process's role in its Temporal identity; `ui_codec_endpoint` is handed to the embedded
    Temporal Web UI (the codec of `cbct serve`), when this process starts that server."""
    from infrastructure.keyring import signing_keys
    from infrastructure.temporal_supervisor import supervised_temporal
    from interfaces.following_trajectories import FollowingTrajectories
    from interfaces.workflow_ops import reconcile, reconcile_every
    from workflows.client import ensure_search_attributes

    identity = f"{name}@{socket.gethostname()}:{os.getpid()}"
    readiness = Readiness()  # marked by the components that lose what they need; read by `--check`
    async with (
        bootstrap(settings) as app,
        supervised_temporal(settings, readiness, identity=identity, ui_codec_endpoint=ui_codec_endpoint) as temporal,
        contextlib.AsyncExitStack() as beside,
    ):
        client = temporal.client
        halt_keeper = asyncio.Event()
        pg_keeper = (
            asyncio.create_task(PostgresKeeper(app.database.embedded, readiness).run(halt_keeper), name="pg-keeper")
            if app.database.embedded is not None
            else None
        )
        try:
            await ensure_search_attributes(client)
        except Exception as error:  # a cluster may not let us: its operators register them
            log.warning("search_attributes_not_registered", error=str(error))
        worker = trajectory_worker(
            client,
            store=app.store,
            service=app.service,
            sender=sender_for(settings),
            signing_keys=signing_keys(settings),  # verifies every submission's signature
            graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        )
        halt_projections = asyncio.Event()
        projections = [
            asyncio.create_task(app.projections.run(name, halt_projections), name=f"projection:{name}")
            for name in app.projections.names
        ]
        polling = asyncio.create_task(worker.run(), name="temporal-worker")
        keepers = [
            asyncio.create_task(temporal.keep(worker), name="temporal-supervisor"),
            asyncio.create_task(readiness_file.publish(readiness, settings.data_dir), name="readiness-file"),
        ]
        following = FollowingTrajectories(temporal)  # a revived server on another address is followed
        try:
            started = await reconcile(app.pool, app.service, following)
        except Exception as error:  # not fatal: `cbct workflows reconcile` does the same later
            log.warning("reconcile_failed", error=str(error))
            started = []
        reconciling = asyncio.create_task(
            reconcile_every(settings.reconcile_interval_seconds, app.pool, app.service, following),
            name="reconcile",
        )
        log.info(
            "worker_started",
            task_queue=TASK_QUEUE,
            namespace=client.namespace,
            web_ui=temporal.ui,
            projections=app.projections.names,
            reconciled=len(started),
        )
        done = asyncio.create_task(stop.wait())
        companions: list[asyncio.Task[None]] = []
        if companion is not None and not stop.is_set():
            companions.append(await beside.enter_async_context(companion(Running(settings, app, temporal, readiness,
                                                                                 identity))))  # fmt: skip
        log.info("heap_frozen", objects=freeze_startup_heap())  # no full collection walks it again
        watched = [polling, *keepers, *projections, *companions]
        await asyncio.wait([done, *watched], return_when=asyncio.FIRST_COMPLETED)
        crashed = [t for t in [polling, *keepers, *projections] if t.done() and not t.cancelled() and t.exception()]
        crashed += [t for t in companions if t.done() and not stop.is_set()]  # it may only end when told to
        for task in crashed:
            log.error("worker_task_crashed", task=task.get_name(), error=repr(_outcome(task)))
        await beside.aclose()  # the companion first: no new work comes in while the worker stops
        log.info("worker_stopping")
        reconciling.cancel()
        halt_projections.set()
        shutdown = asyncio.create_task(worker.shutdown(), name="temporal-shutdown") if not polling.done() else None
        within = settings.shutdown_grace_seconds + SHUTDOWN_MARGIN_SECONDS
        _, pending = await asyncio.wait([polling, *projections, *([shutdown] if shutdown else [])], timeout=within)
        if pending:  # the grace bounds the exit: the next worker decides what was abandoned, by command id
            log.warning("worker_shutdown_abandoned", grace_seconds=settings.shutdown_grace_seconds,
                        tasks=sorted(t.get_name() for t in pending))  # fmt: skip
            for task in pending:
                task.cancel()
            app.pool.terminate()  # an abandoned activity holds a connection: a graceful close would wait for it
            await asyncio.wait(pending, timeout=SHUTDOWN_MARGIN_SECONDS)
        for keeper in keepers:
            keeper.cancel()
        await asyncio.gather(*keepers, return_exceptions=True)
        done.cancel()
        halt_keeper.set()
        if pg_keeper is not None and (await asyncio.wait([pg_keeper], timeout=SHUTDOWN_MARGIN_SECONDS))[1]:
            pg_keeper.cancel()  # a restart under way in its thread finishes on its own
    log.info("worker_stopped")
    if crashed:  # a supervisor restarts the worker; projections resume from their checkpoints
        raise RuntimeError(f"crashed: {', '.join(t.get_name() for t in crashed)}")


def _outcome(task: asyncio.Task[None]) -> BaseException | str:
    if task.cancelled():
        return "cancelled"
    return task.exception() or "ended"


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with bind_operation(process="worker"):
        await run(settings, stop)


def main() -> None:
    settings = settings_or_exit()  # a wrong CBCT_* value: one masked line, exit 2
    if sys.argv[1:] == ["--check"]:  # the healthcheck: does a live worker of this data dir report ready?
        verdict = readiness_file.check(settings.data_dir)
        print(verdict.line)
        sys.exit(verdict.code)
    if sys.argv[1:]:  # a mistyped `--check` must not start a second worker
        print("Gebruik: python -m worker [--check]", file=sys.stderr)
        sys.exit(2)
    configure_logging(settings.log_format, settings.log_level)
    try:
        asyncio.run(_main(settings))
    except Exception as error:
        log.exception("worker_failed", error=mask(str(error)))
        end_process(1)
    end_process(0)  # not the interpreter's finalization, which the SDK's core threads can abort


if __name__ == "__main__":
    main()
