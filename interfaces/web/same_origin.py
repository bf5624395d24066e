"""Forms posted before there is a session come from this site's own pages (no login CSRF).

Signing in has no session yet, so no session-bound CSRF token: another site's page could post its own
user name and password to `/aanmelden`, and the visitor would then work, unknowingly, in that account
(entering a self-evaluation into someone else's organisation, say). A browser says where a request comes
from: `Sec-Fetch-Site` (every current browser), else `Origin`. A post that a browser marks as coming
from another site, or whose `Origin` is neither this address nor the configured public address, is
refused with 403; a request without either header (a script, curl) is no browser's and cannot be forged
by a page, so it passes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from interfaces.http.problems import Problem

FOREIGN = "Aanmelden kan alleen op de pagina's van CBCT zelf. Open de aanmeldpagina en probeer het opnieuw."
OWN_SITE = frozenset({"same-origin", "none"})
"""`Sec-Fetch-Site` values of this site's own pages, or of an address the visitor typed or bookmarked."""


def _netloc(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return parts.netloc.lower() or None


def from_own_site(request: Request, public_url: str | None) -> bool:
    """Whether the browser (if this is one) posted `request` from this site's own pages."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() in OWN_SITE
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False  # a sandboxed frame, a data: URL or a cross-origin redirect: never our page
    own = {_netloc(str(request.base_url)), _netloc(public_url)} - {None}
    return _netloc(origin) in own


async def same_origin(request: Request) -> None:
    """Dependency of the forms posted without a session: refuse another site's post (403)."""
    runtime = getattr(request.app.state, "cbct", None)
    public_url = runtime.settings.public_url if runtime is not None else None
    if request.method == "POST" and not from_own_site(request, public_url):
        raise Problem(403, FOREIGN, type_="https://cbct.nl/problemen/andere-site")
