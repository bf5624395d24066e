"""The start page `/`: each role lands here after signing in, on its own overview.

For now one page for every role: the role's introduction (`navigation.HOMES`) and the open trajectories
the viewer may know of (`application.access.may_see`), each linking to its trajectory page. Without a
session, `/` sends the visitor to the sign-in page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from application.access import Role, may_see
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.identity import Viewer
from interfaces.web.render import render
from projections.overview import TrajectoryOverview, list_trajectories

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


async def visible_open_trajectories(app: Runtime, viewer: Viewer) -> list[TrajectoryOverview]:
    """The open trajectories `viewer` may know of, by organisation (the first `SHOWN` + 1)."""
    rows = await list_trajectories(app.pool, open_only=True, limit=2_000)
    seen = [
        row
        for row in rows
        if may_see(
            viewer, certificate_number=row.certificate_number, expert_auditor=row.expert_auditor,
            peer_auditor=row.peer_auditor,
        )
    ]  # fmt: skip
    return seen[: SHOWN + 1]


@router.get("/")
async def start(request: Request, viewer: Viewer, app: Runtime) -> Response:
    trajectories = await visible_open_trajectories(app, viewer)
    return await render(
        request,
        "start.html",
        viewer=viewer,
        trajectories=trajectories[:SHOWN],
        more=len(trajectories) > SHOWN,
        list_title=LIST_TITLES.get(viewer.role, "Lopende trajecten"),
        empty_text=EMPTY.get(viewer.role, "Er lopen nu geen trajecten."),
    )
