"""The Temporal Web UI's codec endpoint: `POST /codec/decode`, for signed-in ops only.

Every Temporal payload is AES-GCM ciphertext (`infrastructure/payload_codec.py`), so the Web UI shows
nothing readable on its own. It can send the payloads it shows to a *remote codec*: a JSON body
`{"payloads": [{"metadata": {...}, "data": "..."}]}` (protobuf JSON, bytes in base64) answered in the same
shape, decrypted. We decrypt only for a signed-in principal with the ops role (`require(Role.OPS)`);
a payload that is not ours stays refused (its metadata says why, it carries no data).

The Web UI calls from the browser on another origin: CORS is allowed for the Web UI's own origin only (the
embedded server's UI address, or `CBCT_TEMPORAL_UI_URL`), with credentials, so the browser sends the
session cookie of `cbct serve` along (the UI's codec setting "include cross-origin credentials").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request, Response
from google.protobuf import json_format
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from application.access import Role
from infrastructure.temporal_client import data_converter
from interfaces.http.deps import require
from interfaces.http.problems import invalid

PREFIX = "/codec"
router = APIRouter(prefix=PREFIX, include_in_schema=False)  # Temporal's protocol, not our API

ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"


@router.post("/decode", dependencies=[require(Role.OPS)])
async def decode(request: Request) -> Response:
    """Decrypt the Web UI's payloads (Temporal's remote codec protocol)."""
    try:
        payloads = json_format.Parse(await request.body(), Payloads(), ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError) as error:
        message = str(error).splitlines()[0][:200] if str(error) else "geen geldige JSON"
        raise invalid([{"field": "payloads", "rule": "temporal_payloads", "message": message}],
                      "Verwacht {\"payloads\": [...]} in Temporals JSON-vorm.") from None  # fmt: skip
    decoded = await _codec(request).decode(payloads.payloads)
    return Response(json_format.MessageToJson(Payloads(payloads=decoded)), media_type="application/json")


def _codec(request: Request) -> PayloadCodec:
    """The process's payload codec (its keys, read again after a rotation), built on first use."""
    codec: PayloadCodec | None = getattr(request.app.state, "payload_codec", None)
    if codec is None:
        codec = data_converter(request.app.state.cbct.settings).payload_codec
        assert codec is not None
        request.app.state.payload_codec = codec
    return codec


def origin(url: str | None) -> str | None:
    """`scheme://host[:port]` of `url` (as a browser sends it in `Origin`), None for no or a bad URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def web_ui_origins(app: Any) -> set[str]:
    """The origins of the Temporal Web UI this process knows of, now (the embedded UI may move)."""
    runtime = app.state.cbct
    urls = [runtime.settings.temporal_ui_url]
    if runtime.temporal_access is not None:
        urls.append(runtime.temporal_access.ui_address)
    return {o for o in (origin(u) for u in urls) if o}


class CodecCors:
    """CORS for `/codec/*` and the Web UI's origin only; every other path and origin is left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        asking = headers.get("origin", "").lower()
        allowed = asking if asking and asking in web_ui_origins(scope["app"]) else None
        if allowed is None:
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204, headers={
                "Access-Control-Allow-Origin": allowed,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            })  # fmt: skip
            await preflight(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = allowed
                out["Access-Control-Allow-Credentials"] = "true"
                out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)


def install(app: FastAPI) -> None:
    """The codec route and its CORS (before `install_middleware`, so the platform's middleware wraps it)."""
    app.include_router(router)
    app.add_middleware(CodecCors)
