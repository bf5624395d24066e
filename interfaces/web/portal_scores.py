"""The organisation's own scores per norm, beside the national average, lowest and highest score.

CBCT gives an auditee this comparison. Its own figures are the latest round's norm scores, shown once the
draft report reached the organisation (before that they are the auditors' work in progress); the
national ones come from the read model (`projections.norm_comparison`: every trajectory's latest
scores in the same framework version, none named).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from application.trajectories import rules_for_version
from domain.dutch import getal
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.portal import Auditee, TrajectoryPath, portal_url, scores_visible
from interfaces.web.render import render
from interfaces.web.trajectory import visible_state
from projections.norm_comparison import national_norm_figures

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@dataclass(frozen=True)
class ScoreLine:
    """One norm as the page shows it: the own score and the national figures, as text and as a bar."""

    norm: str
    name: str
    own: str
    average: str
    lowest: str
    highest: str
    count: int
    value: float
    top: int
    threshold: float
    passed: bool


@router.get("/portaal/{trajectory_id}/scores")
async def scores(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    rules = rules_for_version(state.framework_version)
    top = max(rules.scale.values()) or 1
    lines: list[ScoreLine] = []
    if scores_visible(state):
        national = await national_norm_figures(app.pool, state.framework_version)
        for norm_id, own in state.round.norm_scores.items():
            figures = national.get(norm_id)
            try:
                name = rules.norm(norm_id).name
            except KeyError:
                name = norm_id
            lines.append(
                ScoreLine(
                    norm=norm_id,
                    name=name,
                    own=getal(own),
                    average=getal(figures.average) if figures else "—",
                    lowest=getal(figures.lowest) if figures else "—",
                    highest=getal(figures.highest) if figures else "—",
                    count=figures.count if figures else 0,
                    value=own,
                    top=top,
                    threshold=rules.verdict.pass_threshold,
                    passed=own >= rules.verdict.pass_threshold,
                )
            )
    return await render(
        request,
        "portal_scores.html",
        viewer=viewer,
        state=state,
        lines=lines,
        top=getal(top),
        threshold=getal(rules.verdict.pass_threshold),
        scale=", ".join(f"{score.value} = {value}" for score, value in rules.scale.items()),
        back=portal_url(trajectory_id),
    )
