"""The planner's inbox of uitstel requests: each with the rule that applies, what a grant would move,
and the generated `DecidePostponement` form to grant or refuse it with a reason.

`GET /uitstel` lists the pending requests (`projections.postponements`, the most urgent first, `PER_PAGE`
at a time). Each request's trajectory is read from the event store, as its page does: the rule comes
from `application.postponement_preview.explain_rule`, and the preview from deciding a grant on that
state without storing it (`preview_grant`), by default to the next quarter. A planner who wants to see
another quarter or date asks with the small GET form beside it (`?verzoek=...&kwartaal=...&datum=...`);
the decision form is then filled in with the same.

`POST /uitstel/{trajectory_id}/besluit` sends the decision through the trajectory's workflow exactly as
the trajectory page does (`sending.send`). Accepted: back to the inbox (303) saying what was decided.
Invalid or refused: the inbox again, the input kept and CBCT's explanation beside the form.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from application.access import Principal, Role, may_send
from application.postponement_preview import (
    GrantPreview,
    RuleExplanation,
    explain_rule,
    grant_command,
    party_name,
    preview_grant,
)
from application.trajectories import rules_for_version
from domain.calendar import Quarter
from domain.commands import TrajectoryId
from domain.dutch import datums
from domain.state import TrajectoryState
from interfaces.http import cursors
from interfaces.http.deps import Runtime
from interfaces.http.problems import Problem
from interfaces.web.errors import WebRoute
from interfaces.web.forms import BY_STEP, FormErrors, FormState, new_command_id
from interfaces.web.identity import role_in
from interfaces.web.planner_common import StaffViewer
from interfaces.web.render import is_htmx, render
from interfaces.web.sending import REFUSED, send
from interfaces.web.trajectory import visible_state
from projections.postponements import PostponementRequest, page_postponements
from projections.scope import scope_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/uitstel"
DECIDE = "/uitstel/{trajectory_id}/besluit"
PER_PAGE = 10
PREVIEWS_KEPT = 512
"""Previews kept (least recently used out): a few inbox pages of every planner, for the minute."""
_PREVIEWS: OrderedDict[tuple[object, ...], tuple[RuleExplanation, GrantPreview]] = OrderedDict()
FORM = BY_STEP[("postponement", "decide")]
Cursor = Annotated[str | None, Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]+$")]
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


@dataclass
class InboxItem:
    """One pending request as the inbox shows it."""

    request: PostponementRequest
    state: TrajectoryState
    rule: RuleExplanation
    preview: GrantPreview
    preview_errors: dict[str, str]
    form: FormState

    @property
    def anchor(self) -> str:
        return f"verzoek-{self.request.trajectory_id}"


def _prefix(trajectory_id: str) -> str:
    """HTML ids of one request's forms are unique on the page."""
    return f"{trajectory_id}-"


def _decide_form(trajectory_id: str, preview: GrantPreview, pending_number: int) -> FormState:
    values: dict[str, Any] = {
        "request_number": str(pending_number),
        "new_quarter": str(preview.command.new_quarter) if preview.command.new_quarter else "",
        "new_audit_dates": [d.isoformat() for d in preview.command.new_audit_dates or ()],
    }
    return FormState(FORM, DECIDE.format(trajectory_id=trajectory_id), values, prefix=_prefix(trajectory_id))


def _asked(kwartaal: str | None, datum: str | None) -> tuple[Quarter | None, tuple[date, ...] | None, dict[str, str]]:
    """The quarter and date a planner asked to preview, each checked as the command would check it."""
    errors: dict[str, str] = {}
    quarter: Quarter | None = None
    day: tuple[date, ...] | None = None
    if kwartaal:
        try:
            quarter = Quarter.model_validate(kwartaal.strip())
        except ValidationError:
            errors["kwartaal"] = "Schrijf het kwartaal als 2026-K4."
    if datum:
        try:
            day = (date.fromisoformat(datum),)
        except ValueError:
            errors["datum"] = "Vul een datum in (dag, maand en jaar)."
    return quarter, day, errors


async def _item(
    app: Any,
    request: PostponementRequest,
    now: datetime,
    asked: tuple[Quarter | None, tuple[date, ...] | None, dict[str, str]],
) -> InboxItem | None:
    """The request with its rule and preview; None when the store already has it decided (the list is a
    read model, a moment behind)."""
    state: TrajectoryState | None = await app.service.state(request.trajectory_id)
    pending = state.postponements.pending if state is not None else None
    if state is None or pending is None or pending.number != request.request_number:
        return None
    quarter, days, errors = asked
    rule, preview = _previewed(state, now, quarter, days)
    return InboxItem(request, state, rule, preview, errors,
                     _decide_form(request.trajectory_id, preview, pending.number))  # fmt: skip


def _previewed(
    state: TrajectoryState, now: datetime, quarter: Quarter | None, days: tuple[date, ...] | None
) -> tuple[RuleExplanation, GrantPreview]:
    """The rule and the grant's preview: pure functions of the state (its version), the asked quarter or
    date and the moment, kept for the minute (`_PREVIEWS`). Deciding and folding a grant was a third of
    an inbox page, and every planner who opens the inbox asks the same."""
    minute = now.replace(second=0, microsecond=0)
    key = (state.trajectory_id, state.version, quarter, days, minute)
    kept = _PREVIEWS.get(key)
    if kept is not None:
        _PREVIEWS.move_to_end(key)
        return kept
    rules = rules_for_version(state.framework_version)
    command = grant_command(state, minute, new_quarter=quarter, new_audit_dates=days)
    made = (explain_rule(state, rules), preview_grant(state, command, minute, rules))
    _PREVIEWS[key] = made
    while len(_PREVIEWS) > PREVIEWS_KEPT:
        _PREVIEWS.popitem(last=False)
    return made


def _decided_notice(state: TrajectoryState) -> str | None:
    decided = state.postponements.decided
    if not decided:
        return None
    last = decided[-1]
    if not last.granted:
        return f"Uitstelverzoek {last.number} van {state.organisation} is geweigerd."
    where = (
        f"de audit staat nu op {datums(last.new_audit_dates)}"
        if last.new_audit_dates
        else f"de audit gaat naar {last.new_quarter}"
    )
    return f"Uitstelverzoek {last.number} van {state.organisation} is verleend: {where}."


async def _inbox(
    request: Request,
    app: Any,
    viewer: Principal,
    *,
    cursor: str | None = None,
    asked_for: str | None = None,
    kwartaal: str | None = None,
    datum: str | None = None,
    posted: tuple[str, FormState] | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    after = cast("tuple[date, str, int] | None", cursors.decode(cursor, cursors.day, cursors.text, cursors.number))
    listed = await page_postponements(app.pool, status="pending", scope=scope_of(viewer), limit=PER_PAGE, after=after)
    now = await app.clock.now()
    items = []
    for pending in listed.items:
        asked = _asked(kwartaal, datum) if pending.trajectory_id == asked_for else (None, None, {})
        item = await _item(app, pending, now, asked)
        if item is None:
            continue
        if posted is not None and posted[0] == pending.trajectory_id:
            item.form = posted[1]
        items.append(item)
    if posted is not None and all(i.request.trajectory_id != posted[0] for i in items):
        done = done or "Dit verzoek staat niet meer open."
    next_url = f"{PAGE}?na={cursors.encode(listed.after)}" if listed.after else None
    return await render(
        request,
        "inbox.html",
        status=status,
        viewer=viewer,
        items=items,
        total=listed.total,
        next_url=next_url,
        first_url=PAGE if cursor else None,
        done=done,
        may_decide=may_send(viewer, FORM.name),
        party_name=party_name,
    )


@router.get(PAGE)
async def inbox_page(
    request: Request,
    viewer: StaffViewer,
    app: Runtime,
    na: Cursor = None,
    verzoek: Text = None,
    kwartaal: Text = None,
    datum: Text = None,
    verwerkt: Text = None,
) -> Response:
    done = None
    if verwerkt:
        state = await app.service.state(verwerkt)
        done = _decided_notice(state) if state is not None else None
    return await _inbox(request, app, viewer, cursor=na, asked_for=verzoek, kwartaal=kwartaal, datum=datum, done=done)


@router.post(DECIDE)
async def decide(
    request: Request,
    trajectory_id: Annotated[TrajectoryId, Path()],
    viewer: Annotated[Principal, role_in(Role.PLANNER)],
    app: Runtime,
) -> Response:
    await visible_state(app, viewer, trajectory_id)  # 404 when unknown
    if not may_send(viewer, FORM.name):
        raise Problem(403, "Uw rol mag deze stap niet zetten.")
    posted = await request.form()
    command_id = str(posted.get("command_id") or "") or new_command_id()
    values = FORM.values_of(posted)
    state = FormState(FORM, DECIDE.format(trajectory_id=trajectory_id), values, command_id=command_id,
                      prefix=_prefix(trajectory_id))  # fmt: skip
    try:
        command = FORM.command_of(values, command_id=command_id, trajectory_id=trajectory_id, actor=viewer.actor)
    except FormErrors as errors:
        state.errors, state.general = errors.fields, errors.general
        status = 422
    else:
        answer = await send(app, command)
        if answer.accepted:
            target = f"{PAGE}?verwerkt={trajectory_id}"
            if is_htmx(request):
                return Response(status_code=200, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        state.general, status = [answer.message or REFUSED], answer.status
    if is_htmx(request):  # htmx swaps 2xx answers only: the form with its explanation, as 200
        return await render(request, "_form_fragment.html", viewer=viewer, form_state=state)
    return await _inbox(request, app, viewer, posted=(trajectory_id, state), status=status)
