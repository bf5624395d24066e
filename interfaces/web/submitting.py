"""Sending one generated form's input as its command, for pages with forms of their own layout.

The same path as the trajectory page's steps (`trajectory.take_step`): the command's own model
validates the input (`CommandForm.command_of`: Dutch errors per field), then the trajectory's workflow
decides it (`sending.send`). A form that is not accepted keeps what was typed (`FormState.values`) and
gets the explanation; its command id stays, so sending it again is applied once.
"""

from __future__ import annotations

from typing import Any

from application.access import Principal
from interfaces.web.forms import FormErrors, FormState, Values, new_command_id
from interfaces.web.sending import REFUSED, send


def posted_state(form_state: FormState, posted: Any) -> FormState:
    """`form_state` carrying the posted command id (a fresh one when none came along)."""
    form_state.command_id = str(posted.get("command_id") or "") or new_command_id()
    return form_state


async def submit(
    app: Any, form_state: FormState, command_values: Values, *, trajectory_id: str, viewer: Principal
) -> int:
    """Validate and send; 200 when accepted, else the page's status (422 invalid, 409 refused by a CBCT
    rule, 503 away) with the errors and explanation put in `form_state`."""
    try:
        command = form_state.form.command_of(
            command_values, command_id=form_state.command_id, trajectory_id=trajectory_id, actor=viewer.actor
        )
    except FormErrors as errors:
        form_state.errors, form_state.general = errors.fields, errors.general
        return 422
    answer = await send(app, command)
    if answer.accepted:
        return 200
    form_state.general = [answer.message or REFUSED]
    return answer.status
