"""Structured logs: pretty on a terminal, one JSON object per line everywhere else.

Context (request id, trajectory id, command id) is bound once per operation with `bind_operation`
and appears on every line logged inside it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure_logging(
    fmt: Literal["auto", "json", "console"] = "auto", level: str = "info", stream: TextIO | None = None
) -> None:
    """Configure structlog once per process (the composition root calls this)."""
    out: TextIO | _CurrentStderr = stream if stream is not None else _CurrentStderr()
    use_console = fmt == "console" or (fmt == "auto" and hasattr(out, "isatty") and out.isatty())
    renderer: structlog.types.Processor = (
        # Tracebacks without their locals: those hold settings, URLs and payloads (secrets, personal data).
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False))
        if use_console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        # structlog annotates `file` as TextIO, but PrintLogger only print()s to it (write and flush).
        logger_factory=structlog.PrintLoggerFactory(file=out),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    for name in FORWARDED:
        library = logging.getLogger(name)
        if not any(isinstance(h, _Forwarded) for h in library.handlers):
            library.addHandler(_Forwarded())
        library.propagate = False


FORWARDED = ("asyncpg",)
"""Libraries whose standard-library log lines become ours. asyncpg retries restoring its pool's
connection floor while the database is away and logs a warning with the whole traceback on every
retry: 30 lines of stderr a second, outside the JSON log. Forwarded, each is one line with the error."""


class _Forwarded(logging.Handler):
    """A library's log record as one structured line: its exception as one line of text, no traceback
    (whose frames may hold connection settings)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        fields: dict[str, Any] = {"logger": record.name}
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            fields["error"] = f"{type(error).__name__}: {error}"[:300]
        log = structlog.get_logger(record.name)
        method = {"CRITICAL": log.critical, "ERROR": log.error}.get(record.levelname, log.warning)
        method(record.getMessage(), **fields)


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written: a test harness (CliRunner, pytest's capture)
    that swaps and closes stderr must not leave the logger writing to a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


@contextmanager
def bind_operation(**context: Any) -> Iterator[None]:
    """Bind ids (request_id, trajectory_id, command_id, ...) to every log line inside the block."""
    clean = {k: v for k, v in context.items() if v is not None}
    with structlog.contextvars.bound_contextvars(**clean):
        yield


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
