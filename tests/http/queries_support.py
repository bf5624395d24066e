"""A seeded world for the query endpoints: one database per test module, real commands, real read models.

The HTTP app is `create_app(app)` over a bootstrapped `App` (no Temporal: queries never send commands)
with a fixed clock; `current_principal` is replaced by the principal named in the `x-test-as` header,
so one client can ask as every role in turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request

from application.access import Principal, Role
from bootstrap import App, bootstrap
from domain import OpenTrajectory, RecordIntake, RequestPostponement, ScheduleAudit, SendAnnouncement
from infrastructure.database import drop_database
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.deps import current_principal
from tests.conftest import fresh_database
from tests.projections.world import World, certified, make_world, withdrawn
from tests.unit.driver import at, intake_fields

NOW = at("2026-01-10")
"""The app's clock in these tests: Borne's intake is long overdue, Hengelo's uitstel awaits a decision."""

PRINCIPALS: Mapping[str, Principal] = {
    "planner": Principal("anna", "Anna Planner", Role.PLANNER),
    "director": Principal("dirk", "Dirk Directeur", Role.DIRECTOR),
    "ops": Principal("olga", "Olga Ops", Role.OPS),
    "admin": Principal("adam", "Adam Admin", Role.ADMIN),
    "auditor-ellen": Principal("ellen", "Ellen Expert", Role.AUDITOR),
    "auditor-karel": Principal("karel", "Karel Keurder", Role.AUDITOR),
    "auditor-none": Principal("nina", "Nina Nergens", Role.AUDITOR),
    "auditee-1002": Principal("contact-1002", "Contact Hengelo", Role.AUDITEE, organisation="1002"),
    "auditee-1036": Principal("contact-1036", "Contact Helmond", Role.AUDITEE, organisation="1036"),
    "auditee-none": Principal("contact-x", "Contact zonder organisatie", Role.AUDITEE, organisation=None),
}

OPEN_FILLERS = 7
"""Extra running trajectories (`p-1101`..), so lists have pages."""


async def _opened(w: World, trajectory_id: str, number: str, organisation: str, on: str) -> None:
    await w.do(
        OpenTrajectory,
        on,
        trajectory_id,
        organisation=organisation,
        certificate_number=number,
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
        contact_email="info@example.nl",
    )
    await w.do(SendAnnouncement, on, trajectory_id)


async def seed(w: World) -> None:
    """Two closed KiB 2018 trajectories, three running KiB II ones with distinct fates, and fillers.

    - kib-1036 Helmond-Peel (1036): certified, closed; audited by Ellen Expert and Peer Bakker.
    - kib-1052 GIGANT (1052, Cultuurconnectie): withdrawn, closed.
    - h-1002 Hengelo (1002): intake in, an uitstel request pending (decide by 2026-01-19).
    - b-1011 Borne (1011): announced, its intake never came (overdue since 2025-11-19).
    - d-1014 Delden (1014): audit planned on 2026-05-04 with Karel Keurder and Pia Peer.
    """
    await certified(w)
    await withdrawn(w)
    await _opened(w, "h-1002", "1002", "Bibliotheek Hengelo", "2025-11-03")
    await w.do(RecordIntake, "2025-11-10", "h-1002", **intake_fields())
    await w.do(RequestPostponement, "2026-01-05", "h-1002", ground="verhuizing of nieuwbouw", reason="nieuwbouw")
    await _opened(w, "b-1011", "1011", "Bibliotheek Borne", "2025-11-05")
    await _opened(w, "d-1014", "1014", "Bibliotheek Delden", "2025-11-05")
    await w.do(RecordIntake, "2025-11-10", "d-1014", **intake_fields())
    await w.do(
        ScheduleAudit,
        "2025-11-20",
        "d-1014",
        audit_dates=[date(2026, 5, 4)],
        expert_auditor="Karel Keurder",
        peer_auditor="Pia Peer",
    )
    for i in range(OPEN_FILLERS):
        await _opened(w, f"p-{1101 + i}", str(1101 + i), f"Openbare Bibliotheek Plaats {i}", "2026-01-08")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    async def now(self) -> datetime:
        return self.at


@dataclass
class Api:
    """The seeded app, its HTTP face, and a client that asks as a named principal."""

    app: App
    http: FastAPI
    client: httpx.AsyncClient

    async def get(self, path: str, who: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params or None, headers={"x-test-as": who})


def as_header(request: Request) -> Principal:
    return PRINCIPALS[request.headers["x-test-as"]]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(server_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    """One seeded database for the module (the tests only read), dropped afterwards."""
    url = await fresh_database(server_urls.get("external") or server_urls["embedded"])
    data: Path = tmp_path_factory.mktemp("queries")
    try:
        settings = Settings(_env_file=None, data_dir=data, log_level="warning")
        async with bootstrap(settings, url=url) as app:
            app.clock = FixedClock(NOW)
            world = make_world(app.pool)
            await seed(world)
            await app.projections.catch_up()
            http = create_app(app)
            http.dependency_overrides[current_principal] = as_header
            transport = httpx.ASGITransport(app=http)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield Api(app, http, client)
    finally:
        await drop_database(url)
