"""Password sign-in, sessions, the disabled account refused at once, API tokens, CSRF."""

from __future__ import annotations

import httpx

from bootstrap import App
from interfaces.http import auth
from projections.accounts import principal_of
from tests.accounts.conftest import MovingClock, add_user, signed_in


async def test_sign_in_sets_a_safe_cookie_and_me_answers(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "an.planner", display_name="An de Planner")
    answer = await client.post("/api/session", json={"user_name": "An.Planner", "password": "een-goed-wachtwoord"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["principal"] == {
        "account_id": "an.planner",
        "display_name": "An de Planner",
        "role": "planner",
        "organisation": None,
        "via": "session",
    }
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("cbct_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # http here; https or CBCT_COOKIE_SECURE add it
    me = await client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["principal"]["account_id"] == "an.planner"
    assert me.json()["csrf_token"] == body["csrf_token"]


async def test_wrong_password_and_unknown_user_are_refused_alike(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "bo")
    wrong = await client.post("/api/session", json={"user_name": "bo", "password": "niet-het-wachtwoord"})
    unknown = await client.post("/api/session", json={"user_name": "nobody", "password": "niet-het-wachtwoord"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert (await client.get("/api/me")).status_code == 401


async def test_disabled_user_is_refused_at_once(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "cas")
    await signed_in(client, "cas")
    assert (await client.get("/api/me")).status_code == 200
    assert await principal_of(runtime.pool, "cas") is not None
    await auth.account_service(runtime).set_disabled("cas", True, actor="admin:test")
    assert (await client.get("/api/me")).status_code == 401
    assert await principal_of(runtime.pool, "cas") is None
    again = await client.post("/api/session", json={"user_name": "cas", "password": "een-goed-wachtwoord"})
    assert again.status_code == 401


async def test_a_change_committed_elsewhere_is_seen_without_the_read_model(
    runtime: App, client: httpx.AsyncClient
) -> None:
    """A writer that died after its append (the read model not updated): the next request still sees it."""
    from application.event_store import NewEvent

    await add_user(runtime, "dirk")
    await signed_in(client, "dirk")
    version = await runtime.store.stream_version("account-dirk")
    await runtime.store.append(
        "account-dirk", [NewEvent("AccountDisabled", {"occurred_at": "2026-03-02T09:00:00+00:00"})], version
    )
    assert (await client.get("/api/me")).status_code == 401


async def test_session_expires(runtime: App, client: httpx.AsyncClient, clock: MovingClock) -> None:
    await add_user(runtime, "eva")
    await signed_in(client, "eva")
    clock.advance(hours=11, minutes=59)
    assert (await client.get("/api/me")).status_code == 200
    clock.advance(minutes=1)
    assert (await client.get("/api/me")).status_code == 401


async def test_sign_out_ends_the_session(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "fien")
    csrf = await signed_in(client, "fien")
    cookie = client.cookies["cbct_session"]
    assert (await client.delete("/api/session", headers={"X-CSRF-Token": csrf})).status_code == 204
    client.cookies.set("cbct_session", cookie)  # a copy of the cookie kept elsewhere
    assert (await client.get("/api/me")).status_code == 401


async def test_disabling_ends_sessions_for_good(runtime: App, client: httpx.AsyncClient) -> None:
    """Enabled again, the account signs in anew: the sessions of before stay ended."""
    await add_user(runtime, "gert")
    await signed_in(client, "gert")
    accounts = auth.account_service(runtime)
    await accounts.set_disabled("gert", True, actor="admin:test")
    await accounts.set_disabled("gert", False, actor="admin:test")
    assert (await client.get("/api/me")).status_code == 401
    await signed_in(client, "gert")
    assert (await client.get("/api/me")).status_code == 200
    await accounts.set_password("gert", "een-ander-goed-wachtwoord", actor="admin:test")
    assert (await client.get("/api/me")).status_code == 401
