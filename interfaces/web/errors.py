"""Errors on pages are Dutch pages, never JSON or a stack trace; the API keeps its problem documents.

- `WebRoute` (the route class of every page): no session → to the sign-in page; a `Problem` or HTTP
  error → the error page with its status; bad path or query values → 404 (an address that cannot
  exist); the database or Temporal away → 503; anything else → logged, the 500 page.
- `install_error_pages`: an address no route knows (404, 405) asked for by a browser gets the page
  too; the API (`/api/...`) and clients that do not ask for HTML keep the problem document.

The rule of the API holds: what is not yours reads exactly as what does not exist (404).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from infrastructure.logging import get_logger
from interfaces.http.problems import Problem, loggable_path
from interfaces.web.identity import SIGN_IN, SignInRequired, safe_return, sign_in_url
from interfaces.web.render import is_htmx, render
from interfaces.web.sending import outage_text

log = get_logger(__name__)

TITLES = {
    400: "Dit verzoek klopt niet",
    401: "Meld u aan",
    403: "Dit mag u niet",
    404: "Pagina niet gevonden",
    405: "Dit kan hier niet",
    413: "Te groot",
    429: "Even geduld",
    500: "Er ging iets mis",
    503: "Even niet beschikbaar",
}
DETAILS = {
    400: "De pagina kreeg iets wat zij niet kan lezen.",
    403: "Uw rol mag dit niet.",
    404: "Deze pagina bestaat niet, of u mag haar niet zien. Controleer het adres, of ga naar de startpagina.",
    405: "Deze pagina kan dit verzoek niet verwerken.",
    500: "Er ging aan onze kant iets mis; het is vastgelegd. Probeer het later opnieuw.",
}
API_PREFIXES = ("/api/", "/feeds/", "/metrics", "/healthz", "/readyz", "/codec/")


async def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """The Dutch error page for `status`; a 404's text never says whether the thing exists."""
    if status == 401:
        return RedirectResponse(sign_in_url(request), status_code=303)
    if status == 404:
        detail = DETAILS[404]
    headers = {"Retry-After": "5"} if status == 503 else None
    return await render(
        request,
        "error.html",
        status=status,
        headers=headers,
        title=TITLES.get(status, "Er ging iets mis"),
        detail=detail or DETAILS.get(status, DETAILS[500]),
        status_code=status,
    )


async def answer_error(request: Request, error: Exception) -> Response:
    """What a page answers when `error` ends its handling. To htmx (which swaps no error answer) the
    answer is to load a page: the sign-in page (returning to the page it came from), or the page again."""
    if is_htmx(request):
        if isinstance(error, SignInRequired) or (isinstance(error, Problem) and error.status == 401):
            came_from = urlsplit(request.headers.get("hx-current-url", "")).path
            target = f"{SIGN_IN}?terug={quote(safe_return(came_from), safe='/')}"
            return Response(status_code=200, headers={"HX-Redirect": target})
        if not isinstance(error, Problem | StarletteHTTPException | RequestValidationError):
            log.error("page_crashed", path=loggable_path(request.url.path), error=repr(error)[:300], exc_info=error)
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    if isinstance(error, SignInRequired):
        return RedirectResponse(sign_in_url(request), status_code=303)
    if isinstance(error, Problem):
        return await error_page(request, error.status, error.detail)
    if isinstance(error, StarletteHTTPException):
        return await error_page(request, error.status_code)
    if isinstance(error, RequestValidationError):
        return await error_page(request, 404)
    away = outage_text(error)
    if away is not None:
        log.warning("page_dependency_away", path=loggable_path(request.url.path), error=type(error).__name__)
        return await error_page(request, 503, away)
    log.error("page_crashed", path=loggable_path(request.url.path), error=repr(error)[:300], exc_info=error)
    return await error_page(request, 500)


class WebRoute(APIRoute):
    """A page: its errors answered as Dutch pages (`answer_error`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as error:
                return await answer_error(request, error)

        return page


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, a feed or a probe)."""
    return not request.url.path.startswith(API_PREFIXES) and "text/html" in request.headers.get("accept", "")


def install_error_pages(app: FastAPI) -> None:
    """Answer a browser's request for an unknown page (no route: 404, 405) with the Dutch page; the
    problem document otherwise (the handler `problems.install` set, kept and called)."""
    previous: Callable[[Request, Any], Response | Awaitable[Response]] | None = app.exception_handlers.get(
        StarletteHTTPException
    )

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if wants_page(request) or previous is None:
            return await error_page(request, error.status_code)
        answer = previous(request, error)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, on_http)
