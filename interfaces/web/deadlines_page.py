"""Deadlines due and overdue, as tabs: due soon (within a chosen number of days), overdue, later, all.

`GET /termijnen?status=due|overdue|pending|all&dagen=7` reads the deadlines read model as the API does
(`projections.deadlines.page_deadlines`, scoped, earliest first, `PER_PAGE` at a time with a `na` link).
The tabs and the days are plain links and a GET form, so the page works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from application.postponement_preview import party_name
from interfaces.http import cursors
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.planner_common import StaffViewer
from interfaces.web.render import render
from projections.deadlines import MAX_DUE_WITHIN_DAYS, page_deadlines
from projections.scope import scope_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/termijnen"
PER_PAGE = 50
DEFAULT_DAYS = 7
Status = Literal["due", "overdue", "pending", "all"]
Cursor = Annotated[str | None, Query(max_length=2000, pattern=r"^[A-Za-z0-9_-]+$")]


@dataclass(frozen=True)
class Tab:
    status: Status
    label: str
    href: str
    current: bool


TAB_LABELS: dict[Status, str] = {
    "due": "Binnenkort",
    "overdue": "Verlopen",
    "pending": "Later",
    "all": "Alle",
}
EMPTY: dict[Status, str] = {
    "due": "Er vallen in deze periode geen termijnen.",
    "overdue": "Er zijn geen verlopen termijnen.",
    "pending": "Er zijn geen latere termijnen.",
    "all": "Er staan geen termijnen open.",
}
STATUS_WORDS = {"due": "binnenkort", "overdue": "verlopen", "pending": "later"}


def _url(status: Status, days: int, cursor: str | None = None) -> str:
    params: list[tuple[str, str]] = [("status", status)]
    if status == "due":
        params.append(("dagen", str(days)))
    if cursor:
        params.append(("na", cursor))
    return f"{PAGE}?{urlencode(params)}"


def _days(typed: str | None) -> tuple[int, str | None]:
    """The days asked for (default `DEFAULT_DAYS`), or the default and a Dutch error for what is no number
    of days."""
    if typed is None or not typed.strip():
        return DEFAULT_DAYS, None
    text = typed.strip()
    if not text.isdigit() or int(text) > MAX_DUE_WITHIN_DAYS:
        return DEFAULT_DAYS, f"Vul een geheel aantal dagen in, van 0 tot en met {MAX_DUE_WITHIN_DAYS}."
    return int(text), None


@router.get(PAGE)
async def deadlines_page(
    request: Request,
    viewer: StaffViewer,
    app: Runtime,
    status: Status = "due",
    dagen: Annotated[str | None, Query(max_length=20)] = None,
    na: Cursor = None,
) -> Response:
    days, days_error = _days(dagen)
    after = cast("tuple[datetime, str] | None", cursors.decode(na, cursors.moment, cursors.text))
    listed = await page_deadlines(
        app.pool,
        await app.clock.now(),
        status=status,
        due_within_days=days,
        scope=scope_of(viewer),
        limit=PER_PAGE,
        after=after,
    )
    tabs = [Tab(s, label, _url(s, days), s == status) for s, label in TAB_LABELS.items()]
    return await render(
        request,
        "deadlines.html",
        viewer=viewer,
        tabs=tabs,
        current=status,
        days=days,
        typed_days=dagen if days_error else str(days),
        days_error=days_error,
        deadlines=listed.items,
        total=listed.total,
        next_url=_url(status, days, cursors.encode(listed.after)) if listed.after else None,
        first_url=_url(status, days) if na else None,
        empty=EMPTY[status],
        status_words=STATUS_WORDS,
        party_name=party_name,
        max_days=MAX_DUE_WITHIN_DAYS,
    )
