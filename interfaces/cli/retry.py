"""A command that got no answer: one line with its command id and the exact command that retries it.

Every lifecycle command has its command id before it is sent (`--command-id`, else a fresh one), so
whatever cuts it off — Temporal dying mid-update, a database away, the wait running out — the person
learns the id and can send the same command again: the store appends a command id once, and the
e-mails its events caused go out once. A retry with a new id would be a second command.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

COMMAND_ID_OPTION = "--command-id"


class NoAnswer(RuntimeError):
    """The command's answer did not come within `CBCT_COMMAND_WAIT_SECONDS`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"geen antwoord binnen {seconds:g} s")
        self.seconds = seconds


class CommandNotDone(RuntimeError):
    """A command that failed or got no answer; the cause is chained. Retrying it with its id is safe."""

    def __init__(self, command_id: str, retry: str) -> None:
        super().__init__(command_id)
        self.command_id = command_id
        self.retry = retry

    def line(self, reason: str) -> str:
        """The one Dutch line the CLI prints for it."""
        return (
            f"Commando {self.command_id} niet (zeker) verwerkt: {reason}. "
            f"Opnieuw versturen is veilig (het wordt één keer verwerkt): {self.retry}"
        )


def retry_command(argv: Sequence[str], command_id: str) -> str:
    """`cbct` with the arguments as given and `--command-id <id>` (replacing one given), shell-quoted."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == COMMAND_ID_OPTION:
            skip = True
        elif not arg.startswith(COMMAND_ID_OPTION + "="):
            kept.append(arg)
    return shlex.join(["cbct", *kept, COMMAND_ID_OPTION, command_id])


def temporal_reason(error: BaseException | None) -> str | None:
    """Why a command was cut off, when Temporal or the wait is the cause (else None: the guard explains)."""
    from workflows.client import CommandFailed

    if isinstance(error, NoAnswer):
        return f"{error} (is de Temporal-server of de database weg?)"
    if isinstance(error, CommandFailed):
        return f"de beslissing bleef mislukken ({error})"
    if isinstance(error, RPCError):
        return f"de Temporal-server is niet bereikbaar ({error.message})"
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        return "de Temporal-server antwoordde niet op tijd"
    return None
