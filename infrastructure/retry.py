"""Riding out short database outages: a terminated connection, a restart of a few seconds.

Every read and write of the event store and of the projection runner goes through `outage_retry`:
an error of the connection (not of the statement) is retried with exponential backoff and jitter for
up to `budget` seconds, then raised as it is. Retrying is safe: an append is idempotent by its event
ids (a retry of an append whose commit was lost in transit returns the stored result as a duplicate),
reads have no effects, and a projection batch commits together with its compare-and-set checkpoint.
"""

from __future__ import annotations

import asyncpg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_delay, wait_exponential_jitter

from infrastructure.logging import get_logger

log = get_logger(__name__)

OUTAGE_BUDGET_SECONDS = 30.0
"""A restart of the database server takes a few seconds; longer outages are reported, not hidden."""


def is_outage(error: BaseException) -> bool:
    """The connection failed (refused, reset, terminated, server starting or shutting down)."""
    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.InternalClientError  # a pool resetting a connection the server just terminated
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.CannotConnectNowError
        | OSError
        | TimeoutError,
    )


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    # One warning per outage and caller; the further attempts of the same outage only at debug level.
    report = log.warning if state.attempt_number == 1 else log.debug
    report("database_outage_retry", attempt=state.attempt_number, error=f"{type(error).__name__}: {error}")


def outage_retry(budget: float = OUTAGE_BUDGET_SECONDS) -> AsyncRetrying:
    """`async for attempt in outage_retry(): with attempt: ...` — retries connection failures."""
    return AsyncRetrying(
        retry=retry_if_exception(is_outage),
        wait=wait_exponential_jitter(multiplier=0.05, max=1.0),
        stop=stop_after_delay(budget),
        before_sleep=_log_retry,
        reraise=True,
    )
