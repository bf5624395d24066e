"""A trajectory's page in a real browser: the steps allowed now, as forms generated from the commands.

Every step goes through the trajectory's workflow (as the API's and the CLI's do): accepted, it is on
the timeline at once; refused by a CBCT rule or invalid, the form comes back with the input kept and
the Dutch explanation beside it — with htmx (the form swapped in place) and without JavaScript (the
page again). What is not the viewer's reads exactly as what does not exist.
"""

from __future__ import annotations

from typing import Any

import httpx

from domain import commands as c
from tests.web.conftest import Site, sign_in

REFUSED_GROUND = "'Wij willen later.' (overig) is geen geldige grond"


async def _request_postponement(page: Any, reason: str = "Wij willen later.") -> None:
    step = page.locator("#stap-postponement-request")
    await step.locator("summary").click()
    await step.get_by_label("Grond voor uitstel").select_option("overig")
    await step.get_by_label("Toelichting").fill(reason)
    await step.get_by_label("Datum waarop de grond ingaat").fill("2026-01-15")
    await step.get_by_role("button", name="Versturen").click()


async def _kept(page: Any) -> None:
    step = page.locator("#stap-postponement-request")
    assert await step.get_attribute("open") is not None
    assert REFUSED_GROUND in await step.locator(".error-summary").inner_text()
    assert await step.get_by_label("Grond voor uitstel").input_value() == "overig"
    assert await step.get_by_label("Toelichting").input_value() == "Wij willen later."
    assert await step.get_by_label("Datum waarop de grond ingaat").input_value() == "2026-01-15"


async def test_a_step_refused_by_a_cbct_rule_keeps_the_input_and_explains_why(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    events = await site.rig.events(trajectory_id)
    await sign_in(page, "auditee")
    await page.goto(f"/trajecten/{trajectory_id}")
    await _request_postponement(page)  # htmx: the form is swapped in place
    await page.locator("#stap-postponement-request .error-summary").wait_for()
    await _kept(page)
    focused = await page.evaluate("document.activeElement.className")
    assert "error-summary" in focused  # the explanation takes the focus (htmx honours autofocus)
    assert await site.rig.events(trajectory_id) == events  # nothing recorded


async def test_without_javascript_a_refused_step_comes_back_on_the_page(site: Site, page_without_js: Any) -> None:
    page = page_without_js
    trajectory_id = await site.open_trajectory()
    await sign_in(page, "auditee")
    await page.goto(f"/trajecten/{trajectory_id}")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await _request_postponement(page)
    assert (await posted.value).status == 409
    await _kept(page)
    assert await page.locator("h1").inner_text() == "Bibliotheek Hengelo"  # the whole page, not a fragment


async def test_invalid_input_is_named_beside_its_field(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    await site.rig.send(c.RequestPostponement, "2025-11-05", trajectory_id, actor="auditee:an", ground="fusie",
                        reason="Fusie met Oldenzaal.", ground_effective_on="2026-01-01")  # fmt: skip
    await sign_in(page, "planner")
    await page.goto(f"/trajecten/{trajectory_id}")
    step = page.locator("#stap-postponement-decide")
    await step.locator("summary").click()
    await step.get_by_label("Toelichting").fill("Zie de brief van 3 november.")
    await step.get_by_label("Volgnummer van het verzoek").fill("nul")
    await step.get_by_role("button", name="Versturen").click()
    summary = step.locator(".error-summary")
    await summary.wait_for()
    assert [line for line in (await summary.inner_text()).splitlines() if line] == [
        "Controleer uw invoer:",
        "Besluit over het uitstel is verplicht.",
        "Volgnummer van het verzoek moet een geheel getal zijn.",
    ]
    grant = step.locator("fieldset", has_text="Besluit over het uitstel")
    assert await grant.get_attribute("aria-invalid") == "true"
    assert "Besluit over het uitstel is verplicht." in await grant.locator(".field-error").inner_text()
    number = step.get_by_label("Volgnummer van het verzoek")
    assert await number.input_value() == "nul"
    assert await number.get_attribute("aria-invalid") == "true"
    assert await step.get_by_label("Toelichting").input_value() == "Zie de brief van 3 november."
    await summary.get_by_role(
        "link", name="Besluit over het uitstel is verplicht."
    ).click()  # the summary leads to the field
    assert await page.evaluate("document.activeElement.id") == "postponement-decide-grant-ja"


async def test_an_accepted_step_is_confirmed_and_on_the_timeline_at_once(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    await sign_in(page, "planner")
    await page.goto(f"/trajecten/{trajectory_id}")
    offered = await page.locator(".step > summary").all_inner_texts()
    assert "Kondig de audit nu aan (anders doet de deadline het)." in offered
    assert "Plan de audit (of heraudit): datum(s) en auditoren." not in offered  # not in this phase
    step = page.locator("#stap-trajectory-announce")
    await step.locator("summary").click()
    await step.get_by_role("button", name="Versturen").click()
    await page.wait_for_url(f"**/trajecten/{trajectory_id}?verwerkt=trajectory/announce")
    assert (
        await page.locator(".notice-success").inner_text()
        == "Verwerkt: Kondig de audit nu aan (anders doet de deadline het)"
    )
    assert "aangekondigd" in await page.locator(".facts").inner_text()
    timeline = await page.locator(".timeline li").all_inner_texts()
    assert len(timeline) == 2 and "(planner:piet)" in timeline[1]
    kinds = [kind for _, kind, _ in await site.rig.events(trajectory_id)]
    assert kinds == ["TrajectoryOpened", "AnnouncementSent"]


async def test_a_session_that_ended_sends_an_htmx_form_to_the_sign_in_page(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    await sign_in(page, "planner")
    await page.goto(f"/trajecten/{trajectory_id}")
    await page.context.clear_cookies()  # the session is gone (expired, or signed out elsewhere)
    step = page.locator("#stap-trajectory-announce")
    await step.locator("summary").click()
    await step.get_by_role("button", name="Versturen").click()
    await page.wait_for_url(f"**/aanmelden?terug=/trajecten/{trajectory_id}")
    await sign_in_here(page)
    await page.wait_for_url(f"**/trajecten/{trajectory_id}")
    assert [kind for _, kind, _ in await site.rig.events(trajectory_id)] == ["TrajectoryOpened"]


async def sign_in_here(page: Any) -> None:
    await page.get_by_label("Gebruikersnaam").fill("piet")
    await page.get_by_label("Wachtwoord").fill("een-goed-wachtwoord")
    await page.get_by_role("button", name="Aanmelden").click()


async def _as(site: Site, who: str, page: Any) -> httpx.AsyncClient:
    await sign_in(page, who)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"})


async def test_what_is_not_yours_reads_exactly_as_what_does_not_exist(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    async with await _as(site, "other_auditee", page) as http:
        theirs = await http.get(f"/trajecten/{trajectory_id}")
        unknown = await http.get("/trajecten/T-bestaat-niet")
        malformed = await http.get("/trajecten/..%2Fapi")
        assert theirs.status_code == unknown.status_code == malformed.status_code == 404
        assert theirs.text == unknown.text
        assert "Bibliotheek Hengelo" not in theirs.text and trajectory_id not in theirs.text
        page_text = await http.get("/")
        token = page_text.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        step = await http.post(
            f"/trajecten/{trajectory_id}/stap/postponement/request",
            data={"csrf_token": token, "ground": "fusie", "reason": "Fusie."},
        )
        assert step.status_code == 404 and "Bibliotheek Hengelo" not in step.text
    assert [kind for _, kind, _ in await site.rig.events(trajectory_id)] == ["TrajectoryOpened"]


async def test_a_step_the_role_may_not_take_is_refused(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    async with await _as(site, "auditee", page) as http:
        start = await http.get("/")
        token = start.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = await http.post(f"/trajecten/{trajectory_id}/stap/trajectory/announce", data={"csrf_token": token})
        assert refused.status_code == 403 and "Uw rol mag deze stap niet zetten." in refused.text
        unknown_step = await http.post(f"/trajecten/{trajectory_id}/stap/trajectory/open", data={"csrf_token": token})
        assert unknown_step.status_code == 404
    assert [kind for _, kind, _ in await site.rig.events(trajectory_id)] == ["TrajectoryOpened"]


async def test_the_main_pages_work_without_javascript(site: Site, page_without_js: Any) -> None:
    page = page_without_js
    trajectory_id = await site.open_trajectory()
    await sign_in(page, "planner")  # a plain form post, the cookie from the answer
    assert await page.locator("h1").inner_text() == "Overzicht voor de planning"
    await page.locator(f'a[href="/trajecten/{trajectory_id}"]').click()
    await page.wait_for_url(f"**/trajecten/{trajectory_id}")
    step = page.locator("#stap-trajectory-announce")
    await step.locator("summary").click()  # <details> opens without script
    await step.get_by_role("button", name="Versturen").click()
    await page.wait_for_url("**?verwerkt=trajectory/announce")
    assert "aangekondigd" in await page.locator(".facts").inner_text()
    await page.get_by_role("button", name="Afmelden").click()
    await page.wait_for_url("**/aanmelden?afgemeld=1")
