"""Installing the web app into the HTTP application: its pages, static files and error pages.

`install(app)` is called by `interfaces/http/app.py` after `problems.install` (the error pages wrap its
handler for unknown addresses) and before `auth.install`, whose CSRF guard wants the API's header: a
page form cannot send headers, so the pages check the same token as a hidden field (`check_csrf`).
A new page module adds its router to `ROUTERS`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from interfaces.web import (
    audits,
    decisions,
    operations,
    portal,
    portal_calendar,
    portal_contacts,
    portal_documents,
    portal_scores,
    portal_steps,
    signin,
    start,
    trajectory,
)
from interfaces.web.errors import install_error_pages
from interfaces.web.identity import check_csrf
from interfaces.web.planner_pages import PLANNER_ROUTERS

STATIC = Path(__file__).parent / "static"

ROUTERS: tuple[APIRouter, ...] = (
    signin.router,
    start.router,
    trajectory.router,
    audits.router,  # the auditor's audits and score sheet
    decisions.router,  # the director's decisions
    operations.router,  # ops: stuck work, workflows, read models, e-mails
    # the auditee portal (issue 23)
    portal.router,
    portal_steps.router,
    portal_contacts.router,
    portal_documents.router,
    portal_scores.router,
    portal_calendar.router,
)
"""Every page router (each with `route_class=WebRoute`)."""
ROUTERS += PLANNER_ROUTERS


def install(app: FastAPI) -> None:
    """Add the pages, `/static`, and the Dutch error pages for browsers to `app`."""
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(check_csrf)])
