"""Every error answer is a problem document (RFC 9457, `application/problem+json`), never a stack trace.

- 422: malformed input, naming each field and the rule it breaks (`errors`: field, rule, message);
- 409: refused by a CBCT rule (`rule` and CBCT's Dutch explanation in `detail`);
- 404: unknown, or not the caller's to know; 403: known and visible, but not allowed; 401: not signed in;
- 503 with `Retry-After`: the engine or the database is away (the same request, with the same
  `Idempotency-Key`, can be sent again): a lost or refused database connection, a database starting or
  shutting down, a pool that timed out, Temporal unavailable or past its deadline, a command whose
  decision could not be made (`CommandFailed`);
- 500: anything else that went wrong; logged with the request id, answered with a generic Dutch text.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from application.input_errors import input_errors
from infrastructure.logging import get_logger
from infrastructure.temporal_client import TemporalUnreachable
from workflows.client import CommandFailed

log = get_logger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://cbct.nl/problemen/"

TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet aangemeld",
    403: "Niet toegestaan",
    404: "Niet gevonden",
    405: "Methode niet toegestaan",
    409: "Geweigerd door een regel van CBCT",
    413: "Verzoek te groot",
    415: "Soort inhoud niet ondersteund",
    422: "Ongeldige invoer",
    429: "Te veel verzoeken",
    500: "Interne fout",
    503: "Tijdelijk niet beschikbaar",
}

DEFAULT_DETAILS = {
    400: "Het verzoek is niet te lezen.",
    401: "Meld u aan.",
    403: "Uw rol mag dit niet.",
    404: "Dit bestaat niet, of u mag het niet zien.",
    405: "Deze methode kan hier niet.",
    413: "Het verzoek is te groot.",
    415: "Dit soort inhoud wordt hier niet ondersteund.",
    429: "Te veel verzoeken; probeer het zo opnieuw.",
}
"""Dutch texts for Starlette's own errors, which carry the English reason phrase as their detail."""

RETRY_AFTER_SECONDS = 5
DATABASE_AWAY = "De database is even niet bereikbaar. Probeer het zo opnieuw (met dezelfde Idempotency-Key)."
ENGINE_AWAY = (
    "De procesmotor (Temporal) is even niet bereikbaar. Probeer het zo opnieuw (met dezelfde Idempotency-Key)."
)
INTERNAL = "Er ging iets mis aan onze kant; het is gelogd met het request-id van dit antwoord."


class Problem(Exception):
    """Raise to answer with a problem document. `extensions` become top-level members (e.g. `rule`)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or (TYPE_BASE + str(status))
        self.title = title or TITLES.get(status, "Fout")
        self.headers = dict(headers or {})
        self.extensions = extensions

    def document(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


_SECRET_PATHS = (
    re.compile(r"^(/feeds/)[^/]+(\.ics)$"),  # a calendar feed's token
    re.compile(r"^(/api/session/link/)[^/]+()$"),  # a one-time sign-in link's token
    re.compile(r"^(/aanmelden/link/)[^/]+()$"),  # the same, as the e-mailed page
)


def loggable_path(path: str) -> str:
    """`path` as it may be logged: the secret of a token URL replaced by `…` (logs travel further than the
    token may)."""
    for pattern in _SECRET_PATHS:
        path = pattern.sub(r"\1…\2", path)
    return path


def not_found(what: str = "Dit bestaat niet, of u mag het niet zien.") -> Problem:
    """The one answer for unknown *and* not-yours: the caller learns nothing from it."""
    return Problem(404, what)


def unavailable(detail: str, *, retry_after: int = RETRY_AFTER_SECONDS, **extensions: Any) -> Problem:
    return Problem(503, detail, headers={"Retry-After": str(retry_after)}, retry_after=retry_after, **extensions)


def internal_error() -> Problem:
    """The one answer to a crash: no exception text, no stack trace (the log has them)."""
    return Problem(500, INTERNAL)


def field_errors(errors: Sequence[Mapping[str, Any]], *, skip: Sequence[str] = ("body",)) -> list[dict[str, str]]:
    """Pydantic's errors as {field, rule, message}: the field as a dotted path, the rule as pydantic's type,
    the message in Dutch (`application.input_errors`)."""
    return [e.as_dict() for e in input_errors(errors, skip=skip, whole="(body)")]


def invalid(errors: list[dict[str, str]], detail: str | None = None) -> Problem:
    detail = detail or "; ".join(f"{e['field']}: {e['message']} ({e['rule']})" for e in errors)
    return Problem(422, detail, errors=errors)


def respond(problem: Problem, request: Request | None = None) -> JSONResponse:
    return response(problem, str(request.url.path) if request is not None else None)


def response(problem: Problem, instance: str | None = None) -> JSONResponse:
    return JSONResponse(problem.document(instance), status_code=problem.status, headers=problem.headers,
                        media_type=MEDIA_TYPE)  # fmt: skip


_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # lost, refused, closed connections
    asyncpg.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
    asyncpg.InternalClientError,  # a pool resetting a connection the server just terminated
)
_ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    CommandFailed,  # the decision's activity kept failing until its retries ran out (the store away)
    TemporalUnreachable,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
_ENGINE_AWAY_STATUSES = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED}
_CONNECTION_ERRNOS = {
    errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.EHOSTUNREACH,
    errno.ENETUNREACH, errno.ETIMEDOUT,
}  # fmt: skip


def away(error: BaseException) -> str | None:
    """Which dependency `error` says is away: "database", "temporal", or None (a real failure)."""
    if isinstance(error, _ENGINE_ERRORS):
        return "temporal"
    if isinstance(error, RPCError):
        return "temporal" if error.status in _ENGINE_AWAY_STATUSES else None
    if isinstance(error, _DATABASE_ERRORS):
        return "database"
    if isinstance(error, TimeoutError | ConnectionError):  # a pool's acquire timed out; refused, reset
        return "database"
    if isinstance(error, FileNotFoundError) and error.filename is None:  # a Unix socket nobody listens on
        return "database"
    if isinstance(error, OSError) and error.errno in _CONNECTION_ERRNOS:
        return "database"
    return None


def outage(dependency: str) -> Problem:
    return unavailable(ENGINE_AWAY if dependency == "temporal" else DATABASE_AWAY, dependency=dependency)


def install(app: FastAPI) -> None:
    """Answer every error of `app` with a problem document."""

    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return respond(error, request)

    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return respond(invalid(field_errors(error.errors())), request)

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        detail = str(error.detail)
        if detail in (_phrase(error.status_code), "There was an error parsing the body"):
            detail = DEFAULT_DETAILS.get(error.status_code, TITLES.get(error.status_code, "Fout"))
        return respond(Problem(error.status_code, detail, headers=error.headers), request)

    async def on_dependency_error(request: Request, error: Exception) -> JSONResponse:
        dependency = away(error)
        if dependency is None:
            return await on_crash(request, error)
        log.warning("http_dependency_away", dependency=dependency, path=loggable_path(request.url.path),
                    error=f"{type(error).__name__}: {error}"[:300])  # fmt: skip
        return respond(outage(dependency), request)

    async def on_crash(request: Request, error: Exception) -> JSONResponse:
        log.error("http_unhandled", path=loggable_path(request.url.path), error=repr(error), exc_info=error)
        return respond(internal_error(), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for kind in (*_DATABASE_ERRORS, *_ENGINE_ERRORS, RPCError, OSError):
        app.add_exception_handler(kind, on_dependency_error)
    app.add_exception_handler(Exception, on_crash)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
