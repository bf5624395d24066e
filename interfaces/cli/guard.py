"""The last line of the CLI: whatever goes wrong ends in one line naming the cause, never a traceback.

Exit codes stay the CLI's: 2 for input that cannot be used (a missing file, a directory where a file is
expected, a value the store refuses), 1 for what the system cannot do now (no database, an unmigrated
database, an event that cannot be read). A trajectory command that failed or got no answer (1) adds
its command id and the command that retries it safely (`interfaces/cli/retry.py`). Anything unexpected
is still one line (exit 1), with the traceback in the log at debug level (`CBCT_LOG_LEVEL=debug`).
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 carries its own click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer on click
    from click import ClickException  # type: ignore[assignment]

from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, fail
from interfaces.cli.retry import CommandNotDone, temporal_reason

INTERNAL_ERROR = "Interne fout"


def explain(error: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an error that reached the top of a command."""
    import asyncpg
    from pydantic import ValidationError

    from application.event_store import InvalidAppend, UndecodableEvent
    from application.output_file import OutputFileError
    from infrastructure.keyring import KeyringError
    from infrastructure.temporal_client import TemporalUnreachable
    from infrastructure.temporal_server import EmbeddedTemporalError

    if isinstance(error, CommandNotDone):
        cause = error.__cause__
        reason = temporal_reason(cause)
        code, explained = (EXIT_REJECTED, reason) if reason is not None else explain(cause or error)
        return code, error.line(explained)
    if isinstance(error, OutputFileError):  # a file the user named could not be written (a full disk: 1)
        return (EXIT_REJECTED if error.system_fault else EXIT_USAGE), str(error)
    if isinstance(error, KeyringError):
        return EXIT_USAGE, f"Sleutels onbruikbaar — {error}"
    if isinstance(error, TemporalUnreachable):
        return EXIT_REJECTED, str(error)
    if isinstance(error, EmbeddedTemporalError):
        return EXIT_REJECTED, f"De ingebouwde Temporal-server start niet — {error}"
    if isinstance(error, InvalidAppend):
        return EXIT_USAGE, f"Ongeldige invoer — {error}"
    if isinstance(error, UndecodableEvent):
        return EXIT_REJECTED, f"Een opgeslagen event is niet te lezen: {error} (zie docs/repairing-events.md)"
    if isinstance(error, IsADirectoryError):
        return EXIT_USAGE, f"{error.filename}: is een map, verwacht een bestand"
    if isinstance(error, NotADirectoryError):
        return EXIT_USAGE, f"{error.filename}: een deel van dit pad is geen map"
    if isinstance(error, FileNotFoundError) and error.filename:
        return EXIT_USAGE, f"{error.filename}: bestand bestaat niet"
    if isinstance(error, PermissionError) and error.filename:
        return EXIT_USAGE, f"{error.filename}: geen toegang"
    if isinstance(error, UnicodeDecodeError):
        return EXIT_USAGE, f"invoer is geen UTF-8-tekst ({error.reason} op positie {error.start})"
    if isinstance(error, ValidationError):
        from infrastructure.settings_errors import describe

        if error.title == "Settings":
            return EXIT_USAGE, describe(error)
        # Only where and which rule: pydantic's errors also carry the input, which may be a secret.
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(invoer)'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        return EXIT_USAGE, f"Ongeldige instelling of invoer — {fields}"
    if isinstance(error, asyncpg.UndefinedTableError | asyncpg.UndefinedColumnError):
        return EXIT_REJECTED, f"De database is niet (volledig) gemigreerd: voer `cbct db migrate` uit ({error})"
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return EXIT_REJECTED, f"De database bestaat niet: voer `cbct db migrate` uit ({error})"
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
        return EXIT_REJECTED, f"Geen toegang tot de database: {error}"
    if isinstance(
        error,
        asyncpg.PostgresConnectionError | asyncpg.CannotConnectNowError | ConnectionError | TimeoutError,
    ) or (isinstance(error, OSError) and not error.filename):
        return EXIT_REJECTED, f"De database is niet bereikbaar: {error or type(error).__name__}"
    if isinstance(error, OSError):
        return EXIT_REJECTED, f"{error.filename}: {error.strerror or error}"
    return EXIT_REJECTED, f"{INTERNAL_ERROR}: {type(error).__name__}: {error}"


def _validation(error: BaseException) -> bool:
    from pydantic import ValidationError

    return isinstance(error, ValidationError)


class GuardedGroup(TyperGroup):
    """The root command group: turns any error of a subcommand into one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException, KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:
            from infrastructure.logging import get_logger
            from infrastructure.settings_errors import mask

            code, message = explain(error)
            message = mask(" ".join(message.split()))  # no password of a URL, no secret setting's value
            # A traceback's text would repeat a ValidationError's input (a secret, perhaps): not for those.
            get_logger(__name__).debug("cli_error", error=message, exc_info=not _validation(error))
            fail(message)
            if os.environ.get("CBCT_TRACEBACK"):
                raise
            raise typer.Exit(code) from None
