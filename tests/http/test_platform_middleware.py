"""The platform around every request: request id, security headers, body limit, and errors as problem
documents (503 with Retry-After when the database or Temporal is away; never a stack trace)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from bootstrap import App
from infrastructure.database import drop_database
from tests.conftest import fresh_database
from tests.http.platform_support import (
    LIMIT,
    captured_logs,
    client_for,
    quiet_logs,
    runtime_on,
    runtime_on_a_stopped_server,
    served,
    web_app,
)
from tests.workflows.support import wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def one_database(server_urls: dict[str, str]) -> AsyncIterator[str]:
    """One fresh database for the module, on one Postgres server (the subject is the HTTP layer; these
    tests write nothing)."""
    url = await fresh_database(next(iter(server_urls.values())))
    yield url
    await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def app(one_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[App]:
    with quiet_logs():  # JSON into memory: the crash tests' tracebacks are rendered, not printed
        async with runtime_on(one_database, tmp_path_factory.mktemp("data")) as the_app:
            yield the_app


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(web_app(app)) as the_client:
        yield the_client


def assert_secure(response: httpx.Response) -> None:
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers  # plain http


async def test_every_answer_carries_the_security_headers_and_a_request_id(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/", "/bestaat-niet", "/test/raise/crash"):
        response = await client.get(path)
        assert_secure(response)
        assert len(response.headers["x-request-id"]) == 32, path
    home = await client.get("/")
    assert home.status_code == 200 and "CBCT" in home.text and "/api/docs" in home.text
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]  # Swagger UI's assets


async def test_https_gets_strict_transport_security(app: App) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=web_app(app)), base_url="https://testserver"
    ) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_a_sane_request_id_is_echoed_and_an_odd_one_replaced(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "ops-check.42"})
    assert echoed.headers["x-request-id"] == "ops-check.42"
    for odd in ('x" injected="1', "a" * 200, "-leading-dash", "ümlaut"):
        replaced = await client.get("/healthz", headers=[(b"X-Request-ID", odd.encode())])
        assert replaced.headers["x-request-id"] != odd
        assert len(replaced.headers["x-request-id"]) == 32


async def test_log_lines_carry_the_request_id_and_the_trajectory_id(client: httpx.AsyncClient) -> None:
    with captured_logs() as lines:
        response = await client.get("/test/trajectories/t-2024-007", headers={"X-Request-ID": "req-77"})
    assert response.status_code == 200
    looked = next(line for line in lines if line["event"] == "test_looked")
    assert looked["request_id"] == "req-77" and looked["trajectory_id"] == "t-2024-007"
    access = next(line for line in lines if line["event"] == "http_request")
    assert access["request_id"] == "req-77" and access["trajectory_id"] == "t-2024-007"
    assert access["status"] == 200 and access["path"] == "/test/trajectories/t-2024-007"


async def test_a_body_over_the_limit_is_413_and_under_it_passes(client: httpx.AsyncClient) -> None:
    small = await client.post("/test/echo", json={"tekst": "a" * 100})
    assert small.status_code == 200
    big = await client.post("/test/echo", json={"tekst": "a" * LIMIT})
    assert big.status_code == 413
    assert big.headers["content-type"] == "application/problem+json"
    assert big.json()["status"] == 413 and "4 KiB" in big.json()["detail"]
    assert_secure(big)


async def test_a_streamed_body_over_the_limit_is_413_on_a_real_server(app: App) -> None:
    """Chunked transfer (no Content-Length): counted as it arrives, refused once past the limit."""

    async def chunks(total: int) -> AsyncIterator[bytes]:
        yield b'{"tekst": "'
        for _ in range(total // 1024):
            yield b"a" * 1024
        yield b'"}'

    async with served(web_app(app)) as (base, _task), httpx.AsyncClient(base_url=base) as client:
        small = await client.post("/test/echo", content=chunks(1024), headers={"Content-Type": "application/json"})
        assert small.status_code == 200, small.text
        assert "content-length" not in small.request.headers  # it really was chunked
        big = await client.post("/test/echo", content=chunks(4 * LIMIT), headers={"Content-Type": "application/json"})
        assert big.status_code == 413, big.text
        assert big.json()["title"] == "Verzoek te groot"
        assert big.headers["x-request-id"]


async def test_a_crash_is_a_generic_dutch_500_logged_with_the_request_id(client: httpx.AsyncClient) -> None:
    with captured_logs() as lines:
        response = await client.get("/test/raise/crash", headers={"X-Request-ID": "req-crash"})
    assert response.status_code == 500
    body = response.text
    assert response.json()["detail"].startswith("Er ging iets mis")
    for leak in ("Traceback", "geheim", "wachtwoord", "RuntimeError", 'File "'):
        assert leak not in body
    logged = next(line for line in lines if line["event"] == "http_unhandled")
    assert logged["request_id"] == "req-crash" and "RuntimeError" in logged["error"]


@pytest.mark.parametrize(
    ("kind", "dependency"),
    [
        ("cannot-connect-now", "database"),
        ("refused", "database"),
        ("pool-timeout", "database"),
        ("temporal-unavailable", "temporal"),
        ("temporal-deadline", "temporal"),
        ("command-failed", "temporal"),
    ],
)
async def test_the_engine_or_the_database_away_is_503_with_retry_after(
    client: httpx.AsyncClient, kind: str, dependency: str
) -> None:
    response = await client.get(f"/test/raise/{kind}")
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["dependency"] == dependency and problem["retry_after"] == int(response.headers["retry-after"])
    assert "Idempotency-Key" in problem["detail"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize("kind", ["temporal-not-found", "file"])
async def test_other_errors_of_those_kinds_are_500_not_503(client: httpx.AsyncClient, kind: str) -> None:
    response = await client.get(f"/test/raise/{kind}")
    assert response.status_code == 500
    assert "geheim" not in response.text and "retry-after" not in response.headers


async def test_starlettes_own_errors_are_dutch_problems(client: httpx.AsyncClient) -> None:
    missing = await client.get("/bestaat-niet")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "Dit bestaat niet, of u mag het niet zien."
    wrong = await client.delete("/healthz")
    assert wrong.status_code == 405 and "methode" in wrong.json()["detail"].lower()


async def test_a_stopped_database_gives_503_with_retry_after_and_readyz_names_it(tmp_path: Path) -> None:
    with quiet_logs():
        async with runtime_on_a_stopped_server(tmp_path / "data") as gone, client_for(web_app(gone)) as client:
            response = await client.get("/test/database")
            ready = await client.get("/readyz")
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["dependency"] == "database"
    assert ready.status_code == 503
    down = ready.json()["down"]
    assert "postgres" in down and "temporal" in down
    for leak in ("geheim-wachtwoord", "postgresql://", "Traceback"):
        assert leak not in response.text and leak not in ready.text


async def test_stopping_the_server_lets_a_request_in_flight_finish_and_accepts_no_new_one(app: App) -> None:
    import asyncio

    from interfaces.http.server import listen_socket, uvicorn_server

    sock = listen_socket("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn_server(web_app(app), grace_seconds=10)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        await wait_until(lambda: server.started, "uvicorn to start", 10)
        in_flight = asyncio.create_task(client.get("/test/slow", params={"seconds": 1.5}))
        await wait_until(lambda: server.server_state.tasks, "the slow request to arrive", 10)
        server.should_exit = True
        response = await in_flight
        await asyncio.wait_for(serving, 15)
        assert response.status_code == 200 and response.json() == {"status": "klaar"}
        with pytest.raises(httpx.ConnectError):
            await client.get("/healthz")


async def test_the_secret_of_a_token_url_never_reaches_the_log(client: httpx.AsyncClient) -> None:
    """A feed's token and a one-time link's token are the whole secret: the request log shows their route only."""
    secrets = ("Zm9vYmFyLXNlY3JldC1mZWVk", "bGluay1zZWNyZXQtdG9rZW4")
    with captured_logs() as lines:
        await client.get(f"/feeds/{secrets[0]}.ics")
        await client.get(f"/api/session/link/{secrets[1]}")
    logged = [line for line in lines if line["event"] == "http_request"]
    assert [line["path"] for line in logged] == ["/feeds/….ics", "/api/session/link/…"]
    assert not any(secret in repr(line) for line in lines for secret in secrets)
