"""Sending a command from a page: through its trajectory's workflow, exactly as the command endpoints do.

`send` hands the command to `App.temporal.trajectories.submit` (no second way into the store) within
`command_wait_seconds`, with the command endpoints' own time bound and outage classification
(`interfaces/http/commands.py`: `answer_within`, `outage_problem`). What a page then says is one of: accepted;
refused by a CBCT rule (the rule's Dutch explanation); refused as input by the workflow; or the engine
or the database away (try again: the form keeps its command id, so a retry is applied once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from application.access import Principal
from application.command_handler import ID_REUSED
from domain.commands import Command
from interfaces.http.commands import NoAnswer, answer_within, outage_problem
from interfaces.http.problems import away
from interfaces.web.forms import CommandForm, FormErrors, FormState, new_command_id
from workflows.client import CommandInputRejected

ENGINE_AWAY = "De procesmotor is even niet bereikbaar. Uw invoer staat er nog: probeer het zo opnieuw."
DATABASE_AWAY = "De database is even niet bereikbaar. Uw invoer staat er nog: probeer het zo opnieuw."
NO_ANSWER = "Er kwam geen antwoord binnen de wachttijd. Uw invoer staat er nog: probeer het zo opnieuw."
ALREADY_SENT = (
    "Dit formulier is al eens met andere gegevens verstuurd. Laad de pagina opnieuw voor een nieuw formulier."
)
REFUSED = "Geweigerd door een regel van CBCT."


@dataclass(frozen=True)
class Answer:
    """The outcome of one submission, as a page shows it: its HTTP status and, unless accepted, why."""

    status: int
    message: str | None = None
    rule: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 200


def away_text(dependency: str | None) -> str:
    return ENGINE_AWAY if dependency == "temporal" else DATABASE_AWAY


def outage_text(error: BaseException) -> str | None:
    """A page's Dutch text for an engine or database that is away; None for any other error."""
    dependency = away(error)
    return None if dependency is None else away_text(dependency)


async def send(runtime: Any, command: Command) -> Answer:
    """Submit `command` and explain the verdict; any other error than an outage is raised."""
    try:
        verdict = await answer_within(
            runtime.settings.command_wait_seconds, runtime.temporal.trajectories.submit(command)
        )
    except CommandInputRejected as error:
        return Answer(422, f"De invoer werd geweigerd: {error}", "input")
    except Exception as error:
        if isinstance(error, NoAnswer):
            return Answer(503, NO_ANSWER, "unavailable")
        problem = outage_problem(error)
        if problem is None:
            raise
        return Answer(503, away_text(problem.extensions.get("dependency")), "unavailable")
    if verdict.accepted:
        return Answer(200)
    if verdict.rule == ID_REUSED:
        return Answer(422, ALREADY_SENT, ID_REUSED)
    return Answer(409, verdict.message or REFUSED, verdict.rule)


@dataclass(frozen=True)
class Submitted:
    """A posted form, handled: `status` 200 when accepted, else the form with its explanation to show
    again (422 invalid, 409 refused by a CBCT rule, 503 try again)."""

    form_state: FormState
    status: int

    @property
    def accepted(self) -> bool:
        return self.status == 200


async def submit_form(
    request: Request, runtime: Any, viewer: Principal, trajectory_id: str, form: CommandForm, action: str
) -> Submitted:
    """Read the posted `form`, make its command (actor: the viewer) and send it; what any page that posts a
    generated form does. The caller has checked that the viewer may see the trajectory and send the step."""
    posted = await request.form()
    values = form.values_of(posted)
    fixed = {name: str(values[name]) for name in str(posted.get("fixed") or "").split() if name in values}
    state = FormState(form, action, values, command_id=str(posted.get("command_id") or "") or new_command_id(),
                      fixed=fixed)  # fmt: skip
    try:
        command = form.command_of(values, command_id=state.command_id, trajectory_id=trajectory_id, actor=viewer.actor)
    except FormErrors as errors:
        state.errors, state.general = errors.fields, errors.general
        return Submitted(state, 422)
    answer = await send(runtime, command)
    if not answer.accepted:
        state.general = [answer.message or REFUSED]
    return Submitted(state, answer.status)
