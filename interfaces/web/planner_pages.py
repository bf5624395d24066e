"""The planner's pages, as one tuple of routers for `interfaces/web/app.py`'s `ROUTERS`."""

from __future__ import annotations

from fastapi import APIRouter

from interfaces.web import calendar_page, deadlines_page, inbox, register_page, report_page, search

PLANNER_ROUTERS: tuple[APIRouter, ...] = (
    calendar_page.router,
    inbox.router,
    deadlines_page.router,
    register_page.router,
    report_page.router,
    search.router,
)
