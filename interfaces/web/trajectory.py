"""A trajectory's page: where it stands, its timeline, and a generated form for each step allowed now.

`GET /trajecten/{id}` reads the trajectory from the event store itself (not a read model, so a step
just taken shows at once). A trajectory the viewer may not know of reads exactly as an unknown one:
404 (`application.access.may_see`). The steps are the commands the viewer's role may send
in the trajectory's phase (`steps`), each a form generated from its domain command (`forms`).

`POST /trajecten/{id}/stap/{noun}/{verb}` validates the input with the command's own model and sends
it through the trajectory's workflow (`sending.send`, as the API and the CLI do), with the signed-in
principal as the actor. Accepted: back to the page (303) with a confirmation. Invalid, refused by a CBCT
rule, or the engine away: the page again with the input filled in and the Dutch explanation beside the
field or the form (422, 409, 503). From htmx (`HX-Request`) the form alone comes back in those cases,
and an accepted step answers `HX-Redirect`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from application.access import STAFF, Principal, may_see, may_send
from application.event_summaries import summarize
from domain.commands import OpenTrajectory, TrajectoryId
from domain.registry import event_from_dict
from domain.state import TrajectoryState
from interfaces.http.deps import Runtime
from interfaces.http.problems import Problem, not_found
from interfaces.web.errors import WebRoute
from interfaces.web.forms import BY_STEP, CommandForm, FormState
from interfaces.web.identity import Viewer
from interfaces.web.render import is_htmx, render
from interfaces.web.sending import submit_form
from interfaces.web.steps import steps_for

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/trajecten/{trajectory_id}"
STEP = "/trajecten/{trajectory_id}/stap/{noun}/{verb}"
DONE = "Verwerkt: {title}"

TrajectoryPath = Annotated[TrajectoryId, Path()]


@dataclass(frozen=True)
class TimelineItem:
    when: datetime
    summary: str
    actor: str | None


def page_url(trajectory_id: str) -> str:
    return PAGE.format(trajectory_id=trajectory_id)


def step_url(trajectory_id: str, form: CommandForm) -> str:
    return STEP.format(trajectory_id=trajectory_id, noun=form.noun, verb=form.verb)


async def visible_state(app: Any, viewer: Principal, trajectory_id: str) -> TrajectoryState:
    """The trajectory as the store has it; 404 when unknown or not the viewer's to know."""
    state: TrajectoryState | None = await app.service.state(trajectory_id)
    if state is None or not may_see(
        viewer,
        certificate_number=state.certificate_number,
        expert_auditor=state.round.expert_auditor,
        peer_auditor=state.round.peer_auditor,
    ):
        raise not_found()
    return state


async def _timeline(app: Any, trajectory_id: str, viewer: Principal) -> list[TimelineItem]:
    items = []
    for recorded in await app.service.history(trajectory_id):
        try:
            event = event_from_dict(recorded.event_type, recorded.data)
        except (KeyError, ValueError):
            continue  # not a trajectory event (none are expected in its stream)
        actor = recorded.actor if viewer.role in STAFF else None
        items.append(TimelineItem(event.occurred_at, summarize(event), actor))
    return items


async def _page(
    request: Request, app: Any, viewer: Principal, state: TrajectoryState, *, posted: FormState | None = None,
    status: int = 200, done: str | None = None,
) -> Response:  # fmt: skip
    forms = [
        posted if posted is not None and posted.form is form else FormState(form, step_url(state.trajectory_id, form))
        for form in steps_for(viewer, state, await app.clock.now())
    ]
    auditors = ", ".join(a for a in (state.round.expert_auditor, state.round.peer_auditor) if a)
    return await render(
        request,
        "trajectory.html",
        status=status,
        viewer=viewer,
        state=state,
        auditors=auditors,
        forms=forms,
        timeline=await _timeline(app, state.trajectory_id, viewer),
        done=done,
    )


@router.get(PAGE)
async def trajectory_page(
    request: Request, trajectory_id: TrajectoryPath, viewer: Viewer, app: Runtime, verwerkt: str | None = None
) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    noun, _, verb = (verwerkt or "").partition("/")
    done_form = BY_STEP.get((noun, verb))
    done = DONE.format(title=done_form.title.rstrip(".")) if done_form is not None else None
    return await _page(request, app, viewer, state, done=done)


@router.post(STEP)
async def take_step(
    request: Request, trajectory_id: TrajectoryPath, noun: str, verb: str, viewer: Viewer, app: Runtime
) -> Response:
    form = BY_STEP.get((noun, verb))
    state = await visible_state(app, viewer, trajectory_id)
    if form is None or form.command is OpenTrajectory:
        raise not_found()
    if not may_send(viewer, form.name):
        raise Problem(403, "Uw rol mag deze stap niet zetten.")
    submitted = await submit_form(request, app, viewer, trajectory_id, form, step_url(trajectory_id, form))
    if submitted.accepted:
        target = f"{page_url(trajectory_id)}?verwerkt={form.noun}/{form.verb}"
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if is_htmx(request):  # htmx swaps 2xx answers only: the form with its explanation, as 200
        return await render(request, "_form_fragment.html", viewer=viewer, form_state=submitted.form_state)
    return await _page(request, app, viewer, state, posted=submitted.form_state, status=submitted.status)
