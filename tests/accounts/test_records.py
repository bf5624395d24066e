"""Sign-ins, failed sign-ins and role changes are events; admin user management over HTTP; bad input."""

from __future__ import annotations

import httpx

from bootstrap import App
from tests.accounts.conftest import add_user, signed_in


async def test_sign_ins_failures_and_role_changes_are_recorded(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "ineke", role="auditor", display_name="Ineke Jansen")
    await add_user(runtime, "root", role="admin")
    assert (
        await client.post("/api/session", json={"user_name": "ineke", "password": "fout-fout-fout"})
    ).status_code == 401
    await signed_in(client, "ineke")
    await client.post("/api/session", json={"user_name": "spook", "password": "fout-fout-fout"})
    csrf = await signed_in(client, "root")
    changed = await client.patch("/api/users/ineke", json={"role": "planner"}, headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200 and changed.json()["role"] == "planner"

    events = await runtime.store.read_stream("account-ineke")
    kinds = [e.event_type for e in events]
    assert kinds == ["AccountCreated", "PasswordSet", "SignInFailed", "SignedIn", "RoleChanged"]
    failed, signed, role = events[2], events[3], events[4]
    assert failed.data["reason"] == "password" and failed.data["client"] == "192.0.2.10"
    assert signed.data["via"] == "password" and signed.actor == "auditor:ineke"
    assert (role.data["role"], role.data["previous_role"], role.actor) == ("planner", "auditor", "admin:root")
    [unknown] = await runtime.store.read_stream("signin-unknown")
    assert unknown.data["user_name"] == "spook" and unknown.data["reason"] == "unknown"
    assert not any("fout-fout-fout" in str(e.data) for e in [*events, unknown])  # no password, ever
    assert events[1].data["password_hash"].startswith("$argon2id$")


async def test_only_an_admin_manages_users(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "jan")
    await add_user(runtime, "root", role="admin")
    csrf = await signed_in(client, "jan")
    assert (await client.get("/api/users")).status_code == 403
    refused = await client.post("/api/users", json={"user_name": "x1", "role": "ops"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403

    csrf = await signed_in(client, "root")
    headers = {"X-CSRF-Token": csrf}
    made = await client.post(
        "/api/users",
        json={"user_name": "Piet.Auditor", "role": "auditor", "display_name": "Piet de Vries"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    password = made.json()["password"]
    assert made.json()["account"]["account_id"] == "piet.auditor" and len(password) >= 20
    twice = await client.post("/api/users", json={"user_name": "piet.auditor", "role": "ops"}, headers=headers)
    assert twice.status_code == 409 and twice.json()["rule"] == "account_exists"
    auditee = await client.post("/api/users", json={"user_name": "bieb", "role": "auditee"}, headers=headers)
    assert auditee.status_code == 422
    assert auditee.json()["errors"][0]["field"] == "organisation"
    assert "certificaatnummer" in auditee.json()["detail"]
    weak = await client.post(
        "/api/users", json={"user_name": "kort", "role": "ops", "password": "kort"}, headers=headers
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["rule"] == "password_too_short"
    assert [u["account_id"] for u in (await client.get("/api/users")).json()] == ["jan", "piet.auditor", "root"]

    off = await client.patch("/api/users/jan", json={"disabled": True}, headers=headers)
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert (await client.patch("/api/users/nobody", json={"disabled": True}, headers=headers)).status_code == 404

    client.cookies.clear()
    piet = await client.post("/api/session", json={"user_name": "piet.auditor", "password": password})
    assert piet.json()["principal"]["display_name"] == "Piet de Vries"
    jan = await client.post("/api/session", json={"user_name": "jan", "password": "een-goed-wachtwoord"})
    assert jan.status_code == 401


async def test_sign_in_by_form_and_bad_input(runtime: App, client: httpx.AsyncClient) -> None:
    await add_user(runtime, "karel")
    form = await client.post("/api/session", data={"user_name": "karel", "password": "een-goed-wachtwoord"})
    assert form.status_code == 200 and form.json()["principal"]["account_id"] == "karel"
    missing = await client.post("/api/session", json={"user_name": "karel"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "password"
    garbage = await client.post("/api/session", content=b"{nope", headers={"content-type": "application/json"})
    assert garbage.status_code == 422
