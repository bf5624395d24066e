"""One CLI invocation = one process: bootstrap, do the work, close everything again.

A person reads what the CLI prints, so the Temporal SDK's own noise stays out of it: its core's
connection retries and the loop's "Future exception was never retrieved" for requests a dead server
left behind go to the debug log (`CBCT_LOG_LEVEL=debug`), not the terminal.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from infrastructure.logging import get_logger
from infrastructure.settings import Settings
from interfaces.cli.output import warn_halts
from interfaces.cli.retry import NoAnswer

if TYPE_CHECKING:
    from bootstrap import App

T = TypeVar("T")

log = get_logger(__name__)

LEFT_BEHIND_SECONDS = 1.0


def run(work: Callable[[App], Awaitable[T]], *, temporal: bool = False, answer_within: float | None = None) -> T:
    """Run `work(app)` against the configured database (embedded by default); with `temporal`, connected
    to Temporal (configured, else the embedded dev server) with a worker of its own while it runs.

    `answer_within`: `work` gets that many seconds, then `NoAnswer`. Its request is abandoned, not
    awaited: the SDK's request to a dead server cannot be cancelled, only left (the process ends)."""
    from bootstrap import bootstrap  # the whole app is wired only for commands that need it

    if temporal:
        _quiet_sdk()

    async def main() -> T:
        async with bootstrap(Settings(), temporal=temporal) as app:
            if answer_within is None:
                result = await work(app)
            else:
                waiting = asyncio.ensure_future(work(app))
                await asyncio.wait({waiting}, timeout=answer_within)
                if not waiting.done():
                    waiting.cancel()
                    raise NoAnswer(answer_within)
                result = waiting.result()
            warn_halts(app.projections.halts.values())
            return result

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_to_debug_log)
    try:
        return loop.run_until_complete(main())
    finally:
        _close(loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Close the loop as `asyncio.run` does, except that tasks stuck in the SDK (a request to a server
    that died) get `LEFT_BEHIND_SECONDS` to end after their cancellation, not for ever."""
    try:
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.wait(left, timeout=LEFT_BEHIND_SECONDS))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _to_debug_log(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's complaints (an SDK request's exception nobody awaited after the server died): logged
    at debug level, not printed."""
    error = context.get("exception")
    log.debug("event_loop_error", message=context.get("message"), error=repr(error) if error else None)


def _quiet_sdk() -> None:
    """The SDK's core logs through Python logging (not straight to stderr), and the SDK's loggers print
    nothing unless asked for with `CBCT_LOG_LEVEL=debug`."""
    from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

    if os.environ.get("CBCT_LOG_LEVEL", "").lower() == "debug":
        return
    sdk = logging.getLogger("temporalio")
    sdk.addHandler(logging.NullHandler())
    sdk.propagate = False
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    runtime = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding)
        )
    )
    Runtime.set_default(runtime, error_if_already_set=False)
