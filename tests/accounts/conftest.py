"""A bootstrapped app (no Temporal) on a fresh database, its HTTP app, a clock that moves when told,
and cheap argon2 parameters (the real ones are tested on their own in test_passwords.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher

from bootstrap import App, bootstrap
from infrastructure.passwords import Argon2Passwords
from infrastructure.settings import Settings
from interfaces.http import auth
from interfaces.http.app import create_app

CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class MovingClock:
    at: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    async def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    before = auth._PASSWORDS
    auth._PASSWORDS = Argon2Passwords(CHEAP)
    yield
    auth._PASSWORDS = before


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", outbox_dir=tmp_path / "outbox")


@pytest_asyncio.fixture(loop_scope="session")
async def runtime(database_url: str, settings: Settings) -> AsyncIterator[App]:
    async with bootstrap(settings, url=database_url) as app:
        app.clock = MovingClock()
        yield app


@pytest.fixture
def clock(runtime: App) -> MovingClock:
    assert isinstance(runtime.clock, MovingClock)
    return runtime.clock


@pytest_asyncio.fixture(loop_scope="session")
async def client(runtime: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime), client=("192.0.2.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def add_user(
    runtime: App, name: str, role: str = "planner", password: str = "een-goed-wachtwoord", **kw: Any
) -> None:
    await auth.account_service(runtime).add_user(name, role, actor="admin:test", password=password, **kw)


async def signed_in(client: httpx.AsyncClient, name: str, password: str = "een-goed-wachtwoord") -> str:
    """Sign in (the client keeps the cookie); the CSRF token."""
    answer = await client.post("/api/session", json={"user_name": name, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["csrf_token"]
    return token
