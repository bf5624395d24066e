"""The auditor's pages: the audits it is named for, and per audit the score sheet and a declaration.

- `GET /audits`: the trajectories whose current round names the viewer as expert or peer auditor (its
  display name; `projections.scope.scope_of`, as the API scopes it), running ones first.
- `GET /audits/{id}`: one audit — its dates, scope and co-auditor; while the audit is planned, the score
  sheet (`score_sheet.ScoreSheet`: one row per beoordelingsvraag with the score choices, findings and
  improvement points, generated from the framework); once recorded, the scores per norm; and the
  declaration of a conflict of interest (the generated `DeclareConflictOfInterest` form).
- `POST /audits/{id}/scores` and `POST /audits/{id}/belangen`: the two commands, through the
  trajectory's workflow (`submitting.submit`). Refused or invalid: the page again with everything typed
  kept and CBCT's explanation (htmx: the form alone); accepted: back to the page with a confirmation.

An audit that does not name the viewer reads exactly as an unknown one (404); other roles get 403.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from application.access import Principal, Role
from application.trajectories import rules_for_version
from domain.state import TrajectoryState
from domain.vocabulary import Phase
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.forms import FORMS, FormState
from interfaces.web.identity import role_in
from interfaces.web.render import is_htmx, render
from interfaces.web.score_sheet import PROSE_FIELDS, SCORES_FORM, ScoreSheet, decimal, recorded_rows
from interfaces.web.steps import open_now
from interfaces.web.submitting import posted_state, submit
from interfaces.web.trajectory import TrajectoryPath, visible_state
from projections.overview import TrajectoryFilter, page_trajectories
from projections.scope import scope_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LIST = "/audits"
PAGE = "/audits/{trajectory_id}"
SCORES = "/audits/{trajectory_id}/scores"
CONFLICT = "/audits/{trajectory_id}/belangen"
SHOWN = 50
CONFLICT_FORM = FORMS["DeclareConflictOfInterest"]
DONE = {
    "scores": "De scores zijn vastgelegd.",
    "belangen": "Uw verklaring van belangenverstrengeling is vastgelegd.",
}

Auditor = Annotated[Principal, role_in(Role.AUDITOR)]


def audit_url(trajectory_id: str) -> str:
    return PAGE.format(trajectory_id=trajectory_id)


def _role_of(viewer: Principal, state: TrajectoryState) -> str:
    if state.round.expert_auditor == viewer.display_name:
        return "deskundige auditor"
    return "collega-auditor (peer)"


@router.get(LIST)
async def audits(request: Request, app: Runtime, viewer: Auditor) -> Response:
    scope = scope_of(viewer)
    running = await page_trajectories(app.pool, TrajectoryFilter(is_open=True), scope=scope, limit=SHOWN)
    done = await page_trajectories(app.pool, TrajectoryFilter(is_open=False), scope=scope, limit=SHOWN)
    return await render(
        request,
        "audits.html",
        viewer=viewer,
        running=running,
        done=done,
        scheduled=Phase.SCHEDULED.value,
    )


async def _page(
    request: Request,
    app: Any,
    viewer: Principal,
    state: TrajectoryState,
    *,
    sheet_state: FormState | None = None,
    conflict_state: FormState | None = None,
    cell_errors: dict[str, str] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Response:
    rules = rules_for_version(state.framework_version)
    now = await app.clock.now()
    trajectory_id = state.trajectory_id
    sheet = None
    if state.phase is Phase.SCHEDULED and open_now(state, SCORES_FORM, now):
        sheet = ScoreSheet.of(state, rules)
        sheet_state = sheet_state or FormState(SCORES_FORM, SCORES.format(trajectory_id=trajectory_id))
    if conflict_state is None and open_now(state, CONFLICT_FORM, now):
        conflict_state = FormState(
            CONFLICT_FORM, CONFLICT.format(trajectory_id=trajectory_id), {"auditor": viewer.display_name}
        )
    others = [a for a in (state.round.expert_auditor, state.round.peer_auditor) if a and a != viewer.display_name]
    first_day: date | None = state.round.audit_dates[0] if state.round.audit_dates else None
    return await render(
        request,
        "audit.html",
        status=status,
        viewer=viewer,
        state=state,
        my_role=_role_of(viewer, state),
        co_auditors=", ".join(others),
        scope=[rules.norm(n) for n in state.round.scope],
        first_day=first_day,
        sheet=sheet,
        sheet_state=sheet_state if sheet is not None else None,
        prose_fields=PROSE_FIELDS,
        cell_errors=cell_errors or {},
        recorded=recorded_rows(state, rules),
        pass_mark_text=decimal(rules.verdict.pass_threshold),
        conflict_state=conflict_state,
        done=done,
    )


@router.get(PAGE)
async def audit_page(
    request: Request, trajectory_id: TrajectoryPath, app: Runtime, viewer: Auditor,
    verwerkt: str | None = None,
) -> Response:  # fmt: skip
    state = await visible_state(app, viewer, trajectory_id)
    return await _page(request, app, viewer, state, done=DONE.get(verwerkt or ""))


def _accepted(request: Request, trajectory_id: str, what: str) -> Response:
    target = f"{audit_url(trajectory_id)}?verwerkt={what}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post(SCORES)
async def record_scores(request: Request, trajectory_id: TrajectoryPath, app: Runtime, viewer: Auditor) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    sheet = ScoreSheet.of(state, rules_for_version(state.framework_version))
    posted = await request.form()
    values = sheet.values_of(posted)
    sheet_state = posted_state(FormState(SCORES_FORM, SCORES.format(trajectory_id=trajectory_id), values), posted)
    status = await submit(app, sheet_state, sheet.command_values(values), trajectory_id=trajectory_id, viewer=viewer)
    if status == 200:
        return _accepted(request, trajectory_id, "scores")
    cell_errors = sheet.unanswered(values)
    if is_htmx(request):
        return await render(
            request, "_score_sheet_fragment.html", viewer=viewer, sheet=sheet, sheet_state=sheet_state,
            prose_fields=PROSE_FIELDS, cell_errors=cell_errors,
        )  # fmt: skip
    return await _page(request, app, viewer, state, sheet_state=sheet_state, cell_errors=cell_errors, status=status)


@router.post(CONFLICT)
async def declare_conflict(request: Request, trajectory_id: TrajectoryPath, app: Runtime, viewer: Auditor) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    posted = await request.form()
    form_state = posted_state(
        FormState(CONFLICT_FORM, CONFLICT.format(trajectory_id=trajectory_id), CONFLICT_FORM.values_of(posted)),
        posted,
    )
    status = await submit(app, form_state, form_state.values, trajectory_id=trajectory_id, viewer=viewer)
    if status == 200:
        return _accepted(request, trajectory_id, "belangen")
    if is_htmx(request):
        return await render(request, "_form_fragment.html", viewer=viewer, form_state=form_state)
    return await _page(request, app, viewer, state, conflict_state=form_state, status=status)
