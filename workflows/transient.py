"""Transient failures — worth another attempt in place — and the backoff that retries them.

Workflows here have no DBOS steps (see `workflows/commands.py`), so a busy stream or a database that
restarts is retried inside the workflow, with exponential backoff; a bad command never is.
"""

from __future__ import annotations

import asyncpg
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from application.command_handler import ConflictPersisted

# serialization failure, deadlock, admin shutdown (a database restart)
_RETRYABLE_SQLSTATES = ("40001", "40P01", "57P01")


def transient(error: BaseException) -> bool:
    """Worth another attempt: a busy trajectory or a lost database connection; never a bad command."""
    return isinstance(
        error, ConflictPersisted | asyncpg.PostgresConnectionError | asyncpg.InterfaceError | OSError
    ) or (isinstance(error, asyncpg.PostgresError) and getattr(error, "sqlstate", "") in _RETRYABLE_SQLSTATES)


def retrying(
    attempts: int,
    *,
    first_wait: float,
    max_wait: float,
    retry_on: type[BaseException] | None = None,
) -> AsyncRetrying:
    """Call with `(fn, *args)`: retries transient failures (or `retry_on`) with exponential backoff,
    `attempts` in all; the last error is raised as it is."""
    should_retry = transient if retry_on is None else (lambda error: isinstance(error, retry_on))
    return AsyncRetrying(
        retry=retry_if_exception(should_retry),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=first_wait, max=max_wait),
        reraise=True,
    )
