"""A seeded system with real accounts, for the cross-cutting HTTP tests (authorization matrix, schemathesis).

One database per test module, seeded with two organisations through the real commands:

- **Delden** (certificate 1014, trajectory `d-1014`): the auditee's own organisation; its audit on
  2026-03-10 names the matrix's auditor (Karel Keurder) and Pia Peer; an uitstel request is pending.
- **Hengelo** (certificate 1002, trajectory `h-1002`): another organisation; its audit on 2026-04-21
  names Ellen Expert and Peer Bakker; an uitstel request is pending too.

Every principal signs in for real (no dependency override): planner, auditor, director and admin
with API tokens made by the account service, ops with a token made by `cbct tokens create` (as a
Prometheus scraper gets one), and the auditee with a cookie session begun with a one-time link that the
app e-mailed (its CSRF token sent with every change). The app runs on the session's time-skipping
Temporal test server with a worker of its own (the workflow rig, module-wide), so a command that passes
every check is really applied.

    from tests.http.matrix_support import seeded  # noqa: F401  (fixture)
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from activities.sender import FileSender, OutgoingMessage
from application.access import Role
from application.account_service import AccountService
from bootstrap import App
from domain import OpenTrajectory, RecordIntake, RequestPostponement, ScheduleAudit, SendAnnouncement
from domain.commands import Contact
from infrastructure.database import drop_database, open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from interfaces.http import auth
from interfaces.http.app import create_app
from tests.conftest import fresh_database
from tests.http.commands_support import make_runtime
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.projections.world import make_world
from tests.unit.driver import at
from tests.workflows.conftest import settings_url, temporal
from tests.workflows.rig import Rig
from tests.workflows.support import TEST_KEYS
from workflows.worker_factory import trajectory_worker

__all__ = ["NOW", "ROLES", "Caller", "Seeded", "seeded", "sign_in_auditee", "temporal"]

NOW = at("2026-01-10")
"""The app's clock (and the workflows' world) while the tests run: both audits are ahead."""

OWN, OTHER, UNKNOWN = "d-1014", "h-1002", "t-bestaat-niet"
OWN_NUMBER, OTHER_NUMBER = "1014", "1002"
OWN_CONTACT = "contact@bibliotheekdelden.example"
OTHER_CONTACT = "contact@bibliotheekhengelo.example"
AUDITOR = "Karel Keurder"
PASSWORD = "een-lang-genoeg-wachtwoord"

ROLES = ("anonymous", "planner", "auditor", "director", "auditee", "ops", "admin")
"""The matrix's columns: every role, and nobody signed in."""

STAFF_ACCOUNTS: Mapping[str, tuple[str, Role, str]] = {
    "planner": ("piet", Role.PLANNER, "Piet Planner"),
    "auditor": ("karel", Role.AUDITOR, AUDITOR),
    "director": ("dirk", Role.DIRECTOR, "Dirk Directeur"),
    "ops": ("olga", Role.OPS, "Olga Ops"),
    "admin": ("ad", Role.ADMIN, "Ad Admin"),
}
BYSTANDER = "bea"
"""An account of nobody under test (a planner): its token and feed are "another's" in the matrix."""


async def seed(pool: Any) -> None:
    """The two organisations (module docstring), through `TrajectoryService` with real commands."""
    w = make_world(pool)
    for tid, number, name, contact, audit_day, expert, peer in (
        (OWN, OWN_NUMBER, "Bibliotheek Delden", OWN_CONTACT, date(2026, 4, 14), AUDITOR, "Pia Peer"),
        (OTHER, OTHER_NUMBER, "Bibliotheek Hengelo", OTHER_CONTACT, date(2026, 4, 21), "Ellen Expert", "Peer Bakker"),
    ):
        await w.do(
            OpenTrajectory,
            "2025-11-03",
            tid,
            organisation=name,
            certificate_number=number,
            association="VOB",
            framework_version="kib-ii-2023",
            previous_certificate_expiry=date(2026, 6, 30),
            contact_email=contact,
        )
        await w.do(SendAnnouncement, "2025-11-04", tid)
        await w.do(
            RecordIntake,
            "2025-11-10",
            tid,
            contacts=(Contact(name=f"Contact {name}", email=contact, role="directeur"),),
            locations=("Centrale",),
            employees=30,
        )
        await w.do(ScheduleAudit, "2025-11-20", tid, audit_dates=[audit_day], expert_auditor=expert, peer_auditor=peer)
        await w.do(
            RequestPostponement, "2026-01-05", tid, ground="calamiteit", reason="Waterschade in de centrale vestiging."
        )
    await w.catch_up()


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    async def now(self) -> datetime:
        return self.at


class CapturedMail:
    """The app's e-mail sender in these tests: keeps what it is given (the one-time links)."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)

    def link_token(self, recipient: str) -> str:
        bodies = [m.body for m in self.sent if m.recipient == recipient and m.kind == "signin_link"]
        assert bodies, f"no sign-in link was e-mailed to {recipient}"
        found = re.search(r"/(?:api/session|aanmelden)/link/([A-Za-z0-9_-]+)", bodies[-1])
        assert found is not None, bodies[-1]
        return found.group(1)


@dataclass(frozen=True)
class Caller:
    """How one role authenticates: a bearer token, or the session cookie with its CSRF token."""

    role: str
    account_id: str | None = None
    token: str | None = None
    cookie: str | None = None
    csrf: str | None = None

    def headers(self, method: str) -> dict[str, str]:
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        if self.cookie is not None:
            sent = {"Cookie": f"{auth.SESSION_COOKIE}={self.cookie}"}
            if method.upper() in auth.UNSAFE and self.csrf is not None:
                sent[auth.CSRF_HEADER] = self.csrf
            return sent
        return {}


@dataclass
class Seeded:
    """The seeded system: its `App`, the HTTP app over it, an in-process client, and every role's caller."""

    runtime: App
    web: Any
    http: httpx.AsyncClient
    rig: Rig
    mail: CapturedMail
    callers: dict[str, Caller] = field(default_factory=dict)

    @property
    def accounts(self) -> AccountService:
        return auth.account_service(self.runtime)

    async def request(
        self,
        role: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request as `role` (its credentials only: the client keeps no cookies between requests)."""
        sent = {**self.callers[role].headers(method), **(headers or {})}
        self.http.cookies.clear()
        try:
            return await self.http.request(method, path, json=json, params=params, headers=sent)
        finally:
            self.http.cookies.clear()

    async def trajectory_events(self) -> int:
        count: int = await self.runtime.pool.fetchval("SELECT count(*) FROM events WHERE stream_id LIKE 'trajectory-%'")
        return count

    async def link_session(self, email: str) -> httpx.Response:
        """Ask the app for a one-time link for `email` (it e-mails it), and sign in with it."""
        asked = await self.http.post("/api/session/link", json={"email": email})
        assert asked.status_code == 202, asked.text
        token = self.mail.link_token(email)
        self.http.cookies.clear()
        try:
            return await self.http.get(f"/api/session/link/{token}")
        finally:
            self.http.cookies.clear()


async def sign_in_auditee(s: Seeded) -> None:
    """The auditee's cookie session: a one-time link the app e-mailed to its organisation's contact."""
    signed = await s.link_session(OWN_CONTACT)
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["principal"]["role"] == "auditee" and body["principal"]["organisation"] == OWN_NUMBER, body
    assert body["principal"]["via"] == "link", body
    cookie = signed.cookies.get(auth.SESSION_COOKIE)
    assert cookie, signed.headers
    s.callers["auditee"] = Caller("auditee", body["principal"]["account_id"], cookie=cookie, csrf=body["csrf_token"])


def _cbct_tokens_create(database_url: str, data_dir: Path, user: str) -> str:
    """`cbct tokens create USER`, in-process (its own event loop, this thread): the printed token."""
    from interfaces.cli.app import app as cli

    env = {"CBCT_DATABASE_URL": settings_url(database_url), "CBCT_DATA_DIR": str(data_dir), "CBCT_ACTOR": "cli:ops"}
    result = CliRunner().invoke(cli, ["tokens", "create", user, "--label", "prometheus"], env=env)
    assert result.exit_code == 0, result.output
    found = re.search(r"Token \(alleen nu getoond\): (\S+)", result.stdout)
    assert found is not None, result.stdout
    return found.group(1)


async def _sign_in_everyone(s: Seeded, database_url: str, data_dir: Path) -> None:
    accounts = s.accounts
    for role, (user, kind, name) in STAFF_ACCOUNTS.items():
        await accounts.add_user(user, kind, actor="admin:test", display_name=name, password=PASSWORD)
        if role != "ops":
            _, token = await accounts.create_token(user, f"matrix {role}", actor="admin:test")
            s.callers[role] = Caller(role, user, token=token)
    await accounts.add_user(BYSTANDER, Role.PLANNER, actor="admin:test", display_name="Bea Bijstand", password=PASSWORD)
    token = await asyncio.to_thread(_cbct_tokens_create, database_url, data_dir, "olga")
    s.callers["ops"] = Caller("ops", "olga", token=token)

    await sign_in_auditee(s)
    s.callers["anonymous"] = Caller("anonymous")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def seeded(
    server_urls: dict[str, str], temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seeded]:
    """The seeded system for one test module (module docstring); its database is dropped afterwards."""
    url = await fresh_database(server_urls.get("external") or server_urls["embedded"])
    folder = tmp_path_factory.mktemp("matrix")
    try:
        async with open_pool(url) as pool:
            store = PostgresEventStore(pool)
            await seed(pool)
            world = make_world(pool)
            task_queue = f"matrix-{uuid.uuid4().hex[:10]}"
            rig = Rig(temporal, pool, store, world.service, folder / "outbox", task_queue)
            worker = trajectory_worker(
                temporal.client,
                store=store,
                service=world.service,
                sender=FileSender(rig.outbox),
                signing_keys=TEST_KEYS,
                allow_simulated=True,
                task_queue=task_queue,
            )
            async with worker:
                try:
                    await rig.until(NOW.date().isoformat())  # the workflows' world meets the seeded one
                    runtime = await make_runtime(
                        rig,
                        folder,
                        command_wait_seconds=20.0,
                        signin_max_links_per_address=100,
                        payload_keys=TEST_PAYLOAD_KEYS,
                    )
                    runtime.clock = FixedClock(NOW)
                    await runtime.projections.catch_up()
                    web = create_app(runtime)
                    mail = CapturedMail()
                    web.state.mail_sender = mail
                    transport = httpx.ASGITransport(app=web, client=("192.0.2.7", 40000))
                    async with httpx.AsyncClient(transport=transport, base_url="http://cbct.test", timeout=60) as http:
                        s = Seeded(runtime, web, http, rig, mail)
                        await _sign_in_everyone(s, url, folder / "data")
                        yield s
                finally:
                    await rig.terminate_all()
    finally:
        await drop_database(url)
