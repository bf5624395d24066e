"""The web app served for real, and a real browser to look at it (reusable by every page's tests).

- `site` (one per test module): a fresh database, the trajectories' workflow and activities on the
  session's time-skipping Temporal test server (a worker on the module's own task queue, the world
  starting 2025-11-01 as in the workflow tests), the read models followed as `cbct serve` does, and the
  whole HTTP application (`create_app`: API and pages) served by uvicorn on a free loopback port. It
  has one account per role (`USERS`, all with `PASSWORD`) and drives the world (`site.rig`).
- `browser` (one per session): Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`; never a
  downloaded browser) through Playwright; the browser tests are skipped, saying why, when it is absent.
- `page` / `page_without_js`: a fresh browser context per test (its own cookies), Dutch, phone-sized
  when asked (`phone_page`).

Helpers: `sign_in(page, user)`, `run_axe(page)` (the vendored axe-core, injected over the DevTools
protocol so the pages' strict Content-Security-Policy stays on), `screenshot(page, name)` (into
`docs/screenshots/` when `CBCT_SCREENSHOTS=1`, else the test's temporary directory).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from argon2 import PasswordHasher

from activities.sender import FileSender
from application.access import Role
from application.clock import SystemClock
from application.trajectories import TrajectoryService
from bootstrap import App, TemporalAccess
from infrastructure.database import Database, drop_database, open_pool
from infrastructure.passwords import Argon2Passwords
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings
from interfaces.http import auth
from interfaces.http.app import create_app
from tests.conftest import SERVERS, fresh_database
from tests.workflows.conftest import temporal
from tests.workflows.rig import Rig
from tests.workflows.support import TEST_KEYS, wait_until
from workflows.worker_factory import trajectory_worker

__all__ = ["temporal"]  # the session's Temporal test server, re-exported as a fixture of this suite

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = REPO / "interfaces" / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "docs" / "screenshots"
PASSWORD = "een-goed-wachtwoord"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class User:
    user_name: str
    role: Role
    display_name: str
    organisation: str | None = None
    email: str | None = None


USERS: dict[str, User] = {
    "planner": User("piet", Role.PLANNER, "Piet Planner"),
    "director": User("dirk", Role.DIRECTOR, "Dirk Directeur"),
    "auditor": User("ellen", Role.AUDITOR, "Ellen Expert"),
    "auditee": User("an", Role.AUDITEE, "An de Vries", organisation="1002", email="an@bibliotheekhengelo.example"),
    "other_auditee": User("bo", Role.AUDITEE, "Bo Elders", organisation="9999", email="bo@elders.example"),
    "ops": User("olga", Role.OPS, "Olga Ops"),
    "admin": User("ad", Role.ADMIN, "Ad Admin"),
}
"""One account per role (all with `PASSWORD`); the auditee's organisation is certificate number 1002."""

OPEN_FIELDS: dict[str, Any] = {
    "organisation": "Bibliotheek Hengelo",
    "certificate_number": "1002",
    "association": "VOB",
    "framework_version": "kib-ii-2023",
    "previous_certificate_expiry": "2026-06-30",
    "contact_email": "an@bibliotheekhengelo.example",
}
"""A KiB II library (the auditee's organisation) whose certificate expires 2026-06-30."""


@dataclass
class Site:
    """The app served on `url`, over `runtime`; `rig` moves the world and sends commands directly."""

    url: str
    runtime: App
    rig: Rig
    tmp: Path
    opened: list[str] = field(default_factory=list)

    async def open_trajectory(self, trajectory_id: str | None = None, **changes: Any) -> str:
        """Open a trajectory (as a planner, straight through its workflow) and wait for the read models."""
        from domain.commands import OpenTrajectory

        trajectory_id = trajectory_id or f"T-{uuid.uuid4().hex[:8]}"
        await self.rig.send(OpenTrajectory, "2025-11-03", trajectory_id, actor="planner:piet",
                            **{**OPEN_FIELDS, **changes})  # fmt: skip
        self.opened.append(trajectory_id)
        await self.settled()
        return trajectory_id

    async def settled(self) -> None:
        """Wait until every read model has caught up with the store."""

        async def caught_up() -> bool:
            return all(status.behind == 0 for status in await self.runtime.projections.status())

        await wait_until(caught_up, "the read models to catch up", 30)


def _server_url(urls: dict[str, str]) -> str:
    """The external server when the run has one (faster, as CI's), else the embedded one."""
    return urls["external"] if "external" in SERVERS else urls["embedded"]


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def site(
    temporal: Any, server_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    tmp = tmp_path_factory.mktemp("web")
    url = await fresh_database(_server_url(server_urls))
    before = auth._PASSWORDS
    auth._PASSWORDS = Argon2Passwords(CHEAP)  # cheap hashing: the real parameters are tested elsewhere
    try:
        async with open_pool(url) as pool:
            store = PostgresEventStore(pool)
            service = TrajectoryService(store)
            task_queue = f"web-{uuid.uuid4().hex[:10]}"
            rig = Rig(temporal, pool, store, service, tmp / "outbox", task_queue)
            worker = trajectory_worker(
                temporal.client, store=store, service=service, sender=FileSender(rig.outbox),
                signing_keys=TEST_KEYS, allow_simulated=True, task_queue=task_queue,
            )  # fmt: skip
            async with worker:
                settings = Settings(data_dir=tmp / "data", outbox_dir=tmp / "outbox", command_wait_seconds=20.0)
                runtime = App(
                    settings=settings,
                    database=Database(url="postgresql://web-tests/unused"),  # the pool is the module's
                    pool=pool,
                    store=store,
                    service=service,
                    clock=SystemClock(),
                    projections=rig.projections(),
                    temporal_access=TemporalAccess(temporal.client, await rig.client(), None),
                )
                accounts = auth.account_service(runtime)
                for user in USERS.values():
                    await accounts.add_user(
                        user.user_name, user.role, actor="admin:tests", display_name=user.display_name,
                        organisation=user.organisation, email=user.email, password=PASSWORD,
                    )  # fmt: skip
                stop = asyncio.Event()
                followers = [
                    asyncio.create_task(runtime.projections.run(name, stop)) for name in runtime.projections.names
                ]
                sock = _free_socket()
                port = sock.getsockname()[1]
                config = uvicorn.Config(create_app(runtime), log_level="warning", lifespan="off", access_log=False)
                server = uvicorn.Server(config)
                serving = asyncio.create_task(server.serve(sockets=[sock]))
                try:
                    await wait_until(lambda: server.started or serving.done(), "uvicorn to start", 30)
                    assert not serving.done(), serving
                    the_site = Site(f"http://127.0.0.1:{port}", runtime, rig, tmp)
                    yield the_site
                finally:
                    server.should_exit = True
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(serving, 10)
                    sock.close()
                    stop.set()
                    await asyncio.wait(followers, timeout=10)
                    await rig.terminate_all()
    finally:
        auth._PASSWORDS = before
        await drop_database(url)


# --- the browser ------------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip(
            f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install chromium`, as .ci/run does)"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        the_browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield the_browser
        finally:
            await the_browser.close()


async def _context(browser: Any, site: Site, **options: Any) -> Any:
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = await browser.new_context(base_url=site.url, locale="nl-NL", timezone_id="Europe/Amsterdam", **options)
    context.set_default_timeout(10_000)  # a page that does not come fails the test soon
    return context


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Any, site: Site) -> AsyncIterator[Any]:
    context = await _context(browser, site)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page_without_js(browser: Any, site: Site) -> AsyncIterator[Any]:
    context = await _context(browser, site, java_script_enabled=False)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def phone_page(browser: Any, site: Site) -> AsyncIterator[Any]:
    context = await _context(browser, site, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Any, who: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page's form as `USERS[who]`, landing on the start page."""
    await page.goto("/aanmelden")
    await page.get_by_label("Gebruikersnaam").fill(USERS[who].user_name)
    await page.get_by_label("Wachtwoord").fill(password)
    await page.get_by_role("button", name="Aanmelden").click()
    await page.wait_for_url("**/")


async def run_axe(page: Any, *, open_details: bool = True) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (WCAG 2.x A and AA rules and best practices),
    with every `<details>` opened first so the forms inside are checked too."""
    if open_details:
        await page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = await page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def screenshot(page: Any, name: str, tmp: Path) -> Path:
    """A full-page PNG of `page` as `name.png`: into docs/screenshots/ when CBCT_SCREENSHOTS=1."""
    folder = SCREENSHOTS if os.environ.get("CBCT_SCREENSHOTS") == "1" else tmp
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
