"""Signing in and out in a real browser: staff with a password, an auditee with an e-mailed link.

The pages use the API's own flows (`AccountService.sign_in`, `auth.ask_link`): the same rate limit, the
same session cookie, the same answer to every address.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from pathlib import Path
from typing import Any

import httpx

from tests.web.conftest import PASSWORD, USERS, Site, sign_in
from tests.workflows.support import wait_until

LINK_ANSWER = "Als dit adres bij een lopend traject hoort, is er nu een aanmeldlink naartoe gestuurd."


async def test_a_planner_signs_in_and_lands_on_the_planners_start_page(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    await page.goto("/")  # no session: a welcome, and the way to sign in
    assert await page.locator("h1").inner_text() == "CBCT certificeringstrajecten"
    await page.get_by_role("link", name="Aanmelden").click()
    await page.wait_for_url("**/aanmelden")
    await sign_in(page, "planner")
    assert await page.locator("h1").inner_text() == "Overzicht voor de planning"
    header = page.locator("header")
    assert "Piet Planner" in await header.inner_text() and "Planner" in await header.inner_text()
    await page.locator(f'a[href="/trajecten/{trajectory_id}"]').click()
    await page.wait_for_url(f"**/trajecten/{trajectory_id}")
    assert await page.locator("h1").inner_text() == "Bibliotheek Hengelo"

    await page.get_by_role("button", name="Afmelden").click()
    await page.wait_for_url("**/aanmelden?afgemeld=1")
    assert "U bent afgemeld." in await page.locator("main").inner_text()
    await page.goto(f"/trajecten/{trajectory_id}")  # the session is over: back to the sign-in page
    assert "/aanmelden?terug=" in page.url


async def test_a_wrong_password_is_explained_in_dutch_and_the_user_name_kept(site: Site, page: Any) -> None:
    await page.goto("/aanmelden?terug=/trajecten/T-1")
    await page.get_by_label("Gebruikersnaam").fill("dirk")
    await page.get_by_label("Wachtwoord").fill("niet-het-wachtwoord")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Aanmelden").click()
    assert (await posted.value).status == 401
    assert "De gebruikersnaam of het wachtwoord klopt niet." in await page.locator(".error-summary").inner_text()
    assert await page.get_by_label("Gebruikersnaam").input_value() == "dirk"
    assert await page.get_by_label("Wachtwoord").input_value() == ""
    # the right password then signs in, and returns to where the visitor was going
    await page.get_by_label("Wachtwoord").fill("een-goed-wachtwoord")
    await page.get_by_role("button", name="Aanmelden").click()
    await page.wait_for_url("**/trajecten/T-1")  # (which does not exist: the 404 page, signed in)
    assert await page.locator("h1").inner_text() == "Pagina niet gevonden"
    assert "Dirk Directeur" in await page.locator("header").inner_text()


def _links_in(outbox: Path) -> list[str]:
    found = []
    for path in sorted(outbox.glob("signin-link-*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found += re.findall(r"https?://\S+/aanmelden/link/\S+", body.get_content())
    return found


async def test_an_auditee_asks_for_a_link_and_every_address_gets_the_same_answer(site: Site, page: Any) -> None:
    await site.open_trajectory()  # its contact is the auditee's address
    outbox = site.runtime.settings.outbox_dir
    before = set(_links_in(outbox))
    answers = []
    for address in ("niemand@elders.example", USERS["auditee"].email):
        await page.goto("/aanmelden")
        await page.get_by_label("E-mailadres").fill(address or "")
        async with page.expect_response(lambda r: r.request.method == "POST") as posted:
            await page.get_by_role("button", name="Stuur mij een aanmeldlink").click()
        status = (await posted.value).status
        answers.append((status, await page.locator("main").inner_text()))
    assert answers[0][0] == answers[1][0] == 200
    assert LINK_ANSWER in answers[0][1]
    assert answers[0][1].replace("niemand@elders.example", "") == answers[1][1].replace(
        USERS["auditee"].email or "", ""
    )

    # only the known address got a link; it signs the auditee in and lands on its start page
    new = await wait_until(lambda: sorted(set(_links_in(outbox)) - before), "the sign-in link to be e-mailed", 20)
    assert len(new) == 1
    await page.goto(new[0])  # the page uses nothing up: opening it twice (a mail scanner first) is harmless
    await page.goto(new[0])
    await page.get_by_role("button", name="Aanmelden").click()
    await page.wait_for_url(site.url + "/")
    assert await page.locator("h1").inner_text() == "Uw certificering"
    assert f"{USERS['auditee'].email}\nOrganisatie · 1002" in await page.locator("header").inner_text()
    async with httpx.AsyncClient() as http:  # used once: pressing the button again is refused, in Dutch
        again = await http.post(new[0], headers={"accept": "text/html"})
    assert again.status_code == 401 and "al gebruikt" in again.text and "set-cookie" not in again.headers


async def test_a_form_post_without_the_sessions_csrf_token_is_refused(site: Site, page: Any) -> None:
    await sign_in(page, "planner")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as http:
        refused = await http.post("/afmelden", data={"csrf_token": "verzonnen"}, headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert "Dit formulier is verlopen" in refused.text
        still = await http.get("/", headers={"accept": "text/html"})
        assert still.status_code == 200  # the session was not ended


async def test_another_sites_sign_in_post_is_refused_and_signs_nobody_in(site: Site) -> None:
    """Login CSRF: a page elsewhere posting its own account's password would sign the visitor in to it."""
    form = {"user_name": "piet", "password": PASSWORD, "terug": "/"}
    accept = {"accept": "text/html"}
    async with httpx.AsyncClient(base_url=site.url) as http:
        for foreign in ({"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"},
                        {"origin": "https://elders.example"}, {"origin": "null"}):  # fmt: skip
            refused = await http.post("/aanmelden", data=form, headers={**accept, **foreign})
            assert refused.status_code == 403, foreign
            assert "Aanmelden kan alleen op de pagina's van CBCT zelf" in html.unescape(refused.text)
            assert "set-cookie" not in refused.headers
            used = await http.post("/aanmelden/link/willekeurig", headers={**accept, **foreign})
            assert used.status_code == 403 and "set-cookie" not in used.headers
        # the site's own page (as a browser marks it), and a script without a browser's headers, sign in
        for own in ({"sec-fetch-site": "same-origin", "origin": site.url}, {"origin": site.url}, {}):
            http.cookies.clear()
            signed = await http.post("/aanmelden", data=form, headers={**accept, **own})
            assert signed.status_code == 303 and "set-cookie" in signed.headers, own


async def test_unknown_pages_are_dutch_pages_for_browsers_and_problems_for_the_api(site: Site, page: Any) -> None:
    response = await page.goto("/bestaat-niet")
    assert response is not None and response.status == 404
    assert await page.locator("h1").inner_text() == "Pagina niet gevonden"
    assert await page.locator("html").get_attribute("lang") == "nl"
    async with httpx.AsyncClient(base_url=site.url) as http:
        api = await http.get("/api/bestaat-niet", headers={"accept": "text/html"})
        assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
