"""Around every request: its id in the logs and the answer, security headers, a bounded body.

One pure ASGI middleware (no `BaseHTTPMiddleware`: that would buffer streamed bodies and run the app in
another task, losing the log context):

- **request id**: the caller's `X-Request-ID` when it is sane (short, plain characters), else a new one;
  echoed in the answer and bound to every log line of the request, with the trajectory id when the path
  names one (`bind_trajectory`, a dependency of the app, binds it once routing knows it);
- **security headers** on every answer: a strict Content-Security-Policy (the API docs page, which loads
  Swagger UI from its CDN, gets a wider one), no sniffing, no framing, no referrer, and
  Strict-Transport-Security when served over https (or behind a proxy at an https `public_url`);
- **body size**: a declared `Content-Length` over the limit is refused before the app runs; a streamed
  (chunked) body is counted as it arrives and refused once it passes the limit: 413, a problem document;
- **crashes**: an exception nothing handled is logged with the request id and answered with the generic
  Dutch 500 problem, never a stack trace (and uvicorn prints none either).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping, Sequence

import structlog
from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.logging import bind_operation, get_logger
from interfaces.http import problems

log = get_logger("http")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")
"""An incoming id we echo and log as it is: short, and nothing that could forge a log line or header."""

CSP = "; ".join(
    [
        "default-src 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",  # Swagger UI and its inline start-up
        "style-src 'self' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # one-time sign-in links carry a token in their URL
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"


class BodyTooLarge(HTTPException):
    """The request body passed the limit (FastAPI passes an HTTPException raised while reading the body
    on as it is, so it becomes the 413 problem)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Het verzoek is groter dan toegestaan ({_size(limit)}).")


class PlatformMiddleware:
    """Request id, security headers, body limit and the last word on crashes, for every HTTP request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        docs_prefix: str,
        https_always: bool = False,
        larger_bodies: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = tuple(larger_bodies)  # paths with a limit of their own (the portal's uploads)
        self.docs_prefix = docs_prefix
        self.https_always = https_always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        path: str = scope.get("path", "")
        logged_path = problems.loggable_path(path)
        https = self.https_always or scope.get("scheme") == "https"
        limit = next((size for pattern, size in self.larger_bodies if pattern.fullmatch(path)), self.max_body_bytes)
        started = time.perf_counter()
        answered: dict[str, int] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                out = MutableHeaders(scope=message)
                out[REQUEST_ID_HEADER] = request_id
                self._secure(out, path, https)
            await send(message)

        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        with bind_operation(request_id=request_id):
            try:
                declared = headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > limit):
                    problem = (
                        problems.Problem(413, BodyTooLarge(limit).detail)
                        if declared.isdigit()
                        else problems.Problem(400, "Content-Length is geen getal.")
                    )
                    await _answer(problem, path, send_with_headers)
                    return
                await self.app(scope, bounded_receive, send_with_headers)
            except BodyTooLarge as error:  # read outside FastAPI's body parsing (a raw stream)
                if "status" not in answered:
                    await _answer(problems.Problem(413, str(error.detail)), path, send_with_headers)
            except Exception as error:  # the last word: logged here, never shown
                log.error("http_unhandled", path=logged_path, error=repr(error), exc_info=error)
                if "status" not in answered:
                    await _answer(problems.internal_error(), path, send_with_headers)
            finally:
                log.info(
                    "http_request",
                    method=scope.get("method"),
                    path=logged_path,
                    status=answered.get("status"),
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
                structlog.contextvars.unbind_contextvars("trajectory_id")  # bound by `bind_trajectory`

    def _secure(self, out: MutableHeaders, path: str, https: bool) -> None:
        if "content-security-policy" not in out:
            out["Content-Security-Policy"] = DOCS_CSP if path.startswith(self.docs_prefix) else CSP
        for name, value in SECURITY_HEADERS.items():
            if name.lower() not in out:
                out[name] = value
        if https:
            out["Strict-Transport-Security"] = HSTS


async def bind_trajectory(request: Request) -> None:
    """App-wide dependency: once routing knows the path's trajectory id, it is on every log line."""
    trajectory_id = request.path_params.get("trajectory_id")
    if trajectory_id:
        structlog.contextvars.bind_contextvars(trajectory_id=str(trajectory_id)[:200])


def install_middleware(
    app: FastAPI,
    *,
    max_body_bytes: int,
    docs_prefix: str,
    https_always: bool = False,
    larger_bodies: Sequence[tuple[re.Pattern[str], int]] = (),
) -> None:
    """Put `PlatformMiddleware` around `app` (inside Starlette's last-resort error middleware); a path that
    fully matches a pattern of `larger_bodies` may have a body of up to its size instead."""
    app.add_middleware(
        PlatformMiddleware,
        max_body_bytes=max_body_bytes,
        docs_prefix=docs_prefix,
        https_always=https_always,
        larger_bodies=larger_bodies,
    )


async def _answer(problem: problems.Problem, path: str, send: Send) -> None:
    await problems.response(problem, path)({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _size(limit: int) -> str:
    if limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    if limit % (1 << 10) == 0:
        return f"{limit >> 10} KiB"
    return f"{limit} bytes"
