"""The auditor's and the director's pages in a real browser: scores per beoordelingsvraag, the decision.

One world for the module: two trajectories planned for an audit on 14 April 2026 — one with the
signed-in auditor (Ellen Expert) as expert auditor, one without her — and skipped time moved to that
day. The auditor's sheet is generated from the framework (every question of every norm in scope);
a refused sheet keeps every choice; the director sees the verdict the rules compute, filled in, and
a contradicting verdict is refused with CBCT's explanation; the register then shows the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest_asyncio

from domain import IssueDraftReport, ReactToDraft, RecordIntake, ScheduleAudit, SendAnnouncement, SubmitSelfEvaluation
from frameworks.loader import load_rules
from projections.register import list_register
from tests.unit.driver import CONTACT
from tests.web.conftest import Site, run_axe, screenshot, sign_in

KIB2 = load_rules("kib-ii-2023")
AUDIT_DAY = "2026-04-14"


@dataclass(frozen=True)
class World:
    ours: str  # Ellen Expert is its expert auditor
    theirs: str  # another expert, another organisation


async def _planned(site: Site, expert: str, **changes: Any) -> str:
    trajectory_id = await site.open_trajectory(**changes)
    rig = site.rig
    await rig.send(SendAnnouncement, "2025-11-04", trajectory_id)
    await rig.send(
        RecordIntake, "2025-11-10", trajectory_id, contacts=(CONTACT,), locations=("Centrale",), employees=40
    )
    await rig.send(SubmitSelfEvaluation, "2025-11-20", trajectory_id, documents=("zelfevaluatie.pdf",))
    await rig.send(
        ScheduleAudit, "2025-11-21", trajectory_id, audit_dates=(date.fromisoformat(AUDIT_DAY),),
        expert_auditor=expert, peer_auditor="Peer Bakker",
    )  # fmt: skip
    return trajectory_id


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(site: Site) -> World:
    ours = await _planned(site, "Ellen Expert")
    theirs = await _planned(
        site, "Karel Keurder", organisation="Bibliotheek Oost", certificate_number="2001",
        contact_email="info@bibliotheekoost.example",
    )  # fmt: skip
    await site.rig.until(AUDIT_DAY)
    await site.settled()
    return World(ours, theirs)


async def _client(site: Site, page: Any, who: str) -> httpx.AsyncClient:
    await sign_in(page, who)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"})


def _token(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


async def test_an_auditor_sees_only_the_audits_naming_her(site: Site, world: World, page: Any) -> None:
    await sign_in(page, "auditor")
    await page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Uw audits").click()
    await page.wait_for_url("**/audits")
    listed = await page.locator("table").first.inner_text()
    assert "Bibliotheek Hengelo" in listed and "Bibliotheek Oost" not in listed
    assert "deskundige auditor" in listed and "Scores vastleggen" in listed
    assert await run_axe(page) == []
    await screenshot(page, "auditor-audits", site.tmp)

    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"}) as http:
        theirs = await http.get(f"/audits/{world.theirs}")
        unknown = await http.get("/audits/T-bestaat-niet")
        assert theirs.status_code == unknown.status_code == 404 and theirs.text == unknown.text
        assert "Bibliotheek Oost" not in theirs.text
        token = _token((await http.get("/audits")).text)
        posted = await http.post(f"/audits/{world.theirs}/scores", data={"csrf_token": token, "score.1.a": "Volledig"})
        assert posted.status_code == 404
    kinds = [kind for _, kind, _ in await site.rig.events(world.theirs)]
    assert "AuditScoresRecorded" not in kinds


async def test_other_roles_may_not_use_the_auditor_or_director_pages(site: Site, world: World, page: Any) -> None:
    async with await _client(site, page, "planner") as http:
        assert (await http.get(f"/audits/{world.ours}")).status_code == 403
        assert (await http.get("/besluiten")).status_code == 403
        assert (await http.get("/beheer")).status_code == 403


async def test_a_refused_score_sheet_keeps_every_choice(site: Site, world: World, page: Any) -> None:
    await sign_in(page, "auditor")
    await page.goto(f"/audits/{world.ours}")
    sheet = page.locator("#form-audit-scores")
    # the sheet is the framework's: every question of every norm in the round's scope, four choices each
    rows = sheet.locator("tbody tr")
    assert await rows.count() == sum(len(KIB2.norm(n).questions) for n in KIB2.base_norm_ids)
    captions = await sheet.locator("caption").all_inner_texts()
    assert captions[0] == "Norm 1 · Missie, visie, strategie & beleid" and len(captions) == 7
    first = sheet.get_by_role("radiogroup", name=f"Norm 1, vraag a. {KIB2.norm('1').questions[0].text}")
    assert await first.get_by_role("radio").count() == 4
    await first.get_by_label("Grotendeels").check()
    await sheet.get_by_label("Bevindingen").fill("Sterke samenwerking met scholen.")
    await sheet.get_by_role("button", name="Scores vastleggen").click()
    summary = page.locator("#form-audit-scores .error-summary")
    await summary.wait_for()
    text = await summary.inner_text()
    assert "scores ontbreken voor norm 2, 3, 4, 5, 6, 7" in text and "27 vragen hebben nog geen score" in text
    sheet = page.locator("#form-audit-scores")
    assert (
        await sheet.get_by_role("radiogroup", name=f"Norm 1, vraag a. {KIB2.norm('1').questions[0].text}")
        .get_by_label("Grotendeels")
        .is_checked()
    )
    assert await sheet.get_by_label("Bevindingen").input_value() == "Sterke samenwerking met scholen."
    second = sheet.get_by_role("radiogroup", name=f"Norm 1, vraag b. {KIB2.norm('1').questions[1].text}")
    assert await second.get_attribute("aria-invalid") == "true"
    assert await run_axe(page) == []
    assert "AuditScoresRecorded" not in [kind for _, kind, _ in await site.rig.events(world.ours)]


async def test_without_javascript_a_refused_sheet_comes_back_on_the_page(
    site: Site, world: World, page_without_js: Any
) -> None:
    page = page_without_js
    await sign_in(page, "auditor")
    await page.goto(f"/audits/{world.ours}")
    sheet = page.locator("#form-audit-scores")
    await sheet.locator("#score-7-d-3").check()
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await sheet.get_by_role("button", name="Scores vastleggen").click()
    assert (await posted.value).status == 409
    assert await page.locator("h1").inner_text() == "Audit Bibliotheek Hengelo"
    assert await page.locator("#score-7-d-3").is_checked()
    assert "27 vragen hebben nog geen score" in await page.locator(".error-summary").inner_text()


async def test_the_score_sheet_on_a_phone(site: Site, world: World, phone_page: Any) -> None:
    page = phone_page
    await sign_in(page, "auditor")
    await page.goto(f"/audits/{world.ours}")
    choice = page.locator("#score-1-a-3")
    await choice.check()  # within reach: no sideways scrolling needed for the choices
    box = await choice.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    assert await run_axe(page) == []
    await screenshot(page, "auditor-score-sheet-phone", site.tmp)


async def _fill_sheet(page: Any, low_norm: str) -> None:
    """Volledig everywhere except `low_norm`, which gets Beperkt on every question (a mean of 1)."""
    for norm_id in KIB2.base_norm_ids:
        for question in KIB2.norm(norm_id).questions:
            choice = 1 if norm_id == low_norm else 3  # Beperkt / Volledig, in the scale's order
            await page.locator(f"#score-{norm_id}-{question.id}-{choice}").check()


async def test_an_auditor_enters_scores_the_director_decides_and_the_register_shows_the_result(
    site: Site, world: World, page: Any, browser: Any
) -> None:
    await sign_in(page, "auditor")
    await page.goto(f"/audits/{world.ours}")
    await screenshot(page, "auditor-score-sheet", site.tmp)
    await _fill_sheet(page, low_norm="6")
    sheet = page.locator("#form-audit-scores")
    await sheet.get_by_label("Bevindingen").fill("Sterke samenwerking met scholen.\n\nHeldere visie.")
    await sheet.get_by_label("Verbeterpunten").fill("Maak de resultaten meetbaar.")
    await sheet.get_by_role("button", name="Scores vastleggen").click()
    await page.wait_for_url(f"**/audits/{world.ours}?verwerkt=scores")
    assert await page.locator(".notice-success").inner_text() == "De scores zijn vastgelegd."
    assert "normscore 1,00 (onvoldoende)" in await page.locator("caption").nth(5).inner_text()
    [recorded] = [e for e in await site.runtime.service.history(world.ours) if e.event_type == "AuditScoresRecorded"]
    assert recorded.actor == "auditor:ellen"
    assert recorded.data["findings"] == ["Sterke samenwerking met scholen.", "Heldere visie."]
    assert recorded.data["scores"]["6"] == {"a": "Beperkt", "b": "Beperkt", "c": "Beperkt", "d": "Beperkt"}
    assert await run_axe(page) == []

    await site.rig.send(IssueDraftReport, AUDIT_DAY, world.ours, actor="auditor:ellen")
    await site.rig.send(ReactToDraft, AUDIT_DAY, world.ours, reaction="Geen opmerkingen.")
    await site.settled()

    context = await browser.new_context(base_url=site.url, locale="nl-NL", timezone_id="Europe/Amsterdam")
    director = await context.new_page()
    try:
        await sign_in(director, "director")
        await director.get_by_role("link", name="Besluiten").click()
        await director.wait_for_url("**/besluiten")
        due = await director.locator("table").first.inner_text()
        assert "Bibliotheek Hengelo" in due and "Voorwaardelijk gecertificeerd" in due and "Oost" not in due
        assert await run_axe(director) == []
        await screenshot(director, "director-decisions", site.tmp)

        await director.get_by_role("link", name="Bibliotheek Hengelo").click()
        await director.wait_for_url(f"**/besluiten/{world.ours}")
        form = director.locator("#form-decision-record")
        verdict = form.get_by_label("Oordeel")
        assert await verdict.input_value() == "Voorwaardelijk gecertificeerd"  # the rules' verdict, filled in
        assert "norm 6 (1,00)" in await director.locator("section", has_text="Oordeel volgens de regels").inner_text()
        assert await run_axe(director) == []
        await screenshot(director, "director-decision", site.tmp)

        await verdict.select_option("Gecertificeerd")
        await director.locator("#form-decision-record").get_by_label("Motivering").fill("Ik vind het goed genoeg.")
        await director.get_by_role("button", name="Besluit vastleggen").click()
        refusal = director.locator(".error-summary")
        await refusal.wait_for()
        assert "strijdt met de scores" in await refusal.inner_text()
        assert (
            await director.locator("#form-decision-record").get_by_label("Oordeel").input_value() == "Gecertificeerd"
        )  # kept
        assert (
            await director.locator("#form-decision-record").get_by_label("Motivering").input_value()
            == "Ik vind het goed genoeg."
        )

        await (
            director.locator("#form-decision-record")
            .get_by_label("Oordeel")
            .select_option("Voorwaardelijk gecertificeerd")
        )
        await director.locator("#form-decision-record").get_by_label("Motivering").fill("")
        await director.get_by_role("button", name="Besluit vastleggen").click()
        await director.wait_for_url(f"**/trajecten/{world.ours}?verwerkt=decision/record")
        assert "Voorwaardelijk gecertificeerd" in await director.locator(".facts").inner_text()
    finally:
        await context.close()

    await site.settled()
    [row] = [r for r in await list_register(site.runtime.pool) if r.certificate_number == "1002"]
    assert row.result == "Voorwaardelijk gecertificeerd" and row.trajectory_id == world.ours


async def test_an_auditor_declares_a_conflict_of_interest(site: Site, world: World, page: Any) -> None:
    await sign_in(page, "auditor")
    await page.goto(f"/audits/{world.ours}")
    form = page.locator("#form-auditor-declare-relation")
    assert await form.get_by_label("Auditor").input_value() == "Ellen Expert"  # filled in: herself
    await form.get_by_role("button", name="Versturen").click()
    summary = form.locator(".error-summary")
    await summary.wait_for()
    assert "Relatie met de auditee is verplicht." in await summary.inner_text()
    await (
        page.locator("#form-auditor-declare-relation")
        .get_by_label("Relatie met de auditee")
        .fill("Mijn zus werkt bij deze bibliotheek.")
    )
    await page.locator("#form-auditor-declare-relation").get_by_role("button", name="Versturen").click()
    await page.wait_for_url(f"**/audits/{world.ours}?verwerkt=belangen")
    assert "belangenverstrengeling is vastgelegd" in await page.locator(".notice-success").inner_text()
    [declared] = [
        e for e in await site.runtime.service.history(world.ours) if e.event_type == "ConflictOfInterestDeclared"
    ]
    assert declared.data["auditor"] == "Ellen Expert" and declared.actor == "auditor:ellen"


async def test_the_pages_render_without_javascript(site: Site, world: World, page_without_js: Any) -> None:
    page = page_without_js
    await sign_in(page, "auditor")
    await page.goto("/audits")
    assert await page.locator("h1").inner_text() == "Uw audits"
    await page.goto(f"/audits/{world.ours}")
    assert await page.locator("h2", has_text="Belangenverstrengeling").count() == 1
    await page.get_by_role("button", name="Afmelden").click()
    await sign_in(page, "director")
    await page.goto("/besluiten")
    assert await page.locator("h1").inner_text() == "Besluiten"
