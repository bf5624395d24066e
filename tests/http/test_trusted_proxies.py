"""X-Forwarded-For and -Proto count only from the proxies the settings name (`CBCT_TRUSTED_PROXIES`).

uvicorn's own default believes them from 127.0.0.1, where every account on the machine connects from: it
could claim any client address, to the sign-in limit per client and to the account log."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import ValidationError

from infrastructure.settings import Settings
from interfaces.http.server import listen_socket, uvicorn_server
from tests.workflows.support import wait_until

CLAIMED = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"}


def _echo() -> FastAPI:
    web = FastAPI()

    @web.get("/wie")
    async def who(request: Request) -> dict[str, str]:
        return {"client": request.client.host if request.client else "", "scheme": request.url.scheme}

    return web


async def _seen(trusted_proxies: str) -> dict[str, str]:
    sock = listen_socket("127.0.0.1", 0)
    server = uvicorn_server(_echo(), grace_seconds=1, trusted_proxies=trusted_proxies)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await wait_until(lambda: server.started, "uvicorn to start", 10)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
            answer: dict[str, str] = (await client.get("/wie", headers=CLAIMED)).json()
            return answer
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def test_a_local_client_cannot_claim_another_address_unless_its_proxy_is_trusted() -> None:
    assert await _seen("") == {"client": "127.0.0.1", "scheme": "http"}
    assert await _seen("10.0.0.0/8") == {"client": "127.0.0.1", "scheme": "http"}  # not from a trusted one
    assert await _seen("127.0.0.1") == {"client": "203.0.113.9", "scheme": "https"}


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert Settings(trusted_proxies=" 127.0.0.1, 10.0.0.0/8 ,::1").trusted_proxies == "127.0.0.1,10.0.0.0/8,::1"
    with pytest.raises(ValidationError, match="trusted_proxies") as refused:
        Settings(trusted_proxies="127.0.0.1,proxy.example")
    assert "'proxy.example' is dat niet" in str(refused.value)
