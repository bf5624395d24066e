"""One-time sign-in links for an auditee's contact persons: e-mailed, single use, short-lived, and
asking for one tells nothing about the address."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from pathlib import Path

import httpx

from application.command_handler import Accepted
from bootstrap import App
from domain import OpenTrajectory, RecordIntake, SendAnnouncement
from infrastructure.settings import Settings
from tests.accounts.conftest import MovingClock
from tests.unit.driver import intake_fields

CONTACT = "info@bieb-hengelo.example"
INTAKE_CONTACT = "anna@bibliotheek.example"  # the intake's contact (tests.unit.driver.CONTACT)


async def _open(runtime: App, trajectory_id: str = "kib2-1002", certificate: str = "1002") -> None:
    now = await runtime.clock.now()
    opened = await runtime.service.handle(
        OpenTrajectory(
            command_id=f"{trajectory_id}/open",
            trajectory_id=trajectory_id,
            actor="planner:test",
            organisation="Bibliotheek Hengelo",
            certificate_number=certificate,
            association="VOB",
            framework_version="kib-ii-2023",
            previous_certificate_expiry=date(2026, 12, 31),
            contact_email=CONTACT.upper(),
        ),
        now,
    )
    assert isinstance(opened, Accepted), opened
    await runtime.projections.catch_up()


def _outbox(settings: Settings) -> list[Path]:
    return sorted(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else []


def _link_in(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == CONTACT or message["To"] == INTAKE_CONTACT
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "één keer" in text and "15 minuten" in text
    found = re.search(r"http://testserver/aanmelden/link/(\S+)", text)
    assert found is not None, text
    return "/api/session/link/" + found.group(1)


async def test_a_contact_gets_a_link_that_works_once(
    runtime: App, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _open(runtime)
    asked = await client.post("/api/session/link", json={"email": "Info@Bieb-Hengelo.example"})
    assert asked.status_code == 202
    [mail] = _outbox(settings)
    link = _link_in(mail)
    stored = await runtime.pool.fetch("SELECT token_hash FROM signin_links")
    assert len(stored) == 1 and link.rsplit("/", 1)[1] not in str(stored)

    used = await client.get(link)
    assert used.status_code == 200, used.text
    principal = used.json()["principal"]
    assert principal["role"] == "auditee" and principal["organisation"] == "1002" and principal["via"] == "link"
    assert principal["display_name"] == CONTACT
    assert (await client.get("/api/me")).json()["principal"]["account_id"] == principal["account_id"]

    client.cookies.clear()
    again = await client.get(link)
    assert again.status_code == 401
    assert "al gebruikt" in again.json()["detail"]
    assert (await client.get("/api/me")).status_code == 401

    # the account was made on first use, and is the same the next time
    await client.post("/api/session/link", json={"email": CONTACT})
    second = _link_in(next(p for p in _outbox(settings) if p != mail))
    assert (await client.get(second)).json()["principal"]["account_id"] == principal["account_id"]
    assert await runtime.pool.fetchval("SELECT count(*) FROM accounts WHERE role = 'auditee'") == 1


async def test_a_link_expires(runtime: App, client: httpx.AsyncClient, settings: Settings, clock: MovingClock) -> None:
    await _open(runtime)
    await client.post("/api/session/link", json={"email": CONTACT})
    [mail] = _outbox(settings)
    clock.advance(minutes=15)
    assert (await client.get(_link_in(mail))).status_code == 401


async def test_an_intake_contact_gets_a_link_too(runtime: App, client: httpx.AsyncClient, settings: Settings) -> None:
    await _open(runtime)
    now = await runtime.clock.now()
    envelope = {"trajectory_id": "kib2-1002", "actor": "planner:test"}
    for command in (
        SendAnnouncement(command_id="announce", **envelope),
        RecordIntake(command_id="intake", **envelope, **intake_fields()),
    ):
        answer = await runtime.service.handle(command, now)
        assert isinstance(answer, Accepted), answer
    await runtime.projections.catch_up()
    assert (await client.post("/api/session/link", json={"email": INTAKE_CONTACT})).status_code == 202
    [mail] = _outbox(settings)
    assert (await client.get(_link_in(mail))).json()["principal"]["organisation"] == "1002"


async def test_unknown_address_gets_the_same_answer_and_nothing_is_sent(
    runtime: App, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _open(runtime)
    known = await client.post("/api/session/link", json={"email": CONTACT})
    unknown = await client.post("/api/session/link", json={"email": "iemand@elders.example"})
    assert (unknown.status_code, unknown.json(), unknown.headers.get("content-length")) == (
        known.status_code,
        known.json(),
        known.headers.get("content-length"),
    )
    assert len(_outbox(settings)) == 1  # only the known one's
    assert await runtime.pool.fetchval("SELECT count(*) FROM signin_links") == 1


async def test_links_to_one_address_are_limited(runtime: App, client: httpx.AsyncClient, settings: Settings) -> None:
    await _open(runtime)
    for _ in range(5):
        assert (await client.post("/api/session/link", json={"email": CONTACT})).status_code == 202
    assert len(_outbox(settings)) == 3


async def test_a_closed_trajectorys_contact_gets_no_link(
    runtime: App, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _open(runtime)
    await runtime.pool.execute("UPDATE trajectories SET is_open = false")
    assert (await client.post("/api/session/link", json={"email": CONTACT})).status_code == 202
    assert _outbox(settings) == []


async def test_a_link_opened_in_a_browser_redirects_home(
    runtime: App, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _open(runtime)
    await client.post("/api/session/link", json={"email": CONTACT})
    [mail] = _outbox(settings)
    answer = await client.get(_link_in(mail), headers={"Accept": "text/html"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "cbct_session=" in answer.headers["set-cookie"]
