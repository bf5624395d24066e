"""The director's pages: the certification decisions to take, each with its scores and computed verdict.

- `GET /besluiten`: the trajectories whose scores are in and whose decision is due (phase *wacht op
  besluit* in the overview read model), each with its norm scores and the verdict the rules compute;
  below them those still in hoor en wederhoor.
- `GET /besluiten/{id}`: one decision — the scores per norm and question, the verdict per module set,
  and the generated `DecideCertification` form, its verdict filled in with the computed one.
- `POST /besluiten/{id}`: the decision, through the trajectory's workflow; accepted → the trajectory
  page with its new verdict; refused (a verdict that contradicts the scores, the reaction window still
  open) → the page again with the input kept and CBCT's explanation.

The verdict is the domain's own computation (`domain.verdict.evaluate`, as `domain.decision` calls
it) on the folded state — the snapshot read model for the list, the event store for one decision —
never a second implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from application.access import Principal, Role
from application.trajectories import rules_for_version
from domain.state import TrajectoryState
from domain.verdict import BASE, evaluate
from domain.vocabulary import Phase, Result
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.forms import FORMS, FormState
from interfaces.web.identity import role_in
from interfaces.web.render import is_htmx, render
from interfaces.web.score_sheet import RecordedNorm, decimal, recorded_rows
from interfaces.web.submitting import posted_state, submit
from interfaces.web.trajectory import TrajectoryPath, page_url, visible_state
from projections.overview import TrajectoryFilter, page_trajectories
from projections.scope import scope_of
from projections.trajectory_state import load_state

router = APIRouter(route_class=WebRoute, include_in_schema=False)

LIST = "/besluiten"
PAGE = "/besluiten/{trajectory_id}"
SHOWN = 50
DECIDE_FORM = FORMS["DecideCertification"]

Director = Annotated[Principal, role_in(Role.DIRECTOR)]


def set_label(name: str) -> str:
    """`basis+M1` → `Basisnormen + module M1`; `heraudit` → `Heraudit`."""
    if name == BASE:
        return "Basisnormen"
    if name.startswith(f"{BASE}+"):
        return f"Basisnormen + module {name.removeprefix(f'{BASE}+')}"
    return name.capitalize()


@dataclass(frozen=True)
class Proposal:
    """A decision to take: the round's scores and the verdict the rules compute from them."""

    state: TrajectoryState
    verdict: Result
    failing_norms: tuple[str, ...]
    per_set: tuple[tuple[str, Result], ...]
    rows: list[RecordedNorm]
    pass_mark: float

    @property
    def decision_due_on(self) -> date | None:
        return self.state.round.decision_due_on


def proposal_for(state: TrajectoryState) -> Proposal:
    """The verdict the rules compute on `state` (pure: `domain.verdict.evaluate`, as the decision does)."""
    rules = rules_for_version(state.framework_version)
    round_ = state.round
    decisive, per_set = evaluate(round_.scores, round_.scope, round_.heraudit_rule, rules)
    return Proposal(
        state=state,
        verdict=decisive.verdict,
        failing_norms=decisive.failing_norms,
        per_set=tuple((set_label(name), verdict) for name, verdict in per_set.items()),
        rows=recorded_rows(state, rules),
        pass_mark=rules.verdict.pass_threshold,
    )


@router.get(LIST)
async def decisions(request: Request, app: Runtime, viewer: Director) -> Response:
    scope = scope_of(viewer)
    due = await page_trajectories(
        app.pool, TrajectoryFilter(phase=Phase.AWAITING_DECISION.value), scope=scope, limit=SHOWN
    )
    proposals = []
    for item in due.items:
        state = await load_state(app.pool, item.trajectory_id)
        if state is not None and state.round.scores:
            proposals.append(proposal_for(state))
    waiting = await page_trajectories(
        app.pool, TrajectoryFilter(phase=Phase.DRAFT_ISSUED.value), scope=scope, limit=SHOWN
    )
    return await render(request, "decisions.html", viewer=viewer, proposals=proposals, total=due.total, waiting=waiting)


async def _page(
    request: Request, app: Any, viewer: Principal, state: TrajectoryState, *,
    form_state: FormState | None = None, status: int = 200,
) -> Response:  # fmt: skip
    proposal = proposal_for(state) if state.round.scores else None
    due = state.phase is Phase.AWAITING_DECISION and proposal is not None
    if due and form_state is None:
        assert proposal is not None
        form_state = FormState(
            DECIDE_FORM, PAGE.format(trajectory_id=state.trajectory_id), {"verdict": proposal.verdict.value}
        )
    if form_state is not None:
        form_state.submit_label = "Besluit vastleggen"
    return await render(
        request,
        "decision.html",
        status=status,
        viewer=viewer,
        state=state,
        proposal=proposal,
        pass_mark_text=decimal(proposal.pass_mark) if proposal else None,
        recorded=proposal.rows if proposal else [],
        form_state=form_state,
    )


@router.get(PAGE)
async def decision_page(request: Request, trajectory_id: TrajectoryPath, app: Runtime, viewer: Director) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    return await _page(request, app, viewer, state)


@router.post(PAGE)
async def decide(request: Request, trajectory_id: TrajectoryPath, app: Runtime, viewer: Director) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    posted = await request.form()
    form_state = posted_state(
        FormState(DECIDE_FORM, PAGE.format(trajectory_id=trajectory_id), DECIDE_FORM.values_of(posted)), posted
    )
    form_state.submit_label = "Besluit vastleggen"
    status = await submit(app, form_state, form_state.values, trajectory_id=trajectory_id, viewer=viewer)
    if status == 200:
        target = f"{page_url(trajectory_id)}?verwerkt={DECIDE_FORM.noun}/{DECIDE_FORM.verb}"
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if is_htmx(request):
        return await render(request, "_form_fragment.html", viewer=viewer, form_state=form_state)
    return await _page(request, app, viewer, state, form_state=form_state, status=status)
