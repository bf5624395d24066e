"""Fixtures for the calendar-feed tests: a bootstrapped app on a fresh database, a fixed clock, and an
HTTP client whose principal is chosen per request (sign-in is not what these tests are about)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest_asyncio
from argon2 import PasswordHasher
from fastapi import Request

from application.access import Principal, Role
from application.account_service import AccountService
from bootstrap import App, bootstrap
from infrastructure.passwords import Argon2Passwords
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.deps import current_principal
from interfaces.http.problems import Problem
from projections.accounts import AccountReadModel
from tests.projections.world import World
from tests.unit.driver import at

AS = "x-test-principal"
PRINCIPALS: Mapping[str, Principal] = {
    "planner": Principal("pia", "Pia Planner", Role.PLANNER),
    "ellen": Principal("ellen", "Ellen Expert", Role.AUDITOR),
    "anna": Principal("anna", "Anna Auditor", Role.AUDITOR),
    "helmond": Principal("helmond", "Contact Helmond", Role.AUDITEE, organisation="1036"),
    "hengelo": Principal("hengelo", "Contact Hengelo", Role.AUDITEE, organisation="1002"),
    "ops": Principal("olaf", "Olaf Ops", Role.OPS, via="token"),
    "admin": Principal("ada", "Ada Admin", Role.ADMIN, via="token"),
    "director": Principal("dirk", "Dirk Directeur", Role.DIRECTOR),
}


@dataclass
class FixedClock:
    """The domain's clock, set by the test."""

    moment: datetime

    async def now(self) -> datetime:
        return self.moment


async def as_header(request: Request) -> Principal:
    """The principal named by the test's header; 401 without one."""
    name = request.headers.get(AS)
    if name is None or name not in PRINCIPALS:
        raise Problem(401, "Meld u aan.")
    return PRINCIPALS[name]


@pytest_asyncio.fixture(loop_scope="session")
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(data_dir=tmp_path / "data", outbox_dir=tmp_path / "outbox", log_level="error")
    async with bootstrap(settings, url=database_url) as the_app:
        the_app.clock = FixedClock(at("2018-12-10"))
        yield the_app


def account_service(app: App) -> AccountService:
    """The accounts as the HTTP app keeps them, with cheap password hashing."""
    fast = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return AccountService(app.store, AccountReadModel(app.pool, app.store), fast, app.clock)


@pytest_asyncio.fixture(loop_scope="session")
async def accounts(app: App) -> AccountService:
    """An account for every test principal: a feed works only while its account does."""
    service = account_service(app)
    for principal in PRINCIPALS.values():
        await service.add_user(
            principal.account_id,
            principal.role,
            actor="admin:test",
            display_name=principal.display_name,
            organisation=principal.organisation,
            password="een-goed-wachtwoord",
        )
    return service


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: App, accounts: AccountService) -> AsyncIterator[httpx.AsyncClient]:
    web = create_app(app)
    web.dependency_overrides[current_principal] = as_header
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://cbct.test") as the_client:
        yield the_client


@pytest_asyncio.fixture(loop_scope="session")
async def world(app: App) -> World:
    return World(app.pool, app.store, app.service, app.projections)
