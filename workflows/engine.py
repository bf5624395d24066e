"""DBOS for this process: launched once by `bootstrap`, with the app that workflows work with.

Why `application_version` is explicit (settings, "1" by default): DBOS only recovers PENDING workflows
whose recorded version equals the running process's version. Its default version is a hash of the
workflow source, so any code change — even a comment — would strand every workflow a killed process
left half-done. The workflows that do the work — commands, deadlines, deliveries — have no DBOS steps
(their actions are idempotent by themselves: why, in `workflows/commands.py`), so a new revision may
finish what the previous one started: there is no recorded step order it could contradict
(`tests/workflows/test_revisions.py`). A workflow with steps (the worker's scheduled dispatch) must
guard a change in their order with `DBOS.patch_async(...)`. Bump the version only
for a change that cannot finish old workflows — removing or renaming a workflow, or changing its
input or output shape incompatibly — and let the old version's PENDING workflows drain first.

Executors: DBOS recovers, at launch, the PENDING workflows of its own executor id. The worker has a
stable id (`worker`) and so finishes on restart what it was doing when killed. Short-lived processes
(the CLI) get a fresh `proc-...` id, so they never take over the worker's running workflows; what
such a process leaves PENDING when it dies is adopted by the worker (`adopt_orphans`).

Failures: a workflow whose retries are exhausted ends in ERROR, and DBOS records the error, so
resuming would only replay it. A failed workflow is retried by forking it from its failed step — from
the start, for a step-less one (`retry_failed`, the ops `retry_workflow`): safe, as every action is
idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from dbos import DBOS, PortableWorkflowError, SetWorkflowID, WorkflowHandleAsync, WorkflowStatus
from dbos._core import WorkflowHandleAsyncTask  # dbos is pinned (<3.5): tells a fresh run from an existing one

from infrastructure.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from bootstrap import App

log = get_logger(__name__)

R = TypeVar("R")

APP_NAME = "cbct"
WORKER_EXECUTOR = "worker"
EPHEMERAL_PREFIX = "proc-"
FAILED = ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")


class WorkflowsNotLaunched(RuntimeError):
    """A step ran in a process that did not `launch` the workflow engine."""


class WorkflowFailed(RuntimeError):
    """A workflow ended in ERROR (or was cancelled); `retry_workflow` runs it again from the failed step."""

    def __init__(self, workflow_id: str, status: str, error: str) -> None:
        super().__init__(f"workflow {workflow_id} ended {status}: {error}")
        self.workflow_id = workflow_id
        self.status = status
        self.error = error


class WorkflowNotFound(LookupError, ValueError):
    """No workflow has this id."""


class _Runtime:
    app: App | None = None
    draining: bool = False


_runtime = _Runtime()


def launch(app: App) -> None:
    """Configure and launch DBOS (its tables in the `dbos` schema of our database); recover what is pending.

    Called from inside the running event loop, so DBOS adopts it: recovered and scheduled async
    workflows run on this loop, next to the asyncpg pool they use.
    """
    # Registration must precede launch: recovery looks the workflows up by name.
    import workflows.commands
    import workflows.deadlines
    import workflows.dispatcher
    import workflows.notifications  # noqa: F401

    _runtime.app = app
    _runtime.draining = False
    DBOS(
        config={
            "name": APP_NAME,
            "system_database_url": system_database_url(app.database.url),
            "application_version": app.settings.application_version,
            "executor_id": app.settings.executor_id or ephemeral_executor_id(),
            "log_level": "WARNING",
            # No ping before every use of a pooled connection (a round trip per system-table write):
            # DBOS retries an operation whose connection was lost, and the pool then replaces it.
            "db_engine_kwargs": {"pool_pre_ping": False},
        }
    )
    _dbos_logs_as_json(app.settings.log_format)
    try:
        DBOS.launch()
    except BaseException:
        shutdown()  # a half-launched DBOS could be neither used nor launched again in this process
        raise


def shutdown() -> None:
    """Stop DBOS. Workflows still running stay PENDING and are recovered (or adopted) later.

    DBOS installs its own thread pool as the running loop's default executor and shuts it down on
    destroy; the loop outlives DBOS (tests, a CLI that keeps working), so give it a fresh default
    executor, or every later `asyncio.to_thread` would fail.
    """
    try:
        DBOS.destroy()
    finally:
        _runtime.app = None
        with contextlib.suppress(RuntimeError):  # no running loop: nothing to repair
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(thread_name_prefix="cbct"))


def runtime() -> App:
    """The app of this process, for the workflows it runs."""
    if _runtime.app is None:
        raise WorkflowsNotLaunched("workflows are not launched in this process: bootstrap(launch_workflows=True)")
    return _runtime.app


def ephemeral_executor_id() -> str:
    return f"{EPHEMERAL_PREFIX}{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def system_database_url(url: str) -> str:
    """Our database URL in a form DBOS's SQLAlchemy/psycopg engine reads the same way asyncpg does.

    A Unix-socket directory given as a percent-encoded host (`postgresql://u@%2Fdir/db`, which
    `Settings` accepts) moves to `?host=/dir`, since SQLAlchemy would look it up as a host name.
    """
    parts = urlsplit(url)
    host = unquote(parts.hostname or "")
    if not host.startswith("/"):
        return url
    user = parts.netloc.rpartition("@")[0]
    query = "&".join(q for q in [parts.query, f"host={host}"] if q)
    return urlunsplit((parts.scheme, f"{user}@" if user else "", parts.path, query, parts.fragment))


class _JsonLines(logging.Formatter):
    """DBOS's own log records as one JSON object per line, like ours."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "event": record.getMessage(),
            "logger": record.name,
            "level": record.levelname.lower(),
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _dbos_logs_as_json(log_format: str) -> None:
    if log_format == "console" or (log_format == "auto" and sys.stderr.isatty()):
        return
    for handler in logging.getLogger("dbos").handlers:
        handler.setFormatter(_JsonLines())


# --- running workflows ------------------------------------------------------------------------------------


def begin_draining() -> None:
    """Start no new scheduled work in this process (graceful shutdown); running workflows finish."""
    _runtime.draining = True


def draining() -> bool:
    return _runtime.draining


def active_workflow_ids() -> list[str]:
    """Workflows executing in this process right now."""
    from dbos._dbos import _dbos_global_instance  # no public API for the in-process set

    if _dbos_global_instance is None:
        return []
    return list(_dbos_global_instance._active_workflows_set.activeList())


async def drain(grace_seconds: float) -> list[str]:
    """Wait (without blocking the loop) until no workflow runs in this process; return the unfinished."""
    poll = 0.05
    for _ in range(int(grace_seconds / poll)):
        if not active_workflow_ids():
            break
        await asyncio.sleep(poll)
    return active_workflow_ids()


async def run_once(
    workflow: Callable[..., Coroutine[Any, Any, R]],
    workflow_id: str,
    *args: Any,
    wait_seconds: float | None = None,
    retry_failed: bool = False,
) -> R:
    """Start `workflow` under `workflow_id` (or attach to the one that exists) and return its result.

    A workflow id runs once: a second start — from this or any process — returns the recorded result.
    With `retry_failed`, a workflow that had already ended in ERROR before this call is run again
    from its failed step (see `retry_failed`). Raises `WorkflowFailed` when it ends in ERROR,
    `TimeoutError` after `wait_seconds` (it keeps running).
    """
    result, _started = await run_once_reporting(
        workflow, workflow_id, *args, wait_seconds=wait_seconds, retry_failed=retry_failed
    )
    return result


async def run_once_reporting(
    workflow: Callable[..., Coroutine[Any, Any, R]],
    workflow_id: str,
    *args: Any,
    wait_seconds: float | None = None,
    retry_failed: bool = False,
) -> tuple[R, bool]:
    """`run_once`, also telling whether this call started the workflow (False: it existed already)."""
    with SetWorkflowID(workflow_id):
        handle = await DBOS.start_workflow_async(workflow, *args)
    fresh = isinstance(handle, WorkflowHandleAsyncTask)
    try:
        return await _result(handle, wait_seconds), fresh
    except WorkflowFailed:
        if fresh or not retry_failed:
            raise
    retried: WorkflowHandleAsync[R] = await retry_failed_workflow(workflow_id)
    return await _result(retried, wait_seconds), False


async def _result(handle: WorkflowHandleAsync[R], wait_seconds: float | None) -> R:
    try:
        return await asyncio.wait_for(handle.get_result(), wait_seconds)
    except TimeoutError:
        raise
    except Exception as error:
        status = await handle.get_status()
        if status is not None and status.status in (*FAILED, "CANCELLED"):
            raise WorkflowFailed(handle.get_workflow_id(), status.status, _error_text(status, error)) from error
        raise


async def retry_failed_workflow(workflow_id: str) -> WorkflowHandleAsync[Any]:
    """Run a failed workflow again from its failed step, as a fork `<id>:retry:<n>`; reuse a fork that
    succeeded or is still running. The completed steps before it are copied, not re-run."""
    forks = await DBOS.list_workflows_async(forked_from=workflow_id, load_input=False, load_output=False)
    for fork in sorted(forks, key=lambda f: f.status != "SUCCESS"):
        if fork.status in ("SUCCESS", "PENDING", "ENQUEUED"):
            return await DBOS.retrieve_workflow_async(fork.workflow_id)
    steps = await DBOS.list_workflow_steps_async(workflow_id)
    failed_at = next((s["function_id"] for s in steps if s["error"] is not None), len(steps) + 1)
    fork_id = f"{workflow_id}:retry:{len(forks) + 1}"
    log.info("workflow_forked", workflow_id=workflow_id, fork_id=fork_id, from_step=failed_at)
    try:
        with SetWorkflowID(fork_id):
            return await DBOS.fork_workflow_async(workflow_id, failed_at)
    except Exception:
        if await workflow_summary(fork_id) is None:
            raise
        return await DBOS.retrieve_workflow_async(fork_id)  # another process forked it a moment ago


async def adopt_orphans(grace_seconds: float) -> list[str]:
    """Take over the workflows short-lived processes left PENDING (they died); return their ids.

    Only `proc-...` executors are adopted, and only after `grace_seconds` without progress, so a CLI
    command still running is normally left alone (if it is adopted anyway, DBOS hands the workflow
    over: the old execution stops at its next write, and the steps are idempotent).
    """
    statuses = await DBOS.list_workflows_async(status="PENDING", load_input=False, load_output=False)
    cutoff = datetime.now(UTC).timestamp() * 1000 - grace_seconds * 1000
    orphans = [
        s.workflow_id
        for s in statuses
        if (s.executor_id or "").startswith(EPHEMERAL_PREFIX) and (s.updated_at or 0) <= cutoff
    ]
    for workflow_id in orphans:
        await DBOS.resume_workflow_async(workflow_id)  # PENDING → ENQUEUED: this process dequeues it
        log.info("workflow_adopted", workflow_id=workflow_id)
    return orphans


# --- ops ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowSummary:
    """A workflow as ops see it."""

    workflow_id: str
    name: str
    status: str
    error: str | None
    created_at: datetime | None
    updated_at: datetime | None
    application_version: str | None
    executor_id: str | None
    forked_from: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "application_version": self.application_version,
            "executor_id": self.executor_id,
            "forked_from": self.forked_from,
        }


def _moment(epoch_ms: int | None) -> datetime | None:
    return None if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC)


def _error_text(status: WorkflowStatus, fallback: BaseException | None = None) -> str:
    error = status.error if status.error is not None else fallback
    if error is None:
        return ""
    kind = getattr(error, "name", None) if isinstance(error, PortableWorkflowError) else None
    return f"{kind or type(error).__name__}: {error}"


def _summary(status: WorkflowStatus) -> WorkflowSummary:
    return WorkflowSummary(
        workflow_id=status.workflow_id,
        name=status.name,
        status=status.status,
        error=_error_text(status) or None,
        created_at=_moment(status.created_at),
        updated_at=_moment(status.updated_at),
        application_version=status.app_version,
        executor_id=status.executor_id,
        forked_from=status.forked_from,
    )


async def failed_workflows(limit: int = 50) -> list[dict[str, Any]]:
    """Workflows that ended in ERROR (or exhausted their recoveries) and were not retried successfully,
    newest first, as JSON-safe rows."""
    statuses = await DBOS.list_workflows_async(status=list(FAILED), limit=limit, sort_desc=True, load_input=False)
    retried = [s.workflow_id for s in statuses if s.was_forked_from]
    succeeded = set()
    if retried:
        forks = await DBOS.list_workflows_async(
            forked_from=retried, status="SUCCESS", load_input=False, load_output=False
        )
        succeeded = {f.forked_from for f in forks}
    return [_summary(s).as_dict() for s in statuses if s.workflow_id not in succeeded]


async def workflow_summary(workflow_id: str) -> WorkflowSummary | None:
    statuses = await DBOS.list_workflows_async(workflow_ids=[workflow_id], load_input=False)
    return _summary(statuses[0]) if statuses else None


async def retry_workflow(workflow_id: str, *, wait_seconds: float = 120.0) -> dict[str, Any]:
    """Ops: run a failed workflow again from its failed step (a fork), or resume a stuck PENDING or
    CANCELLED one; wait for it and return how it ended (`retried_as`: the workflow that ran)."""
    summary = await workflow_summary(workflow_id)
    if summary is None:
        raise WorkflowNotFound(f"workflow_id: no workflow {workflow_id!r}")
    if summary.status == "SUCCESS":
        return summary.as_dict() | {"retried_as": None}
    if summary.status in FAILED:
        handle: WorkflowHandleAsync[Any] = await retry_failed_workflow(workflow_id)
    else:
        handle = await DBOS.resume_workflow_async(workflow_id)
    try:
        await asyncio.wait_for(handle.get_result(), wait_seconds)
    except TimeoutError:
        log.warning("workflow_retry_still_running", workflow_id=handle.get_workflow_id())
    except Exception as error:  # it failed again: the summary says how
        log.warning("workflow_retry_failed", workflow_id=handle.get_workflow_id(), error=str(error))
    ran = await workflow_summary(handle.get_workflow_id())
    assert ran is not None
    return ran.as_dict() | {"retried_as": handle.get_workflow_id()}
