"""`/metrics`: the Prometheus exposition of `infrastructure.metrics.REGISTRY` (for ops).

Only for the ops and admin roles; a scraper signs in with an API token (`Authorization: Bearer <token>`,
made with `cbct tokens create` for an ops account). Prometheus, for example:

    scrape_configs:
      - job_name: cbct
        metrics_path: /metrics
        authorization: {type: Bearer, credentials_file: /etc/prometheus/cbct-token}
        static_configs: [{targets: ["127.0.0.1:8000"]}]

It serves the commands by type and answer and their latency, e-mails sent and failed (counted where
they happen), the read models' gauges (open trajectories by phase, overdue deadlines, projection lag in
events and seconds, e-mails waiting and refused: read at most every `REFRESH_SECONDS`, with bounded
queries) and the Temporal SDK's own worker metrics, all on this one endpoint: no second open port.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder

from application.access import Role
from infrastructure.logging import get_logger
from infrastructure.metrics import READ_MODELS, REGISTRY
from interfaces.http.deps import Runtime, require
from interfaces.http.query_models import problem_responses
from projections.gauges import read_model_figures
from projections.registry import all_projections

log = get_logger(__name__)
router = APIRouter(tags=["beheer"])

REFRESH_SECONDS = 5.0
"""Scrapes closer together than this reuse the read models' last figures."""
_last: dict[str, Any] = {"pool": None, "at": float("-inf")}


async def refresh(runtime: Any) -> None:
    """Read the read models' figures again unless this runtime's were read a moment ago."""
    if _last["pool"] is runtime.pool and time.monotonic() - float(_last["at"]) < REFRESH_SECONDS:
        return
    try:
        figures = await read_model_figures(runtime.pool, await runtime.clock.now(), all_projections())
    except Exception as error:  # the database away: still answer, with the process's own metrics
        log.warning("metrics_read_models_unavailable", error=str(error))
        READ_MODELS.update(None)
        _last.update(pool=None, at=float("-inf"))
        return
    READ_MODELS.update(figures)
    _last.update(pool=runtime.pool, at=time.monotonic())


@router.get(
    "/metrics",
    summary="Prometheus-metrieken (ops en admin)",
    description="Tekstformaat van Prometheus. Alleen voor de rollen ops en admin, met een API-token "
    "(`Authorization: Bearer ...`).",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "De metrieken"},
        **problem_responses(401, 403, described={403: "Alleen voor ops en admin."}),
    },
    dependencies=[require(Role.OPS, Role.ADMIN)],
)
async def metrics(request: Request, runtime: Runtime) -> Response:
    await refresh(runtime)
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(REGISTRY), media_type=content_type, headers={"Cache-Control": "no-store"})
