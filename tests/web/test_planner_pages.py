"""The planner's pages in a real browser: calendar, uitstel inbox, deadlines, register, report and search.

One world for the module (the web app's clock follows it, so "today" on the pages is the world's day):
three organisations, two audits fixed in April 2026 and one uitstel request (a fire: force majeure)
waiting for the planner. The decisive test is the issue's: a planner grants a postponement in the
inbox, and the trajectory page and the auditee's calendar feed then show the new date.

Every page type is checked with axe-core and saved as a screenshot (`CBCT_SCREENSHOTS=1` puts them in
docs/screenshots/, as `tests/web/test_page_types.py` does), and rendered without JavaScript.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from icalendar import Calendar, Event

from application.account_service import csrf_token
from domain import commands as c
from interfaces.http.auth import CSRF_HEADER, SESSION_COOKIE
from tests.web.conftest import Site, run_axe, screenshot, sign_in
from tests.workflows.rig import Rig

HENGELO = "T-P-001"
"""Bibliotheek Hengelo (1002, the auditee's): audit fixed on 21-04-2026, no self-evaluation yet, and an
uitstel request for a fire (calamiteit: force majeure) waiting."""
OLDENZAAL = "T-P-002"
"""Bibliotheek Oldenzaal (1003): audit fixed on 23-04-2026 with Karel Kundig and Peter Peer."""
DEVENTER = "T-P-003"
"""Cultuurhuis Deventer (2001, Cultuurconnectie): opened only."""
TODAY = date(2026, 3, 2)
"""The world's day once it is built (a Monday)."""
REPORT = "/rapportage?van=2025-01-01&tot=2026-12-31&peildatum=2026-03-01"


class WorldClock:
    """The pages' clock follows the world of the workflows (skipped time), as `cbct clock` does in the demo."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig

    async def now(self) -> datetime:
        return await self.rig.now()


def intake(name: str) -> dict[str, Any]:
    contacts = ({"name": name, "email": "contact@bibliotheek.example", "role": "directeur"},)
    return {"contacts": contacts, "locations": ("Centrale",), "employees": 40, "services": ("BoekStart",)}


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(site: Site) -> AsyncIterator[Site]:
    site.runtime.clock = WorldClock(site.rig)
    rig = site.rig
    await site.open_trajectory(HENGELO)
    await site.open_trajectory(OLDENZAAL, organisation="Bibliotheek Oldenzaal", certificate_number="1003")
    await site.open_trajectory(DEVENTER, organisation="Cultuurhuis Deventer", certificate_number="2001",
                               association="Cultuurconnectie")  # fmt: skip
    for trajectory_id in (HENGELO, OLDENZAAL):
        await rig.send(c.SendAnnouncement, "2025-11-04", trajectory_id, actor="planner:piet")
    for trajectory_id in (HENGELO, OLDENZAAL):
        await rig.send(c.RecordIntake, "2025-11-10", trajectory_id, actor="auditee:an", **intake("An de Vries"))
    await rig.send(c.SubmitSelfEvaluation, "2025-11-20", OLDENZAAL, actor="auditee:an", documents=("ze.pdf",))
    await rig.send(c.ScheduleAudit, "2026-01-08", HENGELO, actor="planner:piet", audit_dates=(date(2026, 4, 21),),
                   expert_auditor="Ellen Expert", peer_auditor="Peter Peer")  # fmt: skip
    await rig.send(c.ScheduleAudit, "2026-01-08", OLDENZAAL, actor="planner:piet", audit_dates=(date(2026, 4, 23),),
                   expert_auditor="Karel Kundig", peer_auditor="Peter Peer")  # fmt: skip
    await rig.send(c.RequestPostponement, "2026-03-02", HENGELO, actor="auditee:an", ground="calamiteit",
                   reason="Brand in de centrale: het gebouw is maanden dicht.")  # fmt: skip
    await site.settled()
    assert (await site.runtime.clock.now()).date() == TODAY
    yield site


async def _http(site: Site, page: Any) -> httpx.AsyncClient:
    """An HTTP client with the page's session (after `sign_in`), asking for pages."""
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"}, timeout=60)


# --- every page type: axe, screenshot, without JavaScript ------------------------------------------------


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    heading: str
    phone: bool = False
    then: Callable[[Any], Awaitable[None]] | None = None


async def refuse_force_majeure(page: Any) -> None:
    form = page.locator(f"#form-{HENGELO}-postponement-decide")
    await form.get_by_label("Weigeren").check()
    await form.get_by_label("Toelichting").fill("Wij weigeren.")
    await form.get_by_role("button", name="Versturen").click()
    await form.locator(".error-summary").wait_for()


PAGE_TYPES = [
    PageType("planner-01-kalender-week", "/kalender?weergave=week&datum=2026-04-20", "Auditkalender"),
    PageType("planner-02-kalender-maand", "/kalender?weergave=maand&datum=2026-04-01", "Auditkalender"),
    PageType("planner-03-kalender-telefoon", "/kalender", "Auditkalender", phone=True),
    PageType("planner-04-uitstel", "/uitstel", "Uitstelverzoeken"),
    PageType("planner-05-uitstel-geweigerd", "/uitstel", "Uitstelverzoeken", then=refuse_force_majeure),
    PageType("planner-06-termijnen", "/termijnen?status=all", "Termijnen"),
    PageType("planner-07-register", "/register", "Certificaatregister"),
    PageType("planner-08-rapportage", REPORT, "Hoofdlijnenrapportage"),
    PageType("planner-09-zoeken", "/zoeken?q=bibliotheek", "Zoeken", phone=True),
]


@pytest.mark.parametrize("kind", PAGE_TYPES, ids=lambda kind: kind.name)
async def test_every_planner_page_is_accessible_and_shown(world: Site, browser: Any, kind: PageType) -> None:
    options: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
    if kind.phone:
        options = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    context = await browser.new_context(base_url=world.url, locale="nl-NL", timezone_id="Europe/Amsterdam", **options)
    context.set_default_timeout(20_000)
    try:
        page = await context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
        await sign_in(page, "planner")
        await page.goto(kind.path)
        if kind.then is not None:
            await kind.then(page)
        await page.wait_for_load_state("networkidle")
        assert await page.locator("h1").inner_text() == kind.heading
        await screenshot(page, kind.name, world.tmp)
        if kind.phone:
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{kind.name}: {overflow}px wider than the screen"
        violations = await run_axe(page)
        assert violations == [], violations
        assert [text for text in console if "status of 4" not in text] == []
    finally:
        await context.close()


async def test_the_planner_pages_render_without_javascript(world: Site, page_without_js: Any) -> None:
    page = page_without_js
    await sign_in(page, "planner")
    menu = await page.locator(".site-nav a").all_inner_texts()
    assert menu == ["Start", "Kalender", "Uitstel", "Termijnen", "Register", "Rapportage"]
    for kind in PAGE_TYPES:
        answer = await page.goto(kind.path)
        assert answer is not None and answer.status == 200, kind.path
        assert await page.locator("h1").inner_text() == kind.heading
    # plain links and GET forms: the next week, the month, a tab, the header's search
    await page.goto("/kalender?weergave=week&datum=2026-04-13")
    await page.get_by_role("link", name="Volgende week ›").click()
    await page.wait_for_url("**datum=2026-04-20**")
    assert "Bibliotheek Oldenzaal" in await page.locator(".cal-week").inner_text()
    await page.get_by_role("link", name="Maand", exact=True).click()
    await page.wait_for_url("**weergave=maand**")
    assert await page.locator("#period-heading").inner_text() == "april 2026"
    await page.goto("/termijnen")
    await page.get_by_role("link", name="Verlopen").click()
    await page.wait_for_url("**status=overdue**")
    await page.get_by_label("Zoek organisatie of certificaatnummer").fill("Oldenzaal")
    await page.get_by_label("Zoek organisatie of certificaatnummer").press("Enter")
    await page.wait_for_url("**/zoeken?q=Oldenzaal")
    assert "Bibliotheek Oldenzaal" in await page.locator("tbody").inner_text()


# --- the calendar -------------------------------------------------------------------------------------


async def test_the_calendar_shows_each_audit_on_its_day_by_week_and_by_month(world: Site, page: Any) -> None:
    await sign_in(page, "planner")
    await page.goto("/kalender?weergave=week&datum=2026-04-22")
    assert await page.locator("#period-heading").inner_text() == "Week 17: 20 t/m 26 april 2026"
    days = page.locator(".cal-day")
    assert await days.count() == 7
    tuesday, thursday = days.nth(1), days.nth(3)
    assert "dinsdag 21 april" in await tuesday.locator("h3").inner_text()
    assert (
        "Bibliotheek Hengelo" in await tuesday.inner_text() and "Ellen Expert, Peter Peer" in await tuesday.inner_text()
    )
    assert "Bibliotheek Oldenzaal" in await thursday.inner_text() and "Karel Kundig" in await thursday.inner_text()
    assert await page.locator(".cal-today").count() == 0  # not this week

    await page.get_by_label("Auditor", exact=True).select_option("Karel Kundig")
    await page.get_by_role("button", name="Toon").click()
    await page.wait_for_url("**auditor=Karel+Kundig**")
    text = await page.locator(".cal-week").inner_text()
    assert "Bibliotheek Oldenzaal" in text and "Bibliotheek Hengelo" not in text

    await page.goto("/kalender?weergave=maand&datum=2026-04-01")
    assert await page.locator("#period-heading").inner_text() == "april 2026"
    cell = page.locator("td", has=page.locator(".cal-number", has_text="donderdag 23 april"))
    assert "Bibliotheek Oldenzaal" in await cell.inner_text()
    assert await page.locator(".cal-month tbody tr").count() == 5  # 30 March .. 3 May

    await page.goto("/kalender")  # this week, today marked
    today = page.locator('[aria-current="date"]')
    assert "maandag 2 maart" in await today.inner_text() and "vandaag" in await today.inner_text()
    await page.get_by_role("link", name="Volgende week ›").click()
    await page.wait_for_url("**datum=2026-03-09**")


# --- deadlines, register, search, report --------------------------------------------------------------------


async def test_the_deadlines_page_has_tabs_and_a_period(world: Site, page: Any) -> None:
    await sign_in(page, "planner")
    await page.goto("/termijnen?status=due&dagen=30")
    rows = await page.locator("tbody tr").all_inner_texts()
    assert any("besluit uitstelverzoek" in r and "Bibliotheek Hengelo" in r and "16-03-2026" in r for r in rows)
    await page.get_by_role("link", name="Alle").click()
    await page.wait_for_url("**status=all**")
    everything = await page.locator("tbody").inner_text()
    assert "zelfevaluatie" in everything and "scores audit" in everything
    await page.goto("/termijnen?status=due&dagen=veel")
    assert "Vul een geheel aantal dagen in" in await page.locator(".field-error").inner_text()


async def test_the_register_filters_and_downloads(world: Site, page: Any) -> None:
    await sign_in(page, "planner")
    await page.goto("/register")
    assert await page.locator("tbody tr").count() == 3
    await page.get_by_label("Vereniging").select_option("Cultuurconnectie")
    await page.get_by_role("button", name="Toon").click()
    await page.wait_for_url("**vereniging=Cultuurconnectie**")
    assert [t.split("\t")[0] for t in await page.locator("tbody tr").all_inner_texts()] == ["2001"]

    await page.goto("/register?zoek=OLDEN")
    assert [t.split("\t")[0] for t in await page.locator("tbody tr").all_inner_texts()] == ["1003"]
    csv_href = await page.get_by_role("link", name="CSV (Excel)").get_attribute("href")
    xlsx_href = await page.get_by_role("link", name="XLSX").get_attribute("href")
    assert csv_href == "/register.csv?zoek=OLDEN" and xlsx_href == "/register.xlsx?zoek=OLDEN"
    async with await _http(world, page) as http:
        csv = await http.get(csv_href)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.lstrip("\ufeff").splitlines()
        assert lines[0].startswith("certificaatnummer;organisatie") and len(lines) == 2
        assert lines[1].startswith("1003;Bibliotheek Oldenzaal;VOB")
        xlsx = await http.get(xlsx_href)
        assert xlsx.status_code == 200
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        assert values[0][0] == "certificaatnummer" and values[1][:3] == ["1003", "Bibliotheek Oldenzaal", "VOB"]

        before = await http.get("/register?peildatum=2025-11-02")  # before anything opened: folded from the events
        assert before.status_code == 200 and "Register per 02-11-2025" in before.text and "<tbody>" not in before.text
        wrong = await http.get("/register?peildatum=gisteren")
        assert wrong.status_code == 422 and "Vul een datum in" in wrong.text


async def test_search_finds_by_certificate_number_and_by_name(world: Site, page: Any) -> None:
    await sign_in(page, "planner")
    search = page.get_by_role("search", name="Zoeken")
    await search.get_by_label("Zoek organisatie of certificaatnummer").fill("1003")
    await search.get_by_role("button", name="Zoek").click()
    await page.wait_for_url("**/zoeken?q=1003")
    rows = await page.locator("tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Bibliotheek Oldenzaal" in rows[0]
    await page.get_by_role("link", name="Bibliotheek Oldenzaal").click()
    await page.wait_for_url(f"**/trajecten/{OLDENZAAL}")
    await page.goto("/zoeken?q=bibliotheek")
    assert await page.locator("tbody tr").count() == 2
    await page.get_by_role("button", name="Afmelden").click()
    await sign_in(page, "auditee")
    assert await page.get_by_role("search").count() == 0  # no search box for an auditee
    async with await _http(world, page) as auditee:
        assert (await auditee.get("/zoeken?q=1003")).status_code == 403  # staff only


async def test_the_period_report_shows_its_charts_and_links_its_documents(world: Site, page: Any) -> None:
    await sign_in(page, "planner")
    await page.goto(REPORT)
    charts = page.locator(".chart img")
    assert await charts.count() >= 5
    first = charts.first
    await first.scroll_into_view_if_needed()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await first.element_handle())
    hrefs = [await a.get_attribute("href") for a in await page.locator(".downloads a").all()]
    assert "/api/reports/period?from=2025-01-01&to=2026-12-31&peildatum=2026-03-01&format=pdf" in hrefs
    assert any(h and h.endswith("format=docx") for h in hrefs)
    await page.get_by_text("Toon de", exact=False).click()  # the tables, folded away under the charts
    assert "Uitgevoerde certificeringstrajecten" in await page.locator(".report-table").first.inner_text()
    async with await _http(world, page) as http:
        chart = await http.get(await first.get_attribute("src") or "")
        assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
        wrong = await http.get("/rapportage?van=2026-01-01&tot=2025-01-01")
        assert wrong.status_code == 422 and "vóór het begin" in wrong.text


async def test_staff_read_the_planner_pages_and_only_a_planner_decides(world: Site, page: Any) -> None:
    events = await world.rig.events(HENGELO)
    await sign_in(page, "director")
    async with await _http(world, page) as director:
        inbox = await director.get("/uitstel")
        assert inbox.status_code == 200 and "Bibliotheek Hengelo" in inbox.text
        assert "postponement-decide" not in inbox.text  # no decision form for a director
        token = inbox.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = await director.post(f"/uitstel/{HENGELO}/besluit", data={"csrf_token": token, "grant": "ja"})
        assert refused.status_code == 403
    await page.get_by_role("button", name="Afmelden").click()
    await sign_in(page, "auditor")
    async with await _http(world, page) as auditor:
        for path in ("/kalender", "/uitstel", "/termijnen", "/zoeken?q=1002", REPORT):
            assert (await auditor.get(path)).status_code == 403, path
        assert (await auditor.get("/register")).status_code == 200  # the register is public, as in the API
    assert await world.rig.events(HENGELO) == events


# --- the test: a planner grants a postponement ------------------------------------------------------


async def test_without_javascript_refusing_force_majeure_is_explained_and_the_input_kept(
    world: Site, page_without_js: Any
) -> None:
    page = page_without_js
    events = await world.rig.events(HENGELO)
    await sign_in(page, "planner")
    await page.goto("/uitstel")
    form = page.locator(f"#form-{HENGELO}-postponement-decide")
    await form.get_by_label("Weigeren").check()
    await form.get_by_label("Toelichting").fill("Geen reden om uit te stellen.")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await form.get_by_role("button", name="Versturen").click()
    assert (await posted.value).status == 409
    form = page.locator(f"#form-{HENGELO}-postponement-decide")
    assert "is overmacht en wordt altijd toegekend" in await form.locator(".error-summary").inner_text()
    assert await form.get_by_label("Toelichting").input_value() == "Geen reden om uit te stellen."
    assert await form.get_by_label("Weigeren").is_checked()
    assert await world.rig.events(HENGELO) == events  # nothing recorded


async def auditee_feed(site: Site, page: Any) -> Calendar:
    """The auditee's own calendar feed: made through the API with its session, fetched without one."""
    await sign_in(page, "auditee")
    cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    async with httpx.AsyncClient(base_url=site.url, cookies={SESSION_COOKIE: cookie}) as http:
        made = await http.post("/api/feeds", headers={CSRF_HEADER: csrf_token(cookie)})
        assert made.status_code == 201, made.text
        url = made.json()["url"]
    async with httpx.AsyncClient() as anyone:
        answer = await anyone.get(url)
        assert answer.status_code == 200
        return Calendar.from_ical(answer.content)


async def auditee_sees_in_the_portal(page: Any) -> str:
    """What the signed-in auditee reads about its audit: the dates on its portal's start page."""
    await page.goto(f"/portaal/{HENGELO}")
    return str(await page.locator(".facts").inner_text())


def audit_days(calendar: Calendar, organisation: str) -> list[date]:
    found = []
    for event in calendar.walk("VEVENT"):
        if isinstance(event, Event) and organisation in str(event.get("SUMMARY")) and "Audit" in str(event["SUMMARY"]):
            start = event.decoded("DTSTART")
            found.append(start.date() if isinstance(start, datetime) else start)
    return found


async def test_a_planner_grants_a_postponement_and_the_auditee_sees_the_new_date(
    world: Site, page: Any, browser: Any
) -> None:
    auditee_context = await browser.new_context(base_url=world.url, locale="nl-NL")
    try:
        before = await auditee_feed(world, await auditee_context.new_page())
    finally:
        await auditee_context.close()
    assert audit_days(before, "Bibliotheek Hengelo") == [date(2026, 4, 21)]

    await sign_in(page, "planner")
    await page.goto("/uitstel")
    item = page.locator(f"#verzoek-{HENGELO}")
    assert "calamiteit" in await item.locator(".facts").inner_text()
    assert "weigeren kan niet" in await item.locator(".rule-lines").inner_text()
    preview = item.locator("table.preview")
    assert "planning" in await preview.locator("tr", has_text="Fase").inner_text()  # by default: the next quarter

    await item.get_by_label("of nieuwe auditdatum").fill("2026-09-15")
    await item.get_by_role("button", name="Toon gevolgen").click()
    await page.wait_for_url("**datum=2026-09-15**")
    item = page.locator(f"#verzoek-{HENGELO}")
    dates_row = await item.locator("table.preview tr", has_text="Auditdatum").inner_text()
    assert "21-04-2026" in dates_row and "15-09-2026" in dates_row
    self_evaluation = await item.locator("table.preview tr", has_text="zelfevaluatie").inner_text()
    before_day, after_day = re.findall(r"\d\d-\d\d-2026", self_evaluation)
    assert before_day != after_day  # the self-evaluation moves with the audit

    form = item.locator(f"#form-{HENGELO}-postponement-decide")
    assert await form.get_by_label("Nieuw auditkwartaal").input_value() == "2026-K3"
    assert await form.locator('input[name="new_audit_dates"]').first.input_value() == "2026-09-15"
    await form.get_by_label("Verlenen").check()
    await form.get_by_label("Toelichting").fill("Brand: de audit gaat naar 15 september.")
    await form.get_by_role("button", name="Versturen").click()
    await page.wait_for_url(f"**/uitstel?verwerkt={HENGELO}")
    notice = await page.locator(".notice-success").inner_text()
    assert notice == "Uitstelverzoek 1 van Bibliotheek Hengelo is verleend: de audit staat nu op 15-09-2026."
    assert await page.locator(f"#verzoek-{HENGELO}").count() == 0

    await page.goto(f"/trajecten/{HENGELO}")
    assert "15 september 2026" in await page.locator(".facts").inner_text()

    await world.settled()
    auditee_context = await browser.new_context(base_url=world.url, locale="nl-NL")
    try:
        auditee_page = await auditee_context.new_page()
        after = await auditee_feed(world, auditee_page)
        assert "15-09-2026" in await auditee_sees_in_the_portal(auditee_page)
    finally:
        await auditee_context.close()
    assert audit_days(after, "Bibliotheek Hengelo") == [date(2026, 9, 15)]
    await page.goto("/kalender?weergave=maand&datum=2026-09-01")
    cell = page.locator("td", has=page.locator(".cal-number", has_text="dinsdag 15 september"))
    assert "Bibliotheek Hengelo" in await cell.inner_text()
