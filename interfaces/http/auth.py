"""Aanmelden: wachtwoord, eenmalige link, sessies en API-tokens; en het beheer van accounts.

Who a request is, in this order: `Authorization: Bearer <API token>` (via "token"), else the session
cookie `cbct_session` (via "session", or "link" for a session begun with a one-time link). A disabled
account, a revoked token or an ended or expired session is nobody (401). Every answer comes from
`application.account_service` over the accounts read model, which is up to date with the account's
stream on every such read (`projections/accounts.py`): a change is refused from the next request on.

CSRF: a request authenticated by the cookie that changes something (POST, PUT, PATCH, DELETE) must
send the session's CSRF token in `X-CSRF-Token`; the token is bound to the session (an HMAC of its
secret), handed out at sign-in and by `GET /api/me`. Bearer requests carry no ambient credential and
are exempt. The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure on https (or `CBCT_COOKIE_SECURE`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.access import Principal, Role
from application.account_service import (
    AccountPolicy,
    AccountService,
    LinkMail,
    NotFound,
    RateLimited,
    SignedIn,
    SignInRefused,
    csrf_matches,
    csrf_token,
)
from application.accounts import Account, AccountRuleError
from infrastructure.logging import get_logger
from infrastructure.passwords import Argon2Passwords
from infrastructure.settings import Settings
from interfaces.http.deps import Signed, require
from interfaces.http.problems import Problem, field_errors, invalid, not_found
from interfaces.http.query_models import problem_responses
from projections.accounts import AccountReadModel

if TYPE_CHECKING:
    from bootstrap import App

log = get_logger(__name__)

router = APIRouter(tags=["aanmelden"])

SESSION_COOKIE = "cbct_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_EXEMPT = frozenset({("POST", "/api/session"), ("POST", "/api/session/link")})
"""Where no session exists yet: signing in and asking for a link (with a stale cookie, too)."""


# --- wiring -----------------------------------------------------------------------------------------------


class _RuntimeClock:
    """The runtime's clock as it is at each call (tests replace `App.clock`)."""

    def __init__(self, runtime: App) -> None:
        self._runtime = runtime

    async def now(self) -> datetime:
        return await self._runtime.clock.now()


def policy_of(settings: Settings) -> AccountPolicy:
    return AccountPolicy(
        session_lifetime=timedelta(minutes=settings.session_lifetime_minutes),
        link_lifetime=timedelta(minutes=settings.signin_link_minutes),
        failure_window=timedelta(minutes=settings.signin_window_minutes),
        max_failures_per_account=settings.signin_max_failures_per_account,
        max_failures_per_client=settings.signin_max_failures_per_client,
        max_links_per_address=settings.signin_max_links_per_address,
    )


_PASSWORDS: Argon2Passwords | None = None


def _passwords() -> Argon2Passwords:
    global _PASSWORDS
    if _PASSWORDS is None:
        _PASSWORDS = Argon2Passwords()
    return _PASSWORDS


def account_service(runtime: App) -> AccountService:
    """The accounts of `runtime` (the CLI and the HTTP app both work through this)."""
    directory = AccountReadModel(runtime.pool, runtime.store)
    return AccountService(runtime.store, directory, _passwords(), _RuntimeClock(runtime), policy_of(runtime.settings))


def _service(request: Request) -> AccountService:
    service: AccountService | None = getattr(request.app.state, "accounts", None)
    if service is None:
        service = request.app.state.accounts = account_service(request.app.state.cbct)
    return service


async def _service_dependency(request: Request) -> AccountService:
    """`_service` as a dependency, async so it runs on the event loop (not a thread hop per request)."""
    return _service(request)


Accounts = Annotated[AccountService, Depends(_service_dependency)]


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "onbekend"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def resolve_principal(request: Request) -> Principal | None:
    """Bearer token first, else the session cookie; remembered for the rest of the request."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    service = _service(request)
    bearer = _bearer(request)
    principal: Principal | None = None
    if bearer is not None:
        principal = await service.by_token(bearer) if bearer else None
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            principal = await service.by_session(cookie)
    request.state.principal = principal
    return principal


async def _csrf_guard(request: Request) -> None:
    """Every route's dependency: an unsafe request authenticated by the cookie needs its CSRF token."""
    if (
        request.method not in UNSAFE
        or (request.method, request.url.path) in CSRF_EXEMPT
        or _bearer(request) is not None
    ):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return
    presented = request.headers.get(CSRF_HEADER, "")
    if not presented or not csrf_matches(cookie, presented):
        raise Problem(
            403,
            f"Het CSRF-token ontbreekt of klopt niet: stuur het token van de aanmelding mee in de kop {CSRF_HEADER}.",
            type_="https://cbct.nl/problemen/csrf",
        )


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),  # a one-time link's token never leaks through a Referer
    (b"cross-origin-opener-policy", b"same-origin"),
)

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


class SecurityHeaders:
    """Adds the security headers to every HTTP answer; `no-store` to the API's (identities, secrets)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith("/api/")

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                if api and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def install(app: FastAPI) -> None:
    """Resolve the principal of every request (sets `app.state.resolve_principal`, see `deps`); the CSRF
    guard on every route included after this; the security headers on every answer."""
    app.state.accounts = account_service(app.state.cbct)  # (also made on first use, should a test swap `cbct`)
    app.state.resolve_principal = resolve_principal
    app.router.dependencies.append(Depends(_csrf_guard))
    app.add_middleware(SecurityHeaders)


# --- answers ----------------------------------------------------------------------------------------------


class PrincipalOut(BaseModel):
    account_id: str
    display_name: str
    role: Role
    organisation: str | None
    via: Literal["session", "token", "link"]

    @classmethod
    def of(cls, principal: Principal) -> PrincipalOut:
        return cls(
            account_id=principal.account_id,
            display_name=principal.display_name,
            role=principal.role,
            organisation=principal.organisation,
            via=principal.via,
        )


class SessionOut(BaseModel):
    principal: PrincipalOut
    csrf_token: str = Field(description=f"Stuur mee in de kop {CSRF_HEADER} bij elke wijziging met deze sessie.")
    expires_at: datetime


class MeOut(BaseModel):
    principal: PrincipalOut
    csrf_token: str | None = Field(default=None, description="Alleen bij aanmelding met de sessiecookie.")


class AccountOut(BaseModel):
    account_id: str
    role: Role
    display_name: str
    organisation: str | None
    email: str | None
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            account_id=account.account_id,
            role=account.role,
            display_name=account.display_name,
            organisation=account.organisation,
            email=account.email,
            disabled=account.disabled,
            created_at=account.created_at,
        )


class NewAccountOut(BaseModel):
    account: AccountOut
    password: str | None = Field(default=None, description="Het gemaakte wachtwoord, alleen nu getoond.")


class TokenOut(BaseModel):
    token_id: str
    label: str
    token: str = Field(description="Het token zelf: alleen nu getoond, daarna nooit meer.")


class AcceptedOut(BaseModel):
    detail: str


# --- requests ---------------------------------------------------------------------------------------------


class SignInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_name: str = Field(min_length=1, max_length=100, examples=["planner"])
    password: str = Field(min_length=1, max_length=1024, examples=["een lang wachtwoord"])


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254, examples=["an@bibliotheekhengelo.example"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(default="API-token", min_length=1, max_length=100, examples=["rapportage-script"])


class NewUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_name: str = Field(min_length=2, max_length=64, examples=["an.planner"])
    role: Role
    display_name: str | None = Field(default=None, max_length=200, examples=["An de Planner"])
    organisation: str | None = Field(default=None, max_length=50, description="Certificaatnummer (alleen auditee).")
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(default=None, max_length=1024, description="Leeg: er wordt een wachtwoord gemaakt.")


class UserPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    organisation: str | None = Field(default=None, max_length=50)
    disabled: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)


def _rule_problem(error: AccountRuleError) -> Problem:
    if error.rule == "account_exists":
        return Problem(409, error.message, rule=error.rule)
    if error.rule == "account_unknown":
        return not_found()
    return invalid([{"field": error.field, "rule": error.rule, "message": error.message}], error.message)


def set_session_cookie(request: Request, signed: SignedIn, response: Response) -> None:
    settings: Settings = request.app.state.cbct.settings
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_token,
        max_age=int(_service(request).policy.session_lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure or request.url.scheme == "https",
    )


_SIGN_IN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": SignInIn.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": SignInIn.model_json_schema()},
        },
    }
}


async def _sign_in_body(request: Request) -> SignInIn:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            data: Any = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            data = await request.json()
    except ValueError:
        raise invalid(
            [{"field": "(body)", "rule": "json_invalid", "message": "geen geldige JSON"}],
            "De inhoud is geen geldige JSON of geen formulier.",
        ) from None
    try:
        return SignInIn.model_validate(data)
    except ValidationError as error:
        raise invalid(field_errors(error.errors(), skip=())) from None


# --- routes -----------------------------------------------------------------------------------------------


@router.post(
    "/session",
    response_model=SessionOut,
    summary="Aanmelden met gebruikersnaam en wachtwoord",
    openapi_extra=_SIGN_IN_BODY,
    responses=problem_responses(
        401,
        422,
        429,
        described={401: "Onjuiste gegevens.", 429: "Te veel mislukte pogingen; opnieuw na `Retry-After`."},
    ),
)
async def sign_in(request: Request, response: Response, accounts: Accounts) -> SessionOut:
    body = await _sign_in_body(request)
    try:
        signed = await accounts.sign_in(body.user_name, body.password, client_address(request))
    except RateLimited as limited:
        raise Problem(
            429,
            f"Te veel mislukte aanmeldpogingen. Probeer het over {limited.retry_after} seconden opnieuw.",
            headers={"Retry-After": str(limited.retry_after)},
            retry_after=limited.retry_after,
        ) from None
    except SignInRefused:
        raise Problem(401, "De gebruikersnaam of het wachtwoord klopt niet.") from None
    set_session_cookie(request, signed, response)
    return SessionOut(
        principal=PrincipalOut.of(signed.principal), csrf_token=signed.csrf_token, expires_at=signed.expires_at
    )


@router.delete("/session", status_code=204, summary="Afmelden", responses=problem_responses(403))
async def sign_out(request: Request, accounts: Accounts) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await accounts.sign_out(cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=MeOut, summary="Wie ben ik", responses=problem_responses(401))
async def me(request: Request, principal: Signed) -> MeOut:
    cookie = request.cookies.get(SESSION_COOKIE)
    token = csrf_token(cookie) if cookie and principal.via in ("session", "link") else None
    return MeOut(principal=PrincipalOut.of(principal), csrf_token=token)


def _mailer(request: Request) -> Callable[[LinkMail], Awaitable[None]]:
    from activities.sender import OutgoingMessage
    from bootstrap import sender_for

    runtime = request.app.state.cbct
    sender = getattr(request.app.state, "mail_sender", None) or sender_for(runtime.settings)

    async def mail(message: LinkMail) -> None:
        await sender.send(
            OutgoingMessage(
                message_id=f"signin-link-{message.link_id}",
                trajectory_id=message.trajectory_id,
                kind="signin_link",
                recipient=message.recipient,
                subject=message.subject,
                body=message.body,
                created_at=message.created_at.isoformat(),
            )
        )

    return mail


def _link_url(request: Request) -> Callable[[str], str]:
    settings: Settings = request.app.state.cbct.settings
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    return lambda token: f"{base}{LINK_PAGE}/{token}"


LINK_PAGE = "/aanmelden/link"
"""Where an e-mailed link leads: a page that signs in only when its button is pressed (a POST), so a mail
scanner that opens every link does not use the link up. Scripts may still use `GET /api/session/link/{token}`."""

LINK_ACCEPTED = "Als dit adres bij een lopend traject hoort, is er nu een aanmeldlink naartoe gestuurd."


@router.post(
    "/session/link",
    status_code=202,
    response_model=AcceptedOut,
    summary="Vraag een eenmalige aanmeldlink",
    responses=problem_responses(422),
)
async def ask_link(body: LinkIn, request: Request, accounts: Accounts, background: BackgroundTasks) -> AcceptedOut:
    """Always the same answer, before anything is looked up: it tells nobody whether the address is known."""
    link_url, mail = _link_url(request), _mailer(request)

    async def send_links() -> None:
        try:
            await accounts.request_link(body.email, link_url, mail)
        except Exception as error:  # after the answer: logged, never shown
            log.error("signin_link_failed", error=type(error).__name__)

    background.add_task(send_links)
    return AcceptedOut(detail=LINK_ACCEPTED)


@router.get(
    "/session/link/{token}",
    response_model=SessionOut,
    summary="Aanmelden met een eenmalige link",
    responses={
        303: {"description": "Met `Accept: text/html`: aangemeld, door naar de startpagina."},
        **problem_responses(401, 422, described={401: "De link is verlopen of al gebruikt."}),
    },
)
async def use_link(token: str, request: Request, accounts: Accounts) -> Response:
    signed = await accounts.use_link(token, client_address(request))
    if signed is None:
        raise Problem(401, "Deze aanmeldlink is verlopen of al gebruikt. Vraag een nieuwe aan.")
    body = SessionOut(
        principal=PrincipalOut.of(signed.principal), csrf_token=signed.csrf_token, expires_at=signed.expires_at
    )
    response: Response
    if "text/html" in request.headers.get("accept", ""):
        response = RedirectResponse("/", status_code=303)
    else:
        response = JSONResponse(body.model_dump(mode="json"))
    set_session_cookie(request, signed, response)
    return response


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenOut,
    summary="Maak een API-token voor uzelf",
    responses=problem_responses(401, 403, 422),
)
async def create_token(principal: Signed, accounts: Accounts, body: TokenIn | None = None) -> TokenOut:
    label = (body or TokenIn()).label
    try:
        token_id, token = await accounts.create_token(principal.account_id, label, actor=principal.actor)
    except AccountRuleError as error:
        raise _rule_problem(error) from None
    return TokenOut(token_id=token_id, label=label.strip(), token=token)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    summary="Trek een API-token in",
    responses=problem_responses(401, 403, 404, 422),
)
async def revoke_token(token_id: str, principal: Signed, accounts: Accounts) -> Response:
    try:
        await accounts.revoke_token(token_id, actor=principal.actor, caller=principal)
    except NotFound:
        raise not_found() from None
    return Response(status_code=204)


Admin = Annotated[Principal, require(Role.ADMIN)]


@router.get(
    "/users", response_model=list[AccountOut], summary="Alle accounts (admin)", responses=problem_responses(401, 403)
)
async def list_users(_: Admin, accounts: Accounts) -> list[AccountOut]:
    return [AccountOut.of(a) for a in await accounts.directory.accounts()]


@router.post(
    "/users",
    status_code=201,
    response_model=NewAccountOut,
    summary="Maak een account (admin)",
    responses=problem_responses(401, 403, 409, 422),
)
async def add_user(body: NewUserIn, admin: Admin, accounts: Accounts) -> NewAccountOut:
    try:
        account, generated = await accounts.add_user(
            body.user_name,
            body.role,
            actor=admin.actor,
            display_name=body.display_name,
            organisation=body.organisation,
            email=body.email,
            password=body.password,
        )
    except AccountRuleError as error:
        raise _rule_problem(error) from None
    return NewAccountOut(account=AccountOut.of(account), password=generated)


@router.patch(
    "/users/{account_id}",
    response_model=AccountOut,
    summary="Wijzig rol, naam of schakel uit (admin)",
    responses=problem_responses(401, 403, 404, 422),
)
async def change_user(account_id: str, body: UserPatchIn, admin: Admin, accounts: Accounts) -> AccountOut:
    try:
        account = await accounts.directory.account(account_id)
        if account is None:
            raise not_found()
        if body.role is not None or "organisation" in body.model_fields_set:
            account = await accounts.change_role(
                account_id, body.role or account.role, actor=admin.actor, organisation=body.organisation
            )
        if body.display_name is not None:
            account = await accounts.change_display_name(account_id, body.display_name, actor=admin.actor)
        if body.disabled is not None:
            account = await accounts.set_disabled(account_id, body.disabled, actor=admin.actor)
    except AccountRuleError as error:
        raise _rule_problem(error) from None
    return AccountOut.of(account)
