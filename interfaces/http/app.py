"""The FastAPI application of `cbct serve`, built on a bootstrapped `App`.

One app serves the API (`/api/...`, OpenAPI at `/api/docs`), the calendar feeds and the ops endpoints;
every error is a problem document (`problems`). It adds no second way into the store: commands go to
their trajectory's workflow through `App.temporal.trajectories.submit`, queries read the read models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from interfaces import web
from interfaces.http import auth, commands, feeds, metrics, ops, problems, queries

if TYPE_CHECKING:
    from bootstrap import App

API_PREFIX = "/api"


def create_app(runtime: App) -> FastAPI:
    """The HTTP application over `runtime` (which the caller opened and closes)."""
    app = FastAPI(
        title="CBCT trajecten",
        summary="Certificeringstrajecten van CBCT (Kwaliteit in Beeld): commando's, leesmodellen, agenda's.",
        version="1",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.cbct = runtime
    problems.install(app)
    web.install(app)  # the pages (interfaces/web): after the problems, before the API's CSRF guard
    auth.install(app)
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(commands.router, prefix=API_PREFIX)
    app.include_router(queries.router, prefix=API_PREFIX)
    app.include_router(feeds.router)
    app.include_router(ops.router)
    app.include_router(metrics.router)
    return app
