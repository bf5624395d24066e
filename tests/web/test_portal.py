"""The auditee portal in a real browser: the organisation's own trajectory, its forms, its documents.

- an auditee submits the intake and a self-evaluation with a document, requests a postponement that the
  rules refuse, and reads why (the rule explained before sending; the input kept after the refusal);
- an auditee who edits the URL to another organisation's trajectory sees nothing of it: every portal
  page, every form post and every document download is the same 404 as for an unknown trajectory;
- upload limits: a file over the limit and a file that is no accepted kind (by its content) are refused
  in Dutch, and nothing of the post is stored (no file, no event, no answer);
- the intake's rows work without JavaScript ("meer regels" posts back with one row more, input kept).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import stat
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from application.documents import documents_stream
from application.self_evaluation_answers import answers_stream
from domain import commands as c
from tests.web.conftest import Site, sign_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class WorldClock:
    """The pages' clock on the world's time (the workflows run on the time-skipping server's)."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def now(self) -> Any:
        return await self.site.rig.now()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def world(site: Site) -> AsyncIterator[Site]:
    site.runtime.clock = WorldClock(site)
    yield site


async def announced(site: Site) -> str:
    """A trajectory of the auditee's organisation (1002), announced: the intake is next."""
    trajectory_id = await site.open_trajectory()
    await site.rig.send(c.SendAnnouncement, "2025-11-04", trajectory_id, actor="planner:piet")
    await site.settled()
    return trajectory_id


def uploads(site: Site) -> Path:
    return site.runtime.settings.upload_dir


def stored_files(site: Site) -> list[str]:
    folder = uploads(site)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def kinds(site: Site, stream: str) -> list[str]:
    return [e.event_type for e in await site.runtime.store.read_stream(stream)]


async def fill_intake(page: Any) -> None:
    await page.get_by_label("Naam").first.fill("An de Vries")
    await page.get_by_label("E-mailadres").first.fill("an@bibliotheekhengelo.example")
    await page.get_by_label("Vestiging 1").fill("Centrale bibliotheek")
    await page.get_by_label("Aantal medewerkers").fill("40")
    await page.get_by_label("Diensten").fill("BoekStart")


async def test_an_auditee_submits_intake_and_self_evaluation_and_reads_why_a_postponement_is_refused(
    world: Site, page: Any
) -> None:
    site = world
    trajectory_id = await announced(site)
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{trajectory_id}")
    assert "Vul de intake in" in await page.locator("#todo-heading + ul").inner_text()

    # the intake, with a second location added through "meer regels" (htmx adds the row in place)
    await page.get_by_role("link", name="Naar de intake").click()
    await fill_intake(page)
    await page.locator("#more-locations").click()
    await page.get_by_label("Vestiging 4").fill("Filiaal Hengelo-Noord")
    await page.locator("#more-locations").click()  # the button asks for the next row each time
    await page.get_by_label("Vestiging 5").wait_for()
    await page.get_by_role("button", name="Intake versturen").click()
    await page.wait_for_url(f"**/portaal/{trajectory_id}?verwerkt=intake")
    assert await page.locator(".notice-success").inner_text() == "Uw intake is ontvangen."
    state = await site.runtime.service.state(trajectory_id)
    assert state is not None and state.intake is not None and state.intake.modules == ("M1",)  # BoekStart
    intake = [e for e in await site.runtime.service.history(trajectory_id) if e.event_type == "IntakeRecorded"]
    assert intake[0].data["locations"] == ["Centrale bibliotheek", "Filiaal Hengelo-Noord"]
    assert intake[0].actor == "auditee:an"

    # the self-evaluation: every question of the seven norms and module M1, a document for norm 1
    await page.get_by_role("link", name="Naar de zelfevaluatie").click()
    radios = page.locator("input[type=radio][value=ja]")
    assert await radios.count() == 8 * 4
    for n in range(await radios.count()):
        await radios.nth(n).check()
    await page.get_by_label("Document toevoegen").first.set_input_files(
        files=[{"name": "beleidsplan 2026.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await page.get_by_role("button", name="Zelfevaluatie inleveren").click()
    await page.wait_for_url(f"**/portaal/{trajectory_id}?verwerkt=zelfevaluatie")
    sha = hashlib.sha256(PDF).hexdigest()
    submitted = [
        e for e in await site.runtime.service.history(trajectory_id) if e.event_type == "SelfEvaluationSubmitted"
    ]
    assert submitted[0].data["documents"] == [f"beleidsplan 2026.pdf (norm 1, sha256:{sha})"]
    stored = uploads(site) / sha
    assert stored.read_bytes() == PDF
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(uploads(site).stat().st_mode) == 0o700
    assert not [name for name in stored_files(site) if name.startswith(".incoming")]
    assert await kinds(site, documents_stream(trajectory_id)) == ["DocumentUploaded"]
    assert await kinds(site, answers_stream(trajectory_id)) == ["SelfEvaluationAnswered"]
    await page.goto(f"/portaal/{trajectory_id}/zelfevaluatie")  # handed in: read-only, the document listed
    assert await page.locator("input[type=radio]").count() == 0
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="beleidsplan 2026.pdf").click()
    download = await downloading.value
    assert download.suggested_filename == "beleidsplan 2026.pdf"
    assert await asyncio.to_thread(Path(await download.path()).read_bytes) == PDF

    # the postponement: the rule first, then a request on a ground it does not allow
    await page.goto(f"/portaal/{trajectory_id}/uitstel")
    rule = await page.locator(".rule-box").inner_text()
    assert "Uw auditdatum staat nog niet vast" in rule and "‘fusie’" in rule
    assert "Een andere reden (‘overig’) is geen grond voor uitstel" in rule
    assert "hoogstens 2 keer regulier uitstel. U heeft er 0 gehad" in rule
    before = await site.rig.events(trajectory_id)
    form = page.locator("#form-postponement-request")
    await form.get_by_label("Grond voor uitstel").select_option("overig")
    await form.get_by_label("Toelichting").fill("Wij willen de audit liever na de zomer.")
    await form.get_by_role("button", name="Uitstel aanvragen").click()
    summary = page.locator("#form-postponement-request .error-summary")
    await summary.wait_for()
    assert "(overig) is geen geldige grond; geldig zijn fusie" in await summary.inner_text()
    assert await page.locator("#form-postponement-request").get_by_label("Toelichting").input_value() == (
        "Wij willen de audit liever na de zomer."
    )
    assert await site.rig.events(trajectory_id) == before  # nothing recorded


async def test_without_javascript_a_refused_postponement_is_the_page_again(world: Site, page_without_js: Any) -> None:
    page = page_without_js
    trajectory_id = await announced(world)
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{trajectory_id}/uitstel")
    form = page.locator("#form-postponement-request")
    await form.get_by_label("Grond voor uitstel").select_option("overig")
    await form.get_by_label("Toelichting").fill("Liever later.")
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await form.get_by_role("button", name="Uitstel aanvragen").click()
    assert (await posted.value).status == 409
    assert "(overig) is geen geldige grond" in await page.locator(".error-summary").inner_text()
    assert "Wat de regels toestaan" in await page.locator("#rule-heading").inner_text()  # the whole page
    assert await page.locator("#form-postponement-request").get_by_label("Toelichting").input_value() == "Liever later."


async def test_the_intake_rows_work_without_javascript(world: Site, page_without_js: Any) -> None:
    page = page_without_js
    trajectory_id = await announced(world)
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{trajectory_id}/intake")
    await fill_intake(page)
    assert await page.locator("#rows-contacts fieldset").count() == 2
    await page.locator("#more-contacts").click()  # a plain post back: one row more, the input kept
    await page.locator("#rows-contacts fieldset").nth(2).wait_for()
    assert await page.get_by_label("Naam").first.input_value() == "An de Vries"
    await page.locator("#rows-contacts fieldset").nth(2).get_by_label("Naam").fill("Bo Bakker")
    await page.locator("#rows-contacts fieldset").nth(2).get_by_label("E-mailadres").fill("geen-adres")
    await page.get_by_role("button", name="Intake versturen").click()
    summary = page.locator(".error-summary")
    await summary.wait_for()
    assert "Contactpersonen, rij 2: e-mailadres is geen geldig e-mailadres" in await summary.inner_text()
    second = page.locator("#rows-contacts fieldset").nth(1)  # the filled-in rows moved up: row 2 is Bo's
    assert await second.get_by_label("Naam").input_value() == "Bo Bakker"
    assert await second.get_attribute("id") == "contact-row-1"
    await second.get_by_label("E-mailadres").fill("bo@hengelo.example")
    await page.get_by_role("button", name="Intake versturen").click()
    await page.wait_for_url(f"**/portaal/{trajectory_id}?verwerkt=intake")
    intake = [e for e in await world.runtime.service.history(trajectory_id) if e.event_type == "IntakeRecorded"]
    assert [contact["name"] for contact in intake[0].data["contacts"]] == ["An de Vries", "Bo Bakker"]


async def _self_evaluation_post(page: Any, trajectory_id: str, files: list[Any]) -> str:
    await page.goto(f"/portaal/{trajectory_id}/zelfevaluatie")
    await page.locator("input[type=radio][value=nee]").first.check()
    await page.get_by_label("Document toevoegen").first.set_input_files(files=files)
    async with page.expect_response(lambda r: r.request.method == "POST") as posted:
        await page.get_by_role("button", name="Bewaren", exact=True).click()
    assert (await posted.value).status == 422
    text: str = await page.locator(".error-summary").inner_text()
    return text


async def test_upload_limits_are_explained_and_nothing_is_stored(world: Site, page: Any) -> None:
    site = world
    trajectory_id = await announced(site)
    before = stored_files(site)
    await sign_in(page, "auditee")
    limit = site.runtime.settings.upload_max_bytes
    too_big = site.tmp / "groot.pdf"  # a path: the browser reads it itself (a buffer crawls over the protocol)
    await asyncio.to_thread(too_big.write_bytes, PDF + b"\x00" * (limit + 1 - len(PDF)))
    text = await _self_evaluation_post(page, trajectory_id, [str(too_big)])
    assert "groot.pdf is te groot: een bestand mag hoogstens 10 MB zijn." in text
    assert "Er is niets bewaard." in text
    assert await page.locator("input[type=radio][value=nee]").first.is_checked()  # the answer stays filled in

    text = await _self_evaluation_post(
        page, trajectory_id, [{"name": "notulen.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00 not a pdf"}]
    )
    assert (
        "notulen.pdf: dit soort bestand kan niet. Toegestaan zijn PDF, Word (DOCX), Excel (XLSX), PNG of JPEG" in text
    )

    text = await _self_evaluation_post(  # an accepted kind under another kind's name: refused too
        page,
        trajectory_id,
        [
            {"name": "foto.pdf", "mimeType": "application/pdf", "buffer": PNG},
            {"name": "goed.pdf", "mimeType": "application/pdf", "buffer": PDF + b"%anders"},
        ],
    )
    assert "foto.pdf: de inhoud is PNG, maar de naam eindigt niet op .png" in text

    fake_docx = io.BytesIO()
    with zipfile.ZipFile(fake_docx, "w") as archive:
        archive.writestr("iets.txt", "geen Word-document")
    text = await _self_evaluation_post(
        page, trajectory_id, [{"name": "verslag.docx", "mimeType": "application/zip", "buffer": fake_docx.getvalue()}]
    )
    assert "verslag.docx: dit soort bestand kan niet" in text

    assert stored_files(site) == before  # no file, not even a temporary one
    assert await kinds(site, documents_stream(trajectory_id)) == []
    assert await kinds(site, answers_stream(trajectory_id)) == []


async def test_a_docx_and_an_xlsx_are_recognised_by_their_parts(world: Site, page: Any) -> None:
    site = world
    trajectory_id = await announced(site)
    documents = []
    for name, part in (("plan.docx", "word/document.xml"), ("cijfers.xlsx", "xl/workbook.xml")):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr(part, "<x/>")
        documents.append({"name": name, "mimeType": "application/octet-stream", "buffer": buffer.getvalue()})
    await sign_in(page, "auditee")
    await page.goto(f"/portaal/{trajectory_id}/zelfevaluatie")
    await page.get_by_label("Document toevoegen").nth(1).set_input_files(files=documents)
    await page.get_by_role("button", name="Bewaren", exact=True).click()
    await page.wait_for_url("**/zelfevaluatie?bewaard=1")
    listed = await page.locator("#norm-2 .document-list").inner_text()
    assert "plan.docx" in listed and "Word (DOCX)" in listed and "cijfers.xlsx" in listed and "Excel (XLSX)" in listed
    assert await kinds(site, documents_stream(trajectory_id)) == ["DocumentUploaded", "DocumentUploaded"]


async def _as(site: Site, who: str, page: Any) -> httpx.AsyncClient:
    await sign_in(page, who)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"})


async def test_another_organisations_trajectory_reads_as_unknown_everywhere(world: Site, page: Any) -> None:
    site = world
    trajectory_id = await announced(site)
    async with await _as(site, "auditee", page) as own:  # the owner uploads a document
        token = (await own.get(f"/portaal/{trajectory_id}/zelfevaluatie")).text.split('name="csrf_token" value="')[1]
        token = token.split('"', 1)[0]
        saved = await own.post(
            f"/portaal/{trajectory_id}/zelfevaluatie",
            data={"csrf_token": token, "actie": "bewaren"},
            files={"document.1": ("plan.pdf", PDF + b"%eigen", "application/pdf")},
        )
        assert saved.status_code == 303
        sha = hashlib.sha256(PDF + b"%eigen").hexdigest()
        assert (await own.get(f"/trajecten/{trajectory_id}/documenten/{sha}")).status_code == 200
    events = await site.rig.events(trajectory_id)
    await page.context.clear_cookies()
    async with await _as(site, "other_auditee", page) as http:
        unknown = await http.get("/portaal/T-bestaat-niet")
        assert unknown.status_code == 404
        for path in ("", "/intake", "/zelfevaluatie", "/uitstel", "/reactie", "/enquete", "/scores"):
            theirs = await http.get(f"/portaal/{trajectory_id}{path}")
            assert theirs.status_code == 404, path
            assert theirs.text == unknown.text, path
        for path in (f"/trajecten/{trajectory_id}/documenten/{sha}", f"/trajecten/T-bestaat-niet/documenten/{sha}"):
            answer = await http.get(path)
            assert answer.status_code == 404 and answer.text == unknown.text
        none_yet = await http.get("/portaal")  # an organisation without a trajectory: a page saying so
        assert none_yet.status_code == 200 and "nog geen certificeringstraject geopend" in none_yet.text
        token = none_yet.text.split('name="csrf_token" value="')[1].split('"', 1)[0]
        posts = [
            await http.post(f"/portaal/{trajectory_id}/uitstel", data={"csrf_token": token, "ground": "fusie"}),
            await http.post(f"/portaal/{trajectory_id}/intake", data={"csrf_token": token, "employees": "3"}),
            await http.post(
                f"/portaal/{trajectory_id}/zelfevaluatie",
                data={"csrf_token": token, "actie": "bewaren"},
                files={"document.1": ("x.pdf", PDF + b"%vreemd", "application/pdf")},
            ),
        ]
        for answer in posts:
            assert answer.status_code == 404 and "Bibliotheek Hengelo" not in answer.text
    assert await site.rig.events(trajectory_id) == events
    assert await kinds(site, documents_stream(trajectory_id)) == ["DocumentUploaded"]
    assert hashlib.sha256(PDF + b"%vreemd").hexdigest() not in stored_files(site)
    for who, status in (("planner", 200), ("auditor", 404)):  # staff may download; an auditor not on it may not
        await page.context.clear_cookies()
        async with await _as(site, who, page) as http:
            answer = await http.get(f"/trajecten/{trajectory_id}/documenten/{sha}")
            assert answer.status_code == status, who
            if status == 200:
                assert answer.content == PDF + b"%eigen" and answer.headers["content-type"] == "application/pdf"
                assert answer.headers["content-disposition"].startswith("attachment;")


async def test_a_form_of_another_session_stores_no_file(world: Site, page: Any) -> None:
    site = world
    trajectory_id = await announced(site)
    before = stored_files(site)
    async with await _as(site, "auditee", page) as http:
        answer = await http.post(
            f"/portaal/{trajectory_id}/zelfevaluatie",
            data={"csrf_token": "van-een-andere-site", "actie": "bewaren"},
            files={"document.1": ("plan.pdf", PDF + b"%csrf", "application/pdf")},
        )
        assert answer.status_code == 403 and "Dit formulier is verlopen" in answer.text
    assert stored_files(site) == before
    assert await kinds(site, documents_stream(trajectory_id)) == []
