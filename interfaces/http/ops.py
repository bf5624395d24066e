"""`/healthz` (the process answers) and `/readyz` (it can do its work) for load balancers and ops.

`/readyz` is 200 only when Postgres answers, Temporal is connected and no read model is more than
`CBCT_READY_MAX_PROJECTION_LAG` events behind the store; otherwise 503 with a JSON body that names what
is down and why, one line each, without secrets (URLs, keys) or stack traces. Temporal's
state comes from the process's `Readiness` (`app.state.readiness`, kept by the Temporal supervisor as
in the worker) when `cbct serve` set one, else from a health check of the client. Every check is bounded
in time, so a hung dependency makes the answer slow by at most `CHECK_SECONDS`, never hang.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from infrastructure.readiness import Readiness
from interfaces.http.deps import runtime

router = APIRouter(tags=["ops"])

CHECK_SECONDS = 3.0
"""How long one readiness check may take before its dependency counts as down."""


@router.get("/healthz", summary="Leeft het proces?", response_description="Het proces antwoordt.")
async def healthz() -> dict[str, str]:
    """200 as long as the process answers HTTP (liveness); says nothing about its dependencies."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Kan het proces zijn werk doen?",
    responses={
        200: {"description": "Postgres, Temporal en de leesmodellen zijn bij.",
              "content": {"application/json": {"example": {"status": "klaar", "down": {}}}}},
        503: {"description": "Iets is niet beschikbaar; `down` noemt wat en waarom.",
              "content": {"application/json": {"example": {
                  "status": "niet klaar", "down": {"postgres": "antwoordt niet (ConnectionRefusedError)"}}}}},
    },
)  # fmt: skip
async def readyz(request: Request) -> JSONResponse:
    """200 when Postgres answers, Temporal is connected and the read models are nearly current; else 503."""
    app = runtime(request)
    readiness: Readiness | None = getattr(request.app.state, "readiness", None)
    postgres, temporal, lag = await asyncio.gather(
        _postgres(app), _temporal(app, readiness), _projections(app, app.settings.ready_max_projection_lag)
    )
    down: dict[str, str] = {}
    if postgres is not None:
        down["postgres"] = postgres
    if temporal is not None:
        down["temporal"] = temporal
    if lag is not None:
        down["projections"] = lag
    for condition, reason in (readiness.reasons if readiness is not None else {}).items():
        down.setdefault(condition, reason)
    body: dict[str, Any] = {"status": "niet klaar" if down else "klaar", "down": down}
    return JSONResponse(body, status_code=503 if down else 200, headers={"Cache-Control": "no-store"})


async def _postgres(app: Any) -> str | None:
    try:
        await asyncio.wait_for(app.pool.fetchval("SELECT 1"), CHECK_SECONDS)
    except TimeoutError:
        return f"antwoordt niet binnen {CHECK_SECONDS:.0f} s"
    except Exception as error:  # refused, lost, starting up: the kind says enough
        return f"antwoordt niet ({type(error).__name__})"
    return None


async def _temporal(app: Any, readiness: Readiness | None) -> str | None:
    access = app.temporal_access
    if access is None:
        return "niet verbonden in dit proces"
    if readiness is not None:
        return readiness.reasons.get("temporal")
    try:
        serving = await access.client.service_client.check_health(timeout=timedelta(seconds=CHECK_SECONDS))
    except Exception as error:
        return f"antwoordt niet ({type(error).__name__})"
    return None if serving else "dienst niet beschikbaar"


async def projection_lag(app: Any) -> dict[str, int]:
    """How many events each read model is behind the store (its checkpoint against the store's head)."""
    statuses = await app.projections.status()
    return {status.name: status.behind for status in statuses}


async def _projections(app: Any, threshold: int) -> str | None:
    try:
        lag = await asyncio.wait_for(projection_lag(app), CHECK_SECONDS)
    except TimeoutError:
        return f"achterstand niet te bepalen binnen {CHECK_SECONDS:.0f} s"
    except Exception as error:
        return f"achterstand niet te bepalen ({type(error).__name__})"
    behind = {name: n for name, n in lag.items() if n > threshold}
    if not behind:
        return None
    listed = ", ".join(f"{name} {n}" for name, n in sorted(behind.items()))
    return f"leesmodellen lopen meer dan {threshold} gebeurtenissen achter: {listed}"
