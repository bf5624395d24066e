"""Search by organisation or certificate number: a box in the header for staff, and its results page.

`GET /zoeken?q=...` finds the trajectories whose certificate number is exactly the text, then those whose
organisation's name contains it (any case), through the read model the lists use
(`projections.overview.page_trajectories`, scoped as the API's). One hit by certificate number shows
first, so typing a number finds its organisation's trajectories at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.planner_common import StaffViewer
from interfaces.web.render import render
from projections.overview import TrajectoryFilter, TrajectoryOverview, page_trajectories
from projections.scope import scope_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/zoeken"
SHOWN = 50
Text = Annotated[str | None, Query(max_length=200)]


def _clean(text: str | None) -> str:
    """The search text without control characters (none belongs in a name or a number)."""
    return "".join(c for c in (text or "") if c.isprintable()).strip()


@router.get(PAGE)
async def search_page(request: Request, viewer: StaffViewer, app: Runtime, q: Text = None) -> Response:
    text = _clean(q)
    found: list[TrajectoryOverview] = []
    total = 0
    if text:
        scope = scope_of(viewer)
        by_number = await page_trajectories(app.pool, TrajectoryFilter(certificate_number=text), scope=scope,
                                            limit=SHOWN)  # fmt: skip
        by_name = await page_trajectories(app.pool, TrajectoryFilter(organisation_like=text), scope=scope,
                                          limit=SHOWN)  # fmt: skip
        seen: set[str] = set()
        for t in [*by_number.items, *by_name.items]:
            if t.trajectory_id not in seen:
                seen.add(t.trajectory_id)
                found.append(t)
        total = len(found) + max(0, by_number.total - len(by_number.items)) + max(0, by_name.total - len(by_name.items))
    return await render(request, "search.html", viewer=viewer, text=text, found=found[:SHOWN], total=total)
