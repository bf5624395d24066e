"""Every page type of the auditee portal: no serious or critical axe-core violation, no console error under
the strict Content-Security-Policy, nothing wider than a 375 px phone, rendered without JavaScript, and
a screenshot. The screenshots go to `docs/screenshots/` with the foundation's command:

    CBCT_SCREENSHOTS=1 .venv/bin/pytest -p no:cacheprovider tests/web/test_page_types.py tests/web/test_portal_pages.py

Also here, on the same world: the scores page beside the national figures (computed from the read model
over every trajectory's latest scores in the framework version), and the calendar link that works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio

from domain import commands as c
from projections.messages import list_messages
from tests.web.conftest import Site, run_axe, screenshot, sign_in
from tests.web.test_portal import PNG, WorldClock

DECIDED = "P-2026-001"  # 1002: decided, the survey open
OLDENZAAL = "P-2026-002"  # 1003 (another organisation): scores and a draft report
ANNOUNCED = "P-2026-003"  # 1002: announced, the intake next
SCHEDULED = "P-2026-005"  # 1002: the audit planned, the self-evaluation due
DRAFT = "P-2026-004"  # 1002: the draft report issued, a reaction possible, scores visible

CONTACT = {"name": "An de Vries", "email": "an@bibliotheekhengelo.example", "role": "directeur"}


def scored(**by_norm: str) -> dict[str, dict[str, str]]:
    """Scores for the seven norms: `Volledig` unless given per norm (`n3="Beperkt"`)."""
    return {str(n): dict.fromkeys("abcd", by_norm.get(f"n{n}", "Volledig")) for n in range(1, 8)}


async def audited(site: Site, tid: str, **opening: Any) -> None:
    """Opened 2025-11-03 (certificate until 2026-06-30), up to its audit on 2026-04-14."""
    rig = site.rig
    await site.open_trajectory(tid, previous_certificate_expiry="2026-06-30", **opening)
    await rig.send(c.SendAnnouncement, "2025-11-04", tid, actor="planner:piet")
    await rig.send(c.RecordIntake, "2025-11-10", tid, actor="auditee:an", contacts=(CONTACT,),
                   locations=("Centrale",), employees=30)  # fmt: skip
    await rig.send(c.SubmitSelfEvaluation, "2025-11-20", tid, actor="auditee:an", documents=("zelfevaluatie.pdf",))
    await rig.send(c.ScheduleAudit, "2025-11-20", tid, actor="planner:piet", audit_dates=(date(2026, 4, 14),),
                   expert_auditor="Ellen Expert", peer_auditor="Peter Peer")  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(site: Site) -> AsyncIterator[Site]:
    site.runtime.clock = WorldClock(site)
    rig = site.rig
    await site.open_trajectory(ANNOUNCED, previous_certificate_expiry="2027-06-30")
    await rig.send(c.SendAnnouncement, "2025-11-03", ANNOUNCED, actor="planner:piet")
    await site.open_trajectory(SCHEDULED, previous_certificate_expiry="2027-03-31", audit_quarter="2026-K3")
    await rig.send(c.SendAnnouncement, "2025-11-03", SCHEDULED, actor="planner:piet")
    await rig.send(c.RecordIntake, "2025-11-03", SCHEDULED, actor="auditee:an", contacts=(CONTACT,),
                   locations=("Centrale", "Filiaal Noord"), employees=40, services=("BoekStart",))  # fmt: skip
    await rig.send(c.ScheduleAudit, "2025-11-03", SCHEDULED, actor="planner:piet", audit_dates=(date(2026, 9, 15),),
                   expert_auditor="Ellen Expert", peer_auditor="Peter Peer")  # fmt: skip
    await audited(site, DECIDED)
    await audited(site, OLDENZAAL, organisation="Bibliotheek Oldenzaal", certificate_number="1003")
    await audited(site, DRAFT)
    for tid, scores in ((DECIDED, scored()), (OLDENZAAL, scored(n2="Beperkt", n6="Niet")),
                        (DRAFT, scored(n3="Beperkt", n5="Grotendeels"))):  # fmt: skip
        await rig.send(c.RecordAuditScores, "2026-04-14", tid, actor="auditor:ellen", scores=scores, indicators={})
        await rig.send(c.IssueDraftReport, "2026-04-15", tid, actor="planner:piet")
    await rig.send(c.ReactToDraft, "2026-04-16", DECIDED, actor="auditee:an", reaction="Geen opmerkingen.")
    await rig.send(c.DecideCertification, "2026-04-17", DECIDED, actor="director:dirk")
    await site.settled()
    yield site


@dataclass(frozen=True)
class PageType:
    name: str  # the screenshot's file name
    go: Callable[[Any], Awaitable[None]]  # brings the page into this state (signed in as the auditee)
    phone: bool = True
    heading: str = ""  # the page's h1, also without JavaScript


def at(path: str) -> Callable[[Any], Awaitable[None]]:
    async def go(page: Any) -> None:
        await page.goto(path)

    return go


async def invalid_intake(page: Any) -> None:
    await page.goto(f"/portaal/{ANNOUNCED}/intake")
    await page.get_by_label("Aantal medewerkers").fill("veertig")
    await page.get_by_role("button", name="Intake versturen").click()
    await page.locator(".error-summary").wait_for()


async def refused_upload(page: Any) -> None:
    await page.goto(f"/portaal/{SCHEDULED}/zelfevaluatie")
    await page.locator("input[type=radio][value=ja]").first.check()
    await page.get_by_label("Document toevoegen").first.set_input_files(
        files=[{"name": "foto.pdf", "mimeType": "application/pdf", "buffer": PNG}]
    )
    await page.get_by_role("button", name="Bewaren", exact=True).click()
    await page.locator(".error-summary").wait_for()


async def refused_postponement(page: Any) -> None:
    await page.goto(f"/portaal/{SCHEDULED}/uitstel")
    form = page.locator("#form-postponement-request")
    await form.get_by_label("Grond voor uitstel").select_option("verhuizing of nieuwbouw")
    await form.get_by_label("Toelichting").fill("De nieuwbouw is pas in het voorjaar klaar.")
    await form.get_by_role("button", name="Uitstel aanvragen").click()
    await form.locator(".error-summary").wait_for()


async def new_calendar_link(page: Any) -> None:
    await page.goto("/agenda-abonnement")
    await page.get_by_role("button", name="Nieuwe abonnementslink maken").click()
    await page.locator("#feed-url").wait_for()


PAGE_TYPES = [
    PageType("portaal-01-start", at(f"/portaal/{SCHEDULED}"), heading="Bibliotheek Hengelo"),
    PageType("portaal-02-intake", at(f"/portaal/{ANNOUNCED}/intake"), heading="Intake"),
    PageType("portaal-03-intake-onjuist", invalid_intake, phone=False, heading="Intake"),
    PageType("portaal-04-zelfevaluatie", at(f"/portaal/{SCHEDULED}/zelfevaluatie"), heading="Zelfevaluatie"),
    PageType("portaal-05-upload-geweigerd", refused_upload, phone=False, heading="Zelfevaluatie"),
    PageType("portaal-06-uitstel-geweigerd", refused_postponement, heading="Uitstel aanvragen"),
    PageType(
        "portaal-07-reactie", at(f"/portaal/{DRAFT}/reactie"), phone=False, heading="Reactie op het conceptrapport"
    ),
    PageType("portaal-08-enquete", at(f"/portaal/{DECIDED}/enquete"), heading="Tevredenheidsenquête"),
    PageType("portaal-09-scores", at(f"/portaal/{DRAFT}/scores"), phone=False, heading="Uw scores per norm"),
    PageType("portaal-10-scores-telefoon", at(f"/portaal/{DRAFT}/scores"), heading="Uw scores per norm"),
    PageType("portaal-11-agenda", new_calendar_link, heading="Agenda-abonnement"),
    PageType("portaal-12-contactpersonen", at(f"/portaal/{SCHEDULED}/contactpersonen"), heading="Contactpersonen"),
]


async def _context(browser: Any, site: Site, *, phone: bool, js: bool = True) -> Any:
    size = {"width": 375, "height": 812} if phone else {"width": 1280, "height": 900}
    options: dict[str, Any] = {"viewport": size, "java_script_enabled": js}
    if phone:
        options.update(is_mobile=True, has_touch=True)
    context = await browser.new_context(base_url=site.url, locale="nl-NL", timezone_id="Europe/Amsterdam", **options)
    context.set_default_timeout(10_000)
    return context


@pytest.mark.parametrize("kind", PAGE_TYPES, ids=lambda kind: kind.name)
async def test_every_portal_page_type_is_accessible_and_shown(world: Site, browser: Any, kind: PageType) -> None:
    context = await _context(browser, world, phone=kind.phone)
    try:
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
        await sign_in(page, "auditee")
        await kind.go(page)
        await page.wait_for_load_state("networkidle")
        assert await page.locator("h1").inner_text() == kind.heading
        await screenshot(page, kind.name, world.tmp)
        if kind.phone:  # nothing wider than the phone's screen (a table scrolls inside its own region)
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{kind.name}: {overflow}px wider than the screen"
        violations = await run_axe(page)
        assert violations == [], violations
        status_of_the_page = "Failed to load resource: the server responded with a status of 4"  # (409, 422 …)
        assert [text for text in console if not text.startswith(status_of_the_page)] == []
    finally:
        await context.close()


async def test_the_portal_pages_render_without_javascript(world: Site, browser: Any) -> None:
    context = await _context(browser, world, phone=True, js=False)
    try:
        page = await context.new_page()
        await sign_in(page, "auditee")
        for kind in PAGE_TYPES:
            await kind.go(page)
            assert await page.locator("h1").inner_text() == kind.heading, kind.name
        await page.goto("/portaal")  # the start page leads to every page of the trajectory
        links = await page.locator(".section-list a").evaluate_all("links => links.map(a => a.textContent)")
        assert links[:6] == ["Intake", "Zelfevaluatie en documenten", "Uitstel aanvragen",
                             "Reactie op het conceptrapport", "Tevredenheidsenquête", "Uw scores per norm"]  # fmt: skip
    finally:
        await context.close()


async def test_the_start_page_shows_dates_what_to_prepare_and_the_deadlines_ahead(world: Site, page: Any) -> None:
    await sign_in(page, "auditee")
    await page.goto("/portaal")  # the running trajectory opened last
    assert "Het conceptrapport is verstuurd." in await page.locator(".portal-phase").inner_text()
    await page.goto(f"/portaal/{SCHEDULED}")
    assert "De audit is gepland." in await page.locator(".portal-phase").inner_text()
    facts = await page.locator(".facts").inner_text()
    assert "15-09-2026" in facts and "Ellen Expert en Peter Peer" in facts and "31-03-2027" in facts
    todo = await page.locator(".todo-list").inner_text()
    assert "Vul de zelfevaluatie in" in todo and "Uiterlijk 04-08-2026" in todo  # 6 weeks before the audit
    deadlines = await page.locator(".deadline-list").inner_text()
    assert "04-08-2026" in deadlines and "Door u" in deadlines
    others = await page.locator("#others-heading + ul").inner_text()
    assert DECIDED in others and OLDENZAAL not in others  # another organisation's trajectory is not listed


async def test_scores_beside_the_national_average_lowest_and_highest(world: Site, page: Any) -> None:
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{DRAFT}/scores")
    rows = await page.locator(".scores-table tbody tr").all_inner_texts()
    by_norm = {row.split(".", 1)[0]: [cell.strip() for cell in row.split("\t")] for row in rows}
    # norm 3: own Beperkt (1,00); the others Volledig (3,00): average 2,33, lowest 1,00, highest 3,00
    assert by_norm["3"][1:] == ["1,00 onvoldoende", "2,33", "1,00", "3,00"]
    # norm 6: Oldenzaal Niet (0,00), the others Volledig
    assert by_norm["6"][1:] == ["3,00", "2,00", "0,00", "3,00"]
    assert "over de laatste scores van 3 organisaties" in await page.locator("main").inner_text()
    await page.goto(f"/portaal/{ANNOUNCED}/scores")  # not scored yet: nothing shown
    assert "verschijnen hier zodra" in await page.locator(".lead").inner_text()


async def test_the_calendar_link_is_shown_once_and_works(world: Site, page: Any) -> None:
    await sign_in(page, "auditee")
    await page.goto("/agenda-abonnement")
    await page.get_by_role("button", name="Nieuwe abonnementslink maken").click()
    url = await page.locator("#feed-url").input_value()
    async with httpx.AsyncClient() as http:
        feed = await http.get(url)
    assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
    assert "Bibliotheek Hengelo" in feed.text and "Oldenzaal" not in feed.text
    await page.goto("/agenda-abonnement")
    assert url not in await page.content()  # shown once
    revoke = page.get_by_role("button", name="Intrekken").last
    await revoke.click()
    await page.wait_for_url("**/agenda-abonnement?ingetrokken=1")
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).status_code == 404


async def test_the_auditee_names_new_contact_persons_who_get_the_next_email(world: Site, page: Any) -> None:
    """The page starts with the intake's contact; without JavaScript "meer regels" adds a row. Saved: the
    first new contact is CBCT's addressee from then on, and only the new contacts may sign in."""
    tid = "P-2026-006"
    await world.open_trajectory(tid, previous_certificate_expiry=None)  # the register says until when
    await world.rig.send(c.SendAnnouncement, "2025-11-03", tid, actor="planner:piet")
    await world.rig.send(c.RecordIntake, "2025-11-03", tid, actor="auditee:an", contacts=(CONTACT,),
                         locations=("Centrale",), employees=30)  # fmt: skip
    await world.settled()
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{tid}")
    await page.locator(".section-list").get_by_role("link", name="Contactpersonen").click()
    await page.wait_for_url(f"**/portaal/{tid}/contactpersonen")
    first = page.locator("#contact-row-0")
    assert await first.get_by_label("E-mailadres").input_value() == CONTACT["email"]
    rows = page.locator("#rows-contacts fieldset")
    before = await rows.count()
    await page.get_by_role("button", name="Meer regels").click()
    await page.locator(f"#contact-row-{before}").wait_for()
    await first.get_by_label("Naam").fill("Bram Nieuw")
    await first.get_by_label("E-mailadres").fill("bram@bibliotheekhengelo.example")
    await first.get_by_label("Functie").fill("coördinator")
    second = page.locator("#contact-row-1")
    await second.get_by_label("Naam").fill(CONTACT["name"])
    await second.get_by_label("E-mailadres").fill("an.devries@bibliotheekhengelo.example")
    await page.get_by_role("button", name="Contactpersonen opslaan").click()
    await page.wait_for_url(f"**/portaal/{tid}?verwerkt=contactpersonen")
    assert "CBCT mailt voortaan naar de eerste" in await page.locator(".notice-success").inner_text()
    await world.settled()
    [changed] = [m for m in await list_messages(world.runtime.pool, tid) if m.kind == "contacts_changed"]
    assert (changed.recipient, changed.recipient_name) == ("bram@bibliotheekhengelo.example", "Bram Nieuw")
    contacts = await world.runtime.pool.fetch("SELECT email FROM trajectory_contacts WHERE trajectory_id = $1", tid)
    assert sorted(r["email"] for r in contacts) == [
        "an.devries@bibliotheekhengelo.example", "bram@bibliotheekhengelo.example",
    ]  # fmt: skip
    await page.goto(f"/portaal/{tid}/contactpersonen")  # the page starts with the contacts named last
    assert await page.locator("#contact-row-1").get_by_label("E-mailadres").input_value() == (
        "an.devries@bibliotheekhengelo.example"
    )


async def test_the_reaction_and_the_survey_are_sent_from_the_portal(world: Site, page: Any) -> None:
    """(Last in this module: it moves DRAFT on and closes DECIDED's survey.)"""
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{DRAFT}/reactie")
    await page.get_by_label("Uw reactie").fill("In paragraaf 3 staat een verkeerd aantal vestigingen.")
    await page.get_by_role("button", name="Reactie versturen").click()
    await page.wait_for_url(f"**/portaal/{DRAFT}?verwerkt=reactie")
    assert await page.locator(".notice-success").inner_text() == "Uw reactie op het conceptrapport is ontvangen."
    await page.goto(f"/portaal/{DECIDED}/enquete")
    await page.get_by_label("Uw oordeel").select_option("tevreden")
    await page.get_by_role("button", name="Antwoord versturen").click()
    await page.wait_for_url(f"**/portaal/{DECIDED}?verwerkt=enquete")
    kinds = [e.event_type for e in await world.runtime.service.history(DECIDED)]
    assert "SurveyAnswered" in kinds
    await page.goto(f"/portaal/{DECIDED}/enquete")  # answered: the form is no longer offered
    assert "De enquête staat nu niet open" in await page.locator("main").inner_text()
