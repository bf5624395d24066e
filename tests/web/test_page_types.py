"""Every page type: no serious or critical axe-core violation, no console error (a blocked script or
style would be one, under the strict Content-Security-Policy), and a screenshot.

The screenshots go to `docs/screenshots/` with one command (the README shows them):

    CBCT_SCREENSHOTS=1 .venv/bin/pytest -p no:cacheprovider tests/web/test_page_types.py

Without `CBCT_SCREENSHOTS=1` they are taken all the same (the page must render), into a temporary folder.
Page builders: add a `PageType` for each new page type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from domain import commands as c
from tests.web.conftest import Site, run_axe, screenshot, sign_in

MAIN = "T-2026-001"
"""Bibliotheek Hengelo (certificate 1002, the auditee's): announced, intake and self-evaluation in."""


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(site: Site) -> AsyncIterator[Site]:
    """A few trajectories in different phases, with fixed ids (the screenshots stay the same)."""
    await site.open_trajectory(MAIN)
    rig = site.rig
    await rig.send(c.SendAnnouncement, "2025-11-04", MAIN, actor="planner:piet")
    contacts = ({"name": "An de Vries", "email": "an@bibliotheekhengelo.example", "role": "directeur"},)
    await rig.send(c.RecordIntake, "2025-11-10", MAIN, actor="auditee:an", contacts=contacts,
                   locations=("Centrale", "Filiaal Hengelo-Noord"), employees=40, services=("BoekStart",))  # fmt: skip
    await rig.send(c.SubmitSelfEvaluation, "2025-11-20", MAIN, actor="auditee:an", documents=("zelfevaluatie.pdf",))
    await site.open_trajectory("T-2026-002", organisation="Bibliotheek Oldenzaal", certificate_number="1003")
    await site.open_trajectory(
        "T-2026-003", organisation="Cultuurhuis Deventer", certificate_number="2001", association="Cultuurconnectie"
    )
    await site.settled()
    yield site


@dataclass(frozen=True)
class PageType:
    name: str  # the screenshot's file name
    who: str | None  # signed in as (`USERS`), or nobody
    go: Callable[[Any], Awaitable[None]]  # brings the page into this state
    phone: bool = False


def at(path: str) -> Callable[[Any], Awaitable[None]]:
    async def go(page: Any) -> None:
        await page.goto(path)

    return go


async def wrong_password(page: Any) -> None:
    await page.goto("/aanmelden")
    await page.get_by_label("Gebruikersnaam").fill("piet")
    await page.get_by_label("Wachtwoord").fill("fout")
    await page.get_by_role("button", name="Aanmelden").click()
    await page.locator(".error-summary").wait_for()


async def link_asked(page: Any) -> None:
    await page.goto("/aanmelden")
    await page.get_by_label("E-mailadres").fill("an@bibliotheekhengelo.example")
    await page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
    await page.locator(".notice").wait_for()


async def refused_postponement(page: Any) -> None:
    await page.goto(f"/trajecten/{MAIN}")
    step = page.locator("#stap-postponement-request")
    await step.locator("summary").click()
    await step.get_by_label("Grond voor uitstel").select_option("overig")
    await step.get_by_label("Toelichting").fill("Wij willen de audit liever na de zomer.")
    await step.get_by_role("button", name="Versturen").click()
    await step.locator(".error-summary").wait_for()


async def invalid_schedule(page: Any) -> None:
    await page.goto(f"/trajecten/{MAIN}")
    step = page.locator("#stap-audit-schedule")
    await step.locator("summary").click()
    await step.get_by_label("Deskundige auditor").fill("Ellen Expert")
    await step.get_by_role("button", name="Versturen").click()
    await step.locator(".error-summary").wait_for()


async def stale_form(page: Any) -> None:
    await page.goto("/")
    await page.evaluate("document.querySelector('form.sign-out input[name=csrf_token]').value = 'verlopen'")
    await page.get_by_role("button", name="Afmelden").click()
    await page.locator("h1", has_text="Dit mag u niet").wait_for()


PAGE_TYPES = [
    PageType("01-welkom", None, at("/")),
    PageType("02-aanmelden", None, at("/aanmelden")),
    PageType("03-aanmelden-fout", None, wrong_password),
    PageType("04-aanmeldlink-gevraagd", None, link_asked, phone=True),
    PageType("05-start-planner", "planner", at("/")),
    PageType("06-start-organisatie", "auditee", at("/"), phone=True),
    PageType("07-traject-planner", "planner", at(f"/trajecten/{MAIN}")),
    PageType("08-traject-invoer-onjuist", "planner", invalid_schedule),
    PageType("09-traject-geweigerd-organisatie", "auditee", refused_postponement, phone=True),
    PageType("10-niet-gevonden", "auditee", at("/trajecten/T-2026-002")),
    PageType("11-niet-toegestaan", "director", stale_form),
]


@pytest.mark.parametrize("kind", PAGE_TYPES, ids=lambda kind: kind.name)
async def test_every_page_type_is_accessible_and_shown(world: Site, browser: Any, kind: PageType) -> None:
    options: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
    if kind.phone:
        options = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    context = await browser.new_context(base_url=world.url, locale="nl-NL", timezone_id="Europe/Amsterdam", **options)
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
        if kind.who is not None:
            await sign_in(page, kind.who)
        await kind.go(page)
        await page.wait_for_load_state("networkidle")
        await screenshot(page, kind.name, world.tmp)
        if kind.phone:  # nothing wider than the phone's screen (a table scrolls inside its own region)
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{kind.name}: {overflow}px wider than the screen"
        violations = await run_axe(page)
        assert violations == [], violations
        status_of_the_page = "Failed to load resource: the server responded with a status of 4"  # (401, 403, 404 …)
        assert [text for text in console if not text.startswith(status_of_the_page)] == []
    finally:
        await context.close()
