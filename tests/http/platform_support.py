"""What the platform tests share: an `App` on a fresh database, the HTTP app over it with a few routes
of the tests' own (one per way a request can fail), a real uvicorn on loopback, and captured JSON logs."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import structlog
from fastapi import APIRouter, FastAPI, Request
from temporalio.service import RPCError, RPCStatusCode

from application.clock import SystemClock
from application.trajectories import TrajectoryService
from bootstrap import App, bootstrap
from infrastructure.database import Database
from infrastructure.logging import configure_logging, get_logger
from infrastructure.loopback_port import free_port
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.deps import runtime
from interfaces.http.server import listen_socket, uvicorn_server
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.workflows.conftest import settings_url
from workflows.client import CommandFailed

LIMIT = 4096
"""The tests' body limit (bytes): small, so a too-large body is cheap to send."""

log = get_logger("tests.http")


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": settings_url(database_url),
        "data_dir": data_dir,
        "payload_keys": TEST_PAYLOAD_KEYS,
        "max_request_bytes": LIMIT,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def runtime_on(database_url: str, data_dir: Path, **overrides: Any) -> AsyncIterator[App]:
    async with bootstrap(settings_for(database_url, data_dir, **overrides)) as app:
        yield app


@asynccontextmanager
async def runtime_on_a_stopped_server(data_dir: Path) -> AsyncIterator[App]:
    """An `App` whose pool points at a port nobody listens on: the database is gone."""
    url = f"postgresql://cbct:geheim-wachtwoord@127.0.0.1:{free_port()}/cbct"
    pool = await asyncpg.create_pool(url, min_size=0, max_size=2)
    try:
        store = PostgresEventStore(pool)
        yield App(
            settings=settings_for(url, data_dir),
            database=Database(url=url),
            pool=pool,
            store=store,
            service=TrajectoryService(store),
            clock=SystemClock(),
            projections=ProjectionRunner(pool, store, all_projections()),
        )
    finally:
        pool.terminate()


def failing_routes() -> APIRouter:
    """Routes of the tests only: each fails in one way, or reads a body, or names a trajectory."""
    router = APIRouter(prefix="/test")

    @router.post("/echo")
    async def echo(payload: dict[str, Any]) -> dict[str, int]:
        return {"bytes": len(json.dumps(payload))}

    @router.get("/trajectories/{trajectory_id}")
    async def look(trajectory_id: str) -> dict[str, str]:
        log.info("test_looked")
        return {"trajectory_id": trajectory_id}

    @router.get("/database")
    async def database(request: Request) -> dict[str, int]:
        return {"one": await runtime(request).pool.fetchval("SELECT 1")}

    @router.get("/slow")
    async def slow(seconds: float = 1.0) -> dict[str, str]:
        await asyncio.sleep(seconds)
        return {"status": "klaar"}

    @router.get("/raise/{kind}")
    async def fail(kind: str) -> None:
        errors: dict[str, BaseException] = {
            "crash": RuntimeError("geheim: postgresql://cbct:wachtwoord@db/cbct"),
            "cannot-connect-now": asyncpg.CannotConnectNowError("the database system is starting up"),
            "refused": ConnectionRefusedError(111, "Connect call failed"),
            "pool-timeout": TimeoutError(),
            "temporal-unavailable": RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""),
            "temporal-deadline": RPCError("deadline", RPCStatusCode.DEADLINE_EXCEEDED, b""),
            "temporal-not-found": RPCError("geheim niet gevonden", RPCStatusCode.NOT_FOUND, b""),
            "command-failed": CommandFailed("decide kept failing"),
            "file": FileNotFoundError(2, "No such file or directory", "/geheim/pad"),
        }
        raise errors[kind]

    return router


def web_app(app: App) -> FastAPI:
    web = create_app(app)
    web.include_router(failing_routes())
    return web


def client_for(web: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://testserver")


@asynccontextmanager
async def served(web: FastAPI, *, grace_seconds: float = 5.0) -> AsyncIterator[tuple[str, asyncio.Task[None]]]:
    """`web` on a real uvicorn on a free loopback port, in this loop; yields its base URL and task."""
    sock = listen_socket("127.0.0.1", 0)
    server = uvicorn_server(web, grace_seconds=grace_seconds)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", task
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, grace_seconds + 5)


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Log lines as JSON into memory while inside (nothing rendered for a terminal, nothing printed)."""
    saved = structlog.get_config()
    configure_logging("json", "info", stream=io.StringIO())
    try:
        yield
    finally:
        structlog.configure(**saved)


@contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """Every structlog line written inside, parsed (JSON), in the list yielded (filled on exit)."""
    saved = structlog.get_config()
    out = io.StringIO()
    lines: list[dict[str, Any]] = []
    configure_logging("json", "info", stream=out)
    try:
        yield lines
    finally:
        structlog.configure(**saved)
        lines.extend(json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{"))
