"""Who is looking at a page, and the form-post CSRF check: the API's sign-in, read for the pages.

The principal comes from `interfaces/http/auth.py` (the session cookie; the same resolver as the API's,
cached per request). A page that needs someone signed in depends on `Viewer`; without a session the
visitor is sent to `/aanmelden` and back afterwards. `Role`-bound pages depend on `role_in(...)`.

CSRF: a page form carries the session's CSRF token (the API's, `csrf_token(cookie)`) as the hidden field
`csrf_token`, since a form without JavaScript cannot send the API's `X-CSRF-Token` header (htmx sends
the same field). Every unsafe request to a page with a session cookie must carry it (`check_csrf`, a
dependency of every page route), except the two that begin a session (sign-in, asking for a link).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request

from application.access import Principal, Role
from application.account_service import csrf_matches, csrf_token
from interfaces.http.auth import CSRF_HEADER, SESSION_COOKIE, UNSAFE, resolve_principal
from interfaces.http.problems import Problem

CSRF_FIELD = "csrf_token"
SIGN_IN = "/aanmelden"
CSRF_EXEMPT = frozenset({SIGN_IN, f"{SIGN_IN}/link"})
"""Where no session exists yet (a stale cookie may still be sent along)."""


class SignInRequired(Exception):
    """The page needs a signed-in visitor; answered with a redirect to the sign-in page."""


async def viewer_of(request: Request) -> Principal | None:
    """The signed-in principal of this request, or None (never raises for a missing session)."""
    principal: Principal | None = await resolve_principal(request)
    return principal


def page_csrf_token(request: Request, principal: Principal | None) -> str | None:
    """The token a page puts in its forms: only for a cookie session (an API token needs none)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or principal is None or principal.via not in ("session", "link"):
        return None
    return csrf_token(cookie)


async def signed_in(request: Request) -> Principal:
    principal = await viewer_of(request)
    if principal is None:
        raise SignInRequired()
    return principal


Viewer = Annotated[Principal, Depends(signed_in)]


def role_in(*roles: Role) -> Any:
    """Dependency: the viewer, whose role must be one of `roles` (else the 403 page)."""

    async def dependency(principal: Viewer) -> Principal:
        if principal.role not in roles:
            raise Problem(403, "Uw rol mag deze pagina niet gebruiken.")
        return principal

    return Depends(dependency)


async def check_csrf(request: Request) -> None:
    """Every page route's dependency: an unsafe request with a session cookie carries its CSRF token."""
    if request.method not in UNSAFE or request.url.path in CSRF_EXEMPT:
        return
    if getattr(request.scope.get("route"), "reads_own_body", False):
        return  # a streamed upload form checks its token in the stream (`uploads.StreamedForm`)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return  # no session: the page itself sends the visitor to sign in
    presented = request.headers.get(CSRF_HEADER, "")
    if not presented and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        presented = value if isinstance(value, str) else ""
    if not presented or not csrf_matches(cookie, presented):
        raise Problem(
            403, "Dit formulier is verlopen of niet van deze sessie. Laad de pagina opnieuw en probeer het nog eens."
        )


def safe_return(target: str | None) -> str:
    """A local path to return to after signing in (never another site: no scheme, no `//`)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(c in target for c in "\r\n\\")
    ):
        return "/"
    return target


def sign_in_url(request: Request) -> str:
    """The sign-in page, returning to this page afterwards (a form post returns to the start page)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in ("GET", "HEAD") or here == "/":
        return SIGN_IN
    return f"{SIGN_IN}?terug={quote(here, safe='/')}"
