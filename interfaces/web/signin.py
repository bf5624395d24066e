"""Aanmelden en afmelden op de pagina's: the API's own sign-in flows, posted as forms.

- `POST /aanmelden`: user name and password, through `AccountService.sign_in` (the same rate limit and
  the same session cookie as `POST /api/session`); a refusal re-renders the page with the user name kept.
- `POST /aanmelden/link`: an auditee's "e-mail me a sign-in link", through the API's own handler
  (`auth.ask_link`): the same answer for every address, sent before anything is looked up. The e-mailed
  link leads to `GET /aanmelden/link/{token}`, a page with one button: opening it uses nothing up (mail
  scanners open every link); its `POST` uses the link once, signs in and sends the browser on to `/`.
- `POST /afmelden`: ends the session (with the form's CSRF token) and clears the cookie.

No session means no session-bound CSRF token: every post here must come from this site's own pages
(`same_origin`), or another site could sign its visitor in to an account of its own (login CSRF).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from application.account_service import RateLimited, SignInRefused
from interfaces.http import auth
from interfaces.web.errors import WebRoute
from interfaces.web.forms import sentence
from interfaces.web.identity import SIGN_IN, safe_return, viewer_of
from interfaces.web.render import render
from interfaces.web.same_origin import same_origin

# Every form here is posted before a session exists, or ends one: only from this site's own pages.
router = APIRouter(route_class=WebRoute, include_in_schema=False, dependencies=[Depends(same_origin)])

WRONG = "De gebruikersnaam of het wachtwoord klopt niet."
LABELS = {"user_name": "Gebruikersnaam", "password": "Wachtwoord"}
SIGNED_OUT = "U bent afgemeld."
LINK_USED = "Deze aanmeldlink is verlopen of al gebruikt. Vraag hieronder een nieuwe aan."


async def _page(
    request: Request,
    *,
    status: int = 200,
    back: str = "/",
    user_name: str = "",
    staff_error: str | None = None,
    staff_errors: dict[str, list[str]] | None = None,
    email: str = "",
    link_notice: str | None = None,
    link_errors: dict[str, list[str]] | None = None,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return await render(
        request,
        "signin.html",
        status=status,
        headers=headers,
        back=back,
        user_name=user_name,
        staff_error=staff_error,
        staff_errors=staff_errors or {},
        email=email,
        link_notice=link_notice,
        link_errors=link_errors or {},
        notice=notice,
    )


@router.get(SIGN_IN)
async def sign_in_page(request: Request, terug: str | None = None, afgemeld: str | None = None) -> Response:
    back = safe_return(terug)
    if await viewer_of(request) is not None:
        return RedirectResponse(back, status_code=303)
    return await _page(request, back=back, notice=SIGNED_OUT if afgemeld else None)


@router.post(SIGN_IN)
async def sign_in(
    request: Request,
    accounts: auth.Accounts,
    user_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    terug: Annotated[str, Form()] = "/",
) -> Response:
    back = safe_return(terug)
    try:
        body = auth.SignInIn(user_name=user_name, password=password)
    except ValidationError as error:
        errors: dict[str, list[str]] = {}
        for item in error.errors():
            name = str(item["loc"][0])
            errors.setdefault(name, []).append(sentence(LABELS.get(name, name), item))
        return await _page(request, status=422, back=back, user_name=user_name, staff_errors=errors,
                           staff_error="Vul uw gebruikersnaam en wachtwoord in.")  # fmt: skip
    try:
        signed = await accounts.sign_in(body.user_name, body.password, auth.client_address(request))
    except RateLimited as limited:
        text = f"Te veel mislukte aanmeldpogingen. Probeer het over {limited.retry_after} seconden opnieuw."
        return await _page(request, status=429, back=back, user_name=user_name, staff_error=text,
                           headers={"Retry-After": str(limited.retry_after)})  # fmt: skip
    except SignInRefused:
        return await _page(request, status=401, back=back, user_name=user_name, staff_error=WRONG)
    answer = RedirectResponse(back, status_code=303)
    auth.set_session_cookie(request, signed, answer)
    return answer


@router.post(f"{SIGN_IN}/link")
async def ask_link(
    request: Request,
    accounts: auth.Accounts,
    background: BackgroundTasks,
    email: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = auth.LinkIn(email=email)
    except ValidationError as error:
        messages = [sentence("E-mailadres", item) for item in error.errors()]
        return await _page(request, status=422, email=email, link_errors={"email": messages})
    accepted = await auth.ask_link(body, request, accounts, background)
    return await _page(request, email=email, link_notice=accepted.detail)


@router.get(f"{SIGN_IN}/link/{{token}}")
async def link_page(request: Request, token: str) -> Response:
    """The e-mailed link: a page with one button. Opening it uses nothing up (mail scanners open links)."""
    return await render(request, "signin_link.html", token=token, headers={"Cache-Control": "no-store"})


@router.post(f"{SIGN_IN}/link/{{token}}")
async def use_link(request: Request, token: str, accounts: auth.Accounts) -> Response:
    """Pressing the button: the link is used (once) and the contact is signed in to its organisation."""
    signed = await accounts.use_link(token, auth.client_address(request))
    if signed is None:
        return await _page(request, status=401, link_notice=LINK_USED)
    answer = RedirectResponse("/", status_code=303)
    auth.set_session_cookie(request, signed, answer)
    return answer


@router.post("/afmelden")
async def sign_out(request: Request, accounts: auth.Accounts) -> Response:
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    if cookie:
        await accounts.sign_out(cookie)
    answer = RedirectResponse(f"{SIGN_IN}?afgemeld=1", status_code=303)
    answer.delete_cookie(auth.SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return answer
