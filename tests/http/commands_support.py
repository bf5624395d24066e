"""What the command endpoints' tests share: an `App` on the workflow rig, an HTTP client, fixed principals.

The App is the rig's (tests/workflows/rig.py): a fresh database, the real workflow and activities on the
time-skipping test server with a worker on its own task queue, and a world that starts 2025-11-01 —
`rig.until(day)` moves it between requests. Sign-in is replaced by a fixed principal per request
(`X-Test-Principal`, overriding `deps.current_principal`). Test modules import the fixtures from here:

    from tests.http.commands_support import api_fixture, rig, temporal  # noqa: F401  (fixtures)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from fastapi import Request

from application.access import Principal, Role
from application.clock import SystemClock
from bootstrap import App, TemporalAccess
from infrastructure.database import Database
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.deps import current_principal
from interfaces.http.problems import Problem
from tests.workflows.conftest import rig, temporal
from tests.workflows.rig import Rig

__all__ = ["OPEN_BODY", "PRINCIPALS", "Api", "api_fixture", "make_runtime", "rig", "temporal"]

PRINCIPALS: Mapping[str, Principal] = {
    "planner": Principal("piet", "Piet Planner", Role.PLANNER),
    "other_planner": Principal("pia", "Pia Planner", Role.PLANNER),
    "director": Principal("dirk", "Dirk Directeur", Role.DIRECTOR),
    "expert": Principal("ellen", "Ellen Expert", Role.AUDITOR),
    "peer": Principal("peer", "Peer Bakker", Role.AUDITOR),
    "other_auditor": Principal("otto", "Otto Anders", Role.AUDITOR),
    "auditee": Principal("an", "An de Vries", Role.AUDITEE, organisation="1002"),
    "other_auditee": Principal("bo", "Bo Elders", Role.AUDITEE, organisation="9999"),
    "ops": Principal("olga", "Olga Ops", Role.OPS),
    "admin": Principal("ad", "Ad Admin", Role.ADMIN),
}
"""Who the tests act as; the auditee's organisation is certificate number 1002 (the examples' number)."""

OPEN_BODY: dict[str, Any] = {
    "organisation": "Bibliotheek Hengelo",
    "certificate_number": "1002",
    "association": "VOB",
    "framework_version": "kib-ii-2023",
    "previous_certificate_expiry": "2026-06-30",
    "contact_email": "an@bibliotheekhengelo.example",
}
"""A KiB II library whose certificate expires 2026-06-30 (opened in the rig's world of 2025-11)."""


async def fixed_principal(request: Request) -> Principal:
    """The principal named by the request's `X-Test-Principal` header (sign-in is another module's)."""
    name = request.headers.get("x-test-principal")
    if name is None:
        raise Problem(401, "Meld u aan.")
    return PRINCIPALS[name]


async def make_runtime(rig: Rig, tmp_path: Path, **settings: Any) -> App:
    """An `App` over the rig's database, store, service and workflows (the rig's worker runs them)."""
    the_settings = Settings(data_dir=tmp_path / "data", outbox_dir=tmp_path / "outbox", **settings)
    client = await rig.client()
    return App(
        settings=the_settings,
        database=Database(url="postgresql://rig/unused"),  # the pool is the rig's
        pool=rig.pool,
        store=rig.store,
        service=rig.service,
        clock=SystemClock(),
        projections=rig.projections(),
        temporal_access=TemporalAccess(rig.env.client, client, None),
    )


@dataclass
class Api:
    """An HTTP client of the app, acting as one of `PRINCIPALS` per request."""

    http: httpx.AsyncClient
    runtime: App
    rig: Rig

    async def command(
        self,
        who: str,
        trajectory_id: str,
        step: str,
        body: Any = None,
        *,
        key: str | None = None,
        headers: Mapping[str, str | bytes] | None = None,
    ) -> httpx.Response:
        """POST a command (`step` is "noun/verb"), as `who`, with `key` as its Idempotency-Key."""
        sent: dict[str, str | bytes] = {"X-Test-Principal": who, **(headers or {})}
        if key is not None:
            sent["Idempotency-Key"] = key
        path = f"/api/trajectories/{trajectory_id}/{step}"
        raw = [(k.encode(), v.encode() if isinstance(v, str) else v) for k, v in sent.items()]
        if body is None:
            return await self.http.post(path, headers=raw)
        return await self.http.post(path, json=body, headers=raw)

    async def events(self, trajectory_id: str) -> list[tuple[int, str, str | None]]:
        """(version, type, command id) of every event of the trajectory's stream."""
        return await self.rig.events(trajectory_id)

    async def until(self, day: str) -> None:
        await self.rig.until(day)


@pytest_asyncio.fixture(loop_scope="session", name="api")
async def api_fixture(rig: Rig, tmp_path: Path) -> AsyncIterator[Api]:
    runtime = await make_runtime(rig, tmp_path, command_wait_seconds=20.0)
    app = create_app(runtime)
    app.dependency_overrides[current_principal] = fixed_principal
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://cbct.test", timeout=60) as http:
        yield Api(http, runtime, rig)


PLAN_BODY: dict[str, Any] = {
    "audit_dates": ["2026-04-14"],
    "expert_auditor": "Ellen Expert",
    "peer_auditor": "Peer Bakker",
}


async def planned(api: Api, trajectory_id: str) -> None:
    """Open (2025-11-03), announce, intake and self-evaluation in, audit planned for 2026-04-14 with
    Ellen Expert and Peer Bakker (so the auditors see it): every step through the API."""
    await api.until("2025-11-03")
    steps: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("planner", "trajectory/open", OPEN_BODY, "2025-11-03"),
        ("planner", "trajectory/announce", None, "2025-11-04"),
        (
            "auditee",
            "intake/record",
            {
                "contacts": [{"name": "An de Vries", "email": "an@bibliotheekhengelo.example"}],
                "locations": ["Centrale"],
                "employees": 40,
            },
            "2025-11-10",
        ),
        ("auditee", "selfevaluation/submit", {"documents": ["zelfevaluatie.pdf"]}, "2025-11-20"),
        ("planner", "audit/schedule", PLAN_BODY, "2025-11-21"),
    ]
    for who, step, body, day in steps:
        await api.until(day)
        response = await api.command(who, trajectory_id, step, body, key=f"{trajectory_id}-{step.replace('/', '-')}")
        assert response.status_code == 200, (step, response.text)
