"""The start page `/`: each role lands here after signing in, on its own overview.

For now one page for every role: the role's introduction (`navigation.HOMES`) and the open trajectories
the viewer may know of (the read models' scope, `projections.scope.scope_of`: `may_see` in SQL), each
linking to its trajectory page. Without a session, `/` is a short welcome with the way to sign in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from application.access import Role
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.identity import Viewer, viewer_of
from interfaces.web.render import render
from projections.overview import TrajectoryFilter, TrajectoryOverview, page_trajectories
from projections.page import Page
from projections.scope import scope_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

SHOWN = 50
LIST_TITLES = {
    Role.AUDITEE: "Uw trajecten",
    Role.AUDITOR: "Uw audits",
}
EMPTY = {
    Role.AUDITEE: "Er loopt nu geen traject voor uw organisatie.",
    Role.AUDITOR: "U bent nu voor geen audit ingepland.",
}


async def visible_open_trajectories(app: Runtime, viewer: Viewer) -> Page[TrajectoryOverview]:
    """The first `SHOWN` open trajectories `viewer` may know of, by organisation (scoped in SQL)."""
    return await page_trajectories(app.pool, TrajectoryFilter(is_open=True), scope=scope_of(viewer), limit=SHOWN)


@router.get("/")
async def start(request: Request, app: Runtime) -> Response:
    viewer = await viewer_of(request)
    if viewer is None:
        return await render(request, "welcome.html")
    listed = await visible_open_trajectories(app, viewer)
    return await render(
        request,
        "start.html",
        viewer=viewer,
        trajectories=listed.items,
        total=listed.total,
        list_title=LIST_TITLES.get(viewer.role, "Lopende trajecten"),
        empty_text=EMPTY.get(viewer.role, "Er lopen nu geen trajecten."),
    )
