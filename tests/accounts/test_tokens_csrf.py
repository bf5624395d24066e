"""API tokens (shown once, stored hashed, revocable) and the CSRF guard of cookie sessions."""

from __future__ import annotations

import hashlib

import httpx

from bootstrap import App
from tests.accounts.conftest import add_user, signed_in


async def test_token_works_as_bearer_until_revoked(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "script.owner")
    csrf = await signed_in(client, "script.owner")
    made = await client.post("/api/tokens", json={"label": "rapportage"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    token, token_id = made.json()["token"], made.json()["token_id"]
    client.cookies.clear()

    bearer = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/me", headers=bearer)
    assert me.status_code == 200
    assert me.json()["principal"]["via"] == "token" and me.json()["csrf_token"] is None
    stored = await runtime.pool.fetchrow("SELECT * FROM account_tokens WHERE token_id = $1", token_id)
    assert stored is not None and stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(dict(stored))
    events = await runtime.store.read_stream("account-script.owner")
    assert not any(token in str(e.data) for e in events)  # only its hash, never the token

    assert (await client.delete(f"/api/tokens/{token_id}", headers=bearer)).status_code == 204
    refused = await client.get("/api/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/me", headers={"Authorization": "Bearer cbct_made-up"})).status_code == 401


async def test_a_token_is_revoked_only_by_its_owner_or_an_admin(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "owner")
    await add_user(runtime, "other")
    await add_user(runtime, "root", role="admin")
    csrf = await signed_in(client, "owner")
    token_id = (await client.post("/api/tokens", headers={"X-CSRF-Token": csrf})).json()["token_id"]
    csrf = await signed_in(client, "other")
    assert (await client.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": csrf})).status_code == 404
    csrf = await signed_in(client, "root")
    assert (await client.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": csrf})).status_code == 204


async def test_cookie_requests_that_change_something_need_the_csrf_token(
    runtime: App, client: httpx.AsyncClient
) -> None:
    await add_user(runtime, "gijs")
    csrf = await signed_in(client, "gijs")
    missing = await client.post("/api/tokens", json={})
    assert missing.status_code == 403
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "CSRF" in missing.json()["detail"]
    wrong = await client.post("/api/tokens", json={}, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    assert (await client.delete("/api/session")).status_code == 403
    assert (await client.get("/api/me")).status_code == 200  # reading needs none
    made = await client.post("/api/tokens", json={}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    client.cookies.clear()
    by_bearer = await client.post("/api/tokens", json={}, headers={"Authorization": f"Bearer {made.json()['token']}"})
    assert by_bearer.status_code == 201  # no ambient credential: no CSRF token needed


async def test_security_headers_on_every_answer(runtime: App, client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/me")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
