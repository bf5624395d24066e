"""The ops page in a real browser: stuck trajectories, a refused e-mail, the read models, and a retry.

The world's clock stands in November 2025 while the pages' clock is the real one, so a trajectory
opened here has overdue deadlines and no progress since: stuck. The time-skipping test server has no
visibility (it cannot list workflows), so the page says so for those sections; the retry test stands
in for the listing only (`failed_workflows`, as Temporal's visibility would answer) and retries for
real: the terminated workflow runs again.
"""

from __future__ import annotations

import asyncio
import uuid
from email import policy
from email.parser import BytesParser
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.event_store import ExpectedVersion, NewEvent
from application.mail import message_id_header
from domain import SendAnnouncement
from interfaces.web import operations
from interfaces.workflow_ops import WorkflowRow, raw_status
from projections.messages import REFUSED, list_messages, message_stream
from tests.web.conftest import Site, run_axe, screenshot, sign_in
from tests.workflows.support import wait_until
from workflows.contracts import trajectory_workflow_id

REASON = "Recipient address rejected: User unknown"


async def _terminated(site: Site, trajectory_id: str) -> str:
    """Stop the trajectory's workflow as a crash or an operator would (once its e-mails are out)."""
    client = await site.rig.client()
    await wait_until(partial(site.rig._quiet, trajectory_id), "the workflow to send its e-mails", 20)
    await client.handle(trajectory_id).terminate("kapot, voor de test")
    workflow_id = trajectory_workflow_id(trajectory_id)
    assert await raw_status(client.client, workflow_id) == "Terminated"
    return workflow_id


async def _refuse_one_email(site: Site, trajectory_id: str) -> str:
    """Record a mail server's refusal of the trajectory's announcement, as the e-mail activity does."""

    async def announced() -> bool:
        return any(m.kind == "announcement" for m in await list_messages(site.runtime.pool, trajectory_id))

    await wait_until(announced, "the announcement in the outbox", 20)
    [message] = [m for m in await list_messages(site.runtime.pool, trajectory_id) if m.kind == "announcement"]
    data = {
        "message_id": message.message_id, "refused_at": "2025-11-04T10:00:00+00:00", "transport": "smtp",
        "recipient": message.recipient, "code": 550, "reason": f"5.1.1 <{message.recipient}>: {REASON}",
    }  # fmt: skip
    await site.runtime.store.append(
        message_stream(message.message_id),
        [NewEvent(REFUSED, data, event_id=uuid.uuid4())],
        ExpectedVersion.ANY,
        command_id=f"test-refusal-{message.message_id}",
        actor="test",
    )
    await site.settled()
    return message.subject


async def test_ops_sees_a_stuck_trajectory_and_a_refused_email_with_links_into_the_web_ui(
    site: Site, page: Any
) -> None:
    trajectory_id = await site.open_trajectory()
    await site.rig.send(SendAnnouncement, "2025-11-04", trajectory_id, actor="planner:piet")
    subject = await _refuse_one_email(site, trajectory_id)
    access = site.runtime.temporal
    before = access.ui_address
    access.ui_address = "http://127.0.0.1:8233/"
    try:
        await sign_in(page, "ops")
        await page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beheer").click()
        await page.wait_for_url("**/beheer")
        stuck = page.locator("section", has=page.locator("#stuck-heading"))
        row = stuck.locator("tr", has_text=trajectory_id)
        assert "Bibliotheek Hengelo" in await row.inner_text()
        link = row.locator("a", has_text="Web UI")
        workflow = trajectory_workflow_id(trajectory_id).replace(":", "%3A")
        assert await link.get_attribute("href") == f"http://127.0.0.1:8233/namespaces/default/workflows/{workflow}"
        refused = page.locator("section", has=page.locator("#emails-heading")).locator("tr", has_text=subject)
        assert REASON in await refused.inner_text() and "550" in await refused.inner_text()
        projections = page.locator("section", has=page.locator("#projections-heading"))
        assert "messages" in await projections.inner_text()
        visibility = page.locator("section#workflows .notice").first
        assert "geen lijst van workflows" in await visibility.inner_text()  # the test server's limit, said
        assert await run_axe(page) == []
        await screenshot(page, "ops", site.tmp)
    finally:
        access.ui_address = before


async def test_ops_downloads_a_refused_email_as_the_eml_the_mail_server_got(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    await site.rig.send(SendAnnouncement, "2025-11-04", trajectory_id, actor="planner:piet")
    subject = await _refuse_one_email(site, trajectory_id)
    [message] = [m for m in await list_messages(site.runtime.pool, trajectory_id) if m.status == "refused"]
    await sign_in(page, "ops")
    await page.goto("/beheer")
    link = page.locator("section", has=page.locator("#emails-heading")).get_by_role("link", name="Downloaden")
    mine = link.and_(page.locator(f'[href="/beheer/e-mails/{message.message_id}.eml"]'))
    async with page.expect_download() as downloading:
        await mine.click()
    download = await downloading.value
    assert download.suggested_filename == f"e-mail-{message.message_id}.eml"
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    email = BytesParser(policy=policy.default).parsebytes(data)
    assert email["Message-ID"] == message_id_header(message.message_id)
    assert (email["To"], email["Subject"]) == (message.recipient, subject)
    text = email.get_body(preferencelist=("plain",))
    assert text is not None and message.body.splitlines()[0] in text.get_content()
    assert email.get_body(preferencelist=("html",)) is not None

    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as http:
        for unknown in ("00000000-0000-0000-0000-000000000000", "..%2F..%2Fetc%2Fpasswd", "x" * 300):
            assert (await http.get(f"/beheer/e-mails/{unknown}.eml")).status_code == 404
    await page.context.clear_cookies()
    await sign_in(page, "planner")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as http:
        assert (await http.get(f"/beheer/e-mails/{message.message_id}.eml")).status_code == 403


async def test_a_halted_read_model_is_shown_with_the_event_it_stopped_at(site: Site, page: Any) -> None:
    pool = site.runtime.pool
    await pool.execute(
        """UPDATE projection_checkpoints SET halted_at = '(42, 7)', halted_error = 'UndecodableEvent: T-x v3',
               halted_since = now() WHERE name = 'calendar'"""
    )
    try:
        await sign_in(page, "ops")
        await page.goto("/beheer")
        row = page.locator("section", has=page.locator("#projections-heading")).locator("tr", has_text="calendar")
        text = await row.inner_text()
        assert "gestopt bij (42, 7)" in text and "UndecodableEvent: T-x v3" in text
    finally:
        await pool.execute(
            "UPDATE projection_checkpoints SET halted_at = NULL, halted_error = NULL, halted_since = NULL"
            " WHERE name = 'calendar'"
        )


async def test_the_retry_button_starts_a_stopped_workflow_again(
    site: Site, page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    trajectory_id = await site.open_trajectory()
    client = await site.rig.client()
    workflow_id = await _terminated(site, trajectory_id)

    async def listed(_client: Any, *, limit: int = 100) -> list[WorkflowRow]:  # visibility, as it would answer
        status = await raw_status(client.client, workflow_id)
        if status == "Running":
            return []
        return [
            WorkflowRow(workflow_id, trajectory_id, str(status), "geopend", "Bibliotheek Hengelo", None, None, None)
        ]

    monkeypatch.setattr(operations, "failed_workflows", listed)
    await sign_in(page, "ops")
    await page.goto("/beheer")
    failed = page.locator("section#workflows tr", has_text="Bibliotheek Hengelo")
    assert "Terminated" in await failed.inner_text()
    await failed.get_by_role("button", name="Opnieuw starten").click()
    await page.wait_for_url("**/beheer?opnieuw=started*")
    assert await page.locator(".notice-success").inner_text() == f"De workflow van {trajectory_id} is opnieuw gestart."
    assert await raw_status(client.client, workflow_id) == "Running"
    assert await page.locator("section#workflows tr", has_text="Bibliotheek Hengelo").count() == 0

    # the same form by hand: a running workflow retries by itself; an unknown one is named
    await page.get_by_label("Workflow van een traject opnieuw starten").fill(trajectory_id)
    await page.locator("form.retry-any").get_by_role("button", name="Opnieuw starten").click()
    await page.wait_for_url("**/beheer?opnieuw=running*")
    assert "wordt vanzelf opnieuw geprobeerd" in await page.locator("p.notice[role=status]").inner_text()
    await page.get_by_label("Workflow van een traject opnieuw starten").fill("T-bestaat-niet")
    await page.locator("form.retry-any").get_by_role("button", name="Opnieuw starten").click()
    await page.wait_for_url("**/beheer?opnieuw=unknown*")
    assert await page.locator("p.notice[role=status]").inner_text() == "Er is geen workflow T-bestaat-niet."


async def test_only_ops_may_retry_and_only_with_the_form_token(site: Site, page: Any) -> None:
    trajectory_id = await site.open_trajectory()
    client = await site.rig.client()
    workflow_id = await _terminated(site, trajectory_id)
    await sign_in(page, "planner")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"}) as http:
        token = (await http.get("/")).text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = await http.post("/beheer/workflows/opnieuw", data={"csrf_token": token, "workflow": trajectory_id})
        assert refused.status_code == 403
    await page.context.clear_cookies()
    await sign_in(page, "ops")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies, headers={"accept": "text/html"}) as http:
        forged = await http.post("/beheer/workflows/opnieuw", data={"workflow": trajectory_id})
        assert forged.status_code == 403
    assert await raw_status(client.client, workflow_id) == "Terminated"  # neither started it


async def test_the_ops_page_renders_without_javascript(site: Site, page_without_js: Any) -> None:
    await sign_in(page_without_js, "ops")
    await page_without_js.goto("/beheer")
    assert await page_without_js.locator("h1").inner_text() == "Technisch beheer"
    assert await page_without_js.locator("h2").all_inner_texts() == [
        "Vastgelopen trajecten", "Workflows", "Leesmodellen", "E-mails",
    ]  # fmt: skip
