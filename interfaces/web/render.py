"""Rendering a page: the Jinja2 templates of `templates/`, with what the base layout needs.

Every page extends `base.html` (header with the viewer, its role and menu, sign-out; main; footer) and
gets `viewer`, `home` (the role's `RoleHome`), `csrf` (the token for its forms) and `path`. Templates
autoescape everything; a missing variable is an error (`StrictUndefined`), not an empty string.
A request from htmx (`is_htmx`) may be answered with a fragment template instead of the whole page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from application.access import Principal
from domain.calendar import AMSTERDAM
from interfaces.web.identity import CSRF_FIELD, page_csrf_token, viewer_of
from interfaces.web.navigation import home_of

TEMPLATES = Path(__file__).parent / "templates"

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")  # fmt: skip


def dutch_date(value: date | datetime | None) -> str:
    """`12 oktober 2026` (a moment in Amsterdam time, with its time of day)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(AMSTERDAM)
        return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["datum"] = dutch_date
environment.globals["CSRF_FIELD"] = CSRF_FIELD


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def page_context(request: Request, viewer: Principal | None = None) -> dict[str, Any]:
    """What the base layout needs; the viewer is resolved from the session unless given."""
    if viewer is None:
        try:
            viewer = await viewer_of(request)
        except Exception:  # an error page while the database is away: render it without the viewer
            viewer = None
    return {
        "viewer": viewer,
        "home": home_of(viewer.role) if viewer is not None else None,
        "csrf": page_csrf_token(request, viewer),
        "path": request.url.path,
    }


async def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    viewer: Principal | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page `template` as an HTML answer; pages are never cached (they show one person's data)."""
    values = await page_context(request, viewer)
    values.update(context)
    body = environment.get_template(template).render(values)
    answer = HTMLResponse(body, status_code=status, headers=dict(headers or {}))
    answer.headers.setdefault("Cache-Control", "no-store")
    return answer
