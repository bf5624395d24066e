"""Every error answer is a problem document (RFC 9457, `application/problem+json`), never a stack trace.

- 422: malformed input, naming each field and the rule it breaks (`errors`: field, rule, message);
- 409: refused by a CBCT rule (`rule` and CBCT's Dutch explanation in `detail`);
- 404: unknown, or not the caller's to know; 403: known and visible, but not allowed; 401: not signed in;
- 503 with `Retry-After`: the engine or the database is away (the same request, with the same
  `Idempotency-Key`, can be sent again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from infrastructure.logging import get_logger

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

RETRY_AFTER_SECONDS = 5


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


def not_found(what: str = "Dit bestaat niet, of u mag het niet zien.") -> Problem:
    """The one answer for unknown *and* not-yours: the caller learns nothing from it."""
    return Problem(404, what)


def unavailable(detail: str, *, retry_after: int = RETRY_AFTER_SECONDS) -> Problem:
    return Problem(503, detail, headers={"Retry-After": str(retry_after)}, retry_after=retry_after)


def field_errors(errors: Sequence[Mapping[str, Any]], *, skip: Sequence[str] = ("body",)) -> list[dict[str, str]]:
    """Pydantic's errors as {field, rule, message}: the field as a dotted path, the rule as pydantic's type."""
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if str(part) not in skip]
        out.append(
            {
                "field": ".".join(loc) or "(body)",
                "rule": str(error.get("type", "")),
                "message": str(error.get("msg", "")),
            }
        )
    return out


def invalid(errors: list[dict[str, str]], detail: str | None = None) -> Problem:
    detail = detail or "; ".join(f"{e['field']}: {e['message']} ({e['rule']})" for e in errors)
    return Problem(422, detail, errors=errors)


def respond(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.document(str(request.url.path) if request is not None else None),
        status_code=problem.status,
        headers=problem.headers,
        media_type=MEDIA_TYPE,
    )


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
        return respond(Problem(error.status_code, str(error.detail), headers=error.headers), request)

    async def on_crash(request: Request, error: Exception) -> JSONResponse:
        log.error("http_unhandled", path=request.url.path, error=repr(error))
        return respond(Problem(500, "Er ging iets mis aan onze kant; het is gelogd."), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
