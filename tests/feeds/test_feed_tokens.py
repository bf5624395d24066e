"""Feed URLs: secret, stored only as a hash, listed without the token, revocable; an unknown or revoked
token is a 404 that says nothing more; managing feeds needs a sign-in, reading one does not."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest
from structlog.testing import capture_logs

from application.account_service import AccountService
from application.feed_subscriptions import feed_stream, token_hash
from bootstrap import App
from domain import ScheduleAudit
from interfaces.http.feeds import MAX_FEEDS
from projections import feed_tokens
from tests.feeds.conftest import AS
from tests.feeds.test_calendar_feeds import subscribe, two_audits
from tests.projections.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_token_is_kept_only_as_its_hash_and_never_listed(app: App, client: httpx.AsyncClient) -> None:
    made = await client.post("/api/feeds", headers={AS: "ellen"})
    assert made.status_code == 201
    body = made.json()
    token = body["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) == 43  # 32 random bytes, URL-safe base64

    stored = await app.store.read_stream(feed_stream(body["id"]))
    assert [e.event_type for e in stored] == ["FeedCreated"]
    assert stored[0].actor == "auditor:ellen"
    recorded = json.dumps(stored[0].data)
    assert token not in recorded and token_hash(token) in recorded
    assert stored[0].data["display_name"] == "Ellen Expert" and stored[0].data["role"] == "auditor"
    table = await app.pool.fetch("SELECT * FROM feed_tokens")
    assert token not in repr([dict(r) for r in table])

    listed = await client.get("/api/feeds", headers={AS: "ellen"})
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()] == [body["id"]]
    assert token not in listed.text and "url" not in listed.json()[0]
    assert (await client.get("/api/feeds", headers={AS: "anna"})).json() == []  # only one's own


async def test_unknown_malformed_and_revoked_tokens_are_404_and_say_nothing(
    world: World, client: httpx.AsyncClient
) -> None:
    await two_audits(world)
    path = await subscribe(client, "helmond")
    assert (await client.get(path)).status_code == 200

    unknown = await client.get("/feeds/" + "A" * 43 + ".ics")
    malformed = await client.get("/feeds/not-a-token.ics")
    for answer in (unknown, malformed):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    assert unknown.json()["detail"] == malformed.json()["detail"]

    feed_id = (await client.get("/api/feeds", headers={AS: "helmond"})).json()[0]["id"]
    # Someone else cannot revoke it, and learns nothing: the same 404 as for a feed that does not exist.
    theirs = await client.delete(f"/api/feeds/{feed_id}", headers={AS: "hengelo"})
    nobody = await client.delete(f"/api/feeds/{'0' * 32}", headers={AS: "hengelo"})
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json()["detail"] == nobody.json()["detail"]
    assert (await client.get(path)).status_code == 200

    assert (await client.delete(f"/api/feeds/{feed_id}", headers={AS: "helmond"})).status_code == 204
    revoked = await client.get(path)
    assert revoked.status_code == 404 and revoked.json()["detail"] == unknown.json()["detail"]
    assert (await client.get("/api/feeds", headers={AS: "helmond"})).json() == []
    assert (await client.delete(f"/api/feeds/{feed_id}", headers={AS: "helmond"})).status_code == 204  # again: no-op
    assert (await client.delete("/api/feeds/x", headers={AS: "helmond"})).status_code == 422


async def test_managing_feeds_needs_a_sign_in_and_reading_one_can_be_revalidated(
    world: World, client: httpx.AsyncClient
) -> None:
    await two_audits(world)
    assert (await client.post("/api/feeds")).status_code == 401
    assert (await client.get("/api/feeds")).status_code == 401
    assert (await client.delete(f"/api/feeds/{'0' * 32}")).status_code == 401

    path = await subscribe(client, "planner")
    first = await client.get(path)
    again = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    await schedule_other_day(world)
    changed = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]

    auditee = await subscribe(client, "helmond")  # with deadlines: still the same bytes while nothing changes
    assert (await client.get(auditee)).content == (await client.get(auditee)).content


async def schedule_other_day(world: World) -> None:
    await world.do(
        ScheduleAudit,
        "2018-12-10",
        "kib-1036",
        audit_dates=[date(2019, 2, 14)],
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    await world.catch_up()


async def test_a_database_away_is_a_503_and_no_log_line_holds_the_token(
    world: World, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_audits(world)
    path = await subscribe(client, "ellen")
    token = path.removeprefix("/feeds/").removesuffix(".ics")

    async def away(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(feed_tokens, "feed_by_token", away)
    with capture_logs() as logged:
        answer = await client.get(path)
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert logged and token not in repr(logged)


async def test_an_account_has_at_most_max_feeds_live_ones(client: httpx.AsyncClient) -> None:
    for _ in range(MAX_FEEDS):
        assert (await client.post("/api/feeds", headers={AS: "anna"})).status_code == 201
    refused = await client.post("/api/feeds", headers={AS: "anna"})
    assert refused.status_code == 409 and refused.json()["rule"] == "feeds.too_many"
    first = (await client.get("/api/feeds", headers={AS: "anna"})).json()[0]["id"]
    assert (await client.delete(f"/api/feeds/{first}", headers={AS: "anna"})).status_code == 204
    assert (await client.post("/api/feeds", headers={AS: "anna"})).status_code == 201


async def test_a_feed_ends_with_its_account_or_when_the_account_changes(
    world: World, client: httpx.AsyncClient, accounts: AccountService
) -> None:
    await two_audits(world)
    ellen, helmond = await subscribe(client, "ellen"), await subscribe(client, "helmond")
    assert (await client.get(ellen)).status_code == (await client.get(helmond)).status_code == 200

    await accounts.set_disabled("ellen", True, actor="admin:test")
    assert (await client.get(ellen)).status_code == 404
    await accounts.set_disabled("ellen", False, actor="admin:test")
    assert (await client.get(ellen)).status_code == 200

    # Moved to another organisation: the old feed would show the old one's dates, so it stops.
    await accounts.change_role("helmond", "auditee", actor="admin:test", organisation="1002")
    assert (await client.get(helmond)).status_code == 404
    await accounts.change_display_name("ellen", "Ellen de Expert", actor="admin:test")
    assert (await client.get(ellen)).status_code == 404
