"""A calendar subscription: a secret link that puts the audit dates and one's own deadlines in a calendar app.

The page does what `POST /api/feeds` does (`interfaces.http.feeds.create`, called as it is: the same
limits, the same event, the same scope): the link is shown once, in the answer to the form post (never
in an address, where it would end up in the history); afterwards only the subscription's date is
listed, with a button to revoke it (`interfaces.http.feeds.revoke`). Any signed-in role may use it; the
feed shows what that role may see (an organisation: its own audits and deadlines).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from application.access import Principal
from interfaces.http import feeds
from interfaces.http.deps import Runtime
from interfaces.http.problems import Problem
from interfaces.web.errors import WebRoute
from interfaces.web.identity import Viewer
from interfaces.web.render import render
from projections import feed_tokens

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/agenda-abonnement"
REVOKED = "Het abonnement is ingetrokken: die link werkt niet meer."


async def _page(request: Request, app: Any, viewer: Principal, *, new_url: str | None = None,
                notice: str | None = None, error: str | None = None, status: int = 200) -> Response:  # fmt: skip
    listed = await feed_tokens.feeds_of(app.pool, viewer.account_id)
    return await render(
        request,
        "portal_calendar.html",
        status=status,
        viewer=viewer,
        feeds=listed,
        new_url=new_url,
        webcal_url=new_url.replace("https://", "webcal://").replace("http://", "webcal://") if new_url else None,
        notice=notice,
        error=error,
        max_feeds=feeds.MAX_FEEDS,
    )


@router.get(PAGE)
async def calendar_page(request: Request, viewer: Viewer, app: Runtime, ingetrokken: str | None = None) -> Response:
    return await _page(request, app, viewer, notice=REVOKED if ingetrokken else None)


@router.post(PAGE)
async def calendar_create(request: Request, viewer: Viewer, app: Runtime) -> Response:
    """A new subscription; its link is in this answer only (not cached, not in an address)."""
    try:
        made = await feeds.create(request, app, viewer)
    except Problem as refused:
        if refused.status not in (403, 409):
            raise
        return await _page(request, app, viewer, error=refused.detail, status=refused.status)
    return await _page(request, app, viewer, new_url=made.url)


@router.post(f"{PAGE}/{{feed_id}}/intrekken")
async def calendar_revoke(
    request: Request, viewer: Viewer, app: Runtime, feed_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
) -> Response:
    await feeds.revoke(app, viewer, feed_id)  # not the viewer's: the same 404 as an unknown one
    return RedirectResponse(f"{PAGE}?ingetrokken=1", status_code=303)
