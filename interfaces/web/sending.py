"""Sending a command from a page: through its trajectory's workflow, as the API and the CLI send it.

`send` hands the command to `App.temporal.trajectories.submit` (no second way into the store) and waits
at most `command_wait_seconds` for the verdict. What a page then says is one of: accepted; refused by
a CBCT rule (the rule's Dutch explanation); refused as input by the workflow; or the engine or the
database away (`outage_text`: try again; the form keeps its command id, so a retry is applied once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from application.command_handler import ID_REUSED
from domain.commands import Command
from infrastructure.retry import is_outage
from workflows.client import CommandFailed, CommandInputRejected

T = TypeVar("T")

ENGINE_AWAY = "De procesmotor is even niet bereikbaar. Uw invoer staat er nog: probeer het zo opnieuw."
DATABASE_AWAY = "De database is even niet bereikbaar. Uw invoer staat er nog: probeer het zo opnieuw."
NO_ANSWER = "Er kwam geen antwoord binnen de wachttijd. Uw invoer staat er nog: probeer het zo opnieuw."
NOT_DONE = "Dit kon nu niet worden verwerkt. Uw invoer staat er nog: probeer het zo opnieuw."
ALREADY_SENT = (
    "Dit formulier is al eens met andere gegevens verstuurd. Laad de pagina opnieuw voor een nieuw formulier."
)


@dataclass(frozen=True)
class Answer:
    """The outcome of one submission, as a page shows it."""

    accepted: bool
    duplicate: bool = False
    rule: str | None = None
    message: str | None = None


def outage_text(error: BaseException) -> str | None:
    """The Dutch text for an engine or database that is away (or too slow); None for other errors."""
    if isinstance(error, CommandFailed):
        return NOT_DONE
    if isinstance(error, RPCError | WorkflowUpdateRPCTimeoutOrCancelledError):
        return ENGINE_AWAY
    if isinstance(error, TimeoutError):
        return NO_ANSWER
    if is_outage(error):
        return DATABASE_AWAY
    if isinstance(error, RuntimeError) and "Temporal is not connected" in str(error):
        return ENGINE_AWAY
    return None


async def _within(seconds: float, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s result, or TimeoutError after `seconds` (the work is abandoned, not awaited: an SDK call
    held up by an engine that is away may take long to notice its cancellation)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())
        raise TimeoutError(f"no answer within {seconds} s")
    return task.result()


async def send(runtime: Any, command: Command) -> Answer:
    """Submit `command` and explain the verdict. Raises what `outage_text` explains (the caller shows
    it next to the form, with the input kept)."""
    try:
        verdict = await _within(runtime.settings.command_wait_seconds, runtime.temporal.trajectories.submit(command))
    except CommandInputRejected as error:
        return Answer(False, rule="input", message=f"De invoer werd geweigerd: {error}")
    if verdict.accepted:
        return Answer(True, duplicate=verdict.duplicate)
    if verdict.rule == ID_REUSED:
        return Answer(False, rule=ID_REUSED, message=ALREADY_SENT)
    return Answer(False, rule=verdict.rule, message=verdict.message or "Geweigerd door een regel van CBCT.")
