"""The FastAPI application of `cbct serve`, built on a bootstrapped `App`.

One app serves the API (`/api/...`, OpenAPI at `/api/docs`), the calendar feeds, the ops endpoints, the
Temporal Web UI's codec (`/codec/decode`) and a Dutch start page at `/`; every error is a problem
document (`problems`), and every request passes the platform middleware (request id, security headers,
body limit: `middleware`). It adds no second way into the store: commands go to their trajectory's
workflow through `App.temporal.trajectories.submit`, queries read the read models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI

from interfaces import web
from interfaces.http import auth, codec, commands, feeds, metrics, ops, problems, queries
from interfaces.http.middleware import bind_trajectory, install_middleware

if TYPE_CHECKING:
    from bootstrap import App

API_PREFIX = "/api"


def create_app(runtime: App) -> FastAPI:
    """The HTTP application over `runtime` (which the caller opened and closes)."""
    settings = runtime.settings
    app = FastAPI(
        title="CBCT trajecten",
        summary="Certificeringstrajecten van CBCT (Kwaliteit in Beeld): commando's, leesmodellen, agenda's.",
        version="1",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # no OAuth2 flow here: no page for it
        openapi_url=f"{API_PREFIX}/openapi.json",
        dependencies=[Depends(bind_trajectory)],
    )
    app.state.cbct = runtime
    problems.install(app)
    # Before `auth.install`, whose CSRF guard joins every route included after it: the Web UI cannot send
    # a CSRF token, and decoding changes nothing (CORS keeps its answer to the Web UI's origin).
    codec.install(app)
    web.install(app)  # the pages, `/` included (interfaces/web): their forms carry the CSRF token as a field
    auth.install(app)
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(commands.router, prefix=API_PREFIX)
    app.include_router(queries.router, prefix=API_PREFIX)
    app.include_router(feeds.router)
    app.include_router(ops.router)
    app.include_router(metrics.router)
    install_middleware(
        app,
        max_body_bytes=settings.max_request_bytes,
        docs_prefix=f"{API_PREFIX}/docs",
        https_always=(settings.public_url or "").startswith("https://"),
        larger_bodies=web.larger_bodies(settings),  # the portal's document uploads
    )
    return app
