"""Failed sign-ins are limited per user name and per client address, and the limit survives a restart."""

from __future__ import annotations

import httpx
import pytest

from application.account_service import AccountService
from bootstrap import App
from interfaces.http import auth
from interfaces.http.app import create_app
from tests.accounts.conftest import MovingClock, add_user

WRONG = {"user_name": "hans", "password": "niet-het-wachtwoord"}
RIGHT = {"user_name": "hans", "password": "een-goed-wachtwoord"}


async def test_five_failures_then_429_until_the_window_passes(
    runtime: App, client: httpx.AsyncClient, clock: MovingClock
) -> None:
    await add_user(runtime, "hans")
    for _ in range(5):
        assert (await client.post("/api/session", json=WRONG)).status_code == 401
        clock.advance(seconds=10)
    limited = await client.post("/api/session", json=RIGHT)  # even the right password: not tried
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    retry_after = int(limited.headers["Retry-After"])
    assert 15 * 60 - 50 - 1 <= retry_after <= 15 * 60 - 50 + 1  # until the first failure leaves the window
    assert limited.json()["retry_after"] == retry_after

    # a restart (a new app over the same database) keeps counting
    transport = httpx.ASGITransport(app=create_app(runtime), client=("192.0.2.10", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as restarted:
        assert (await restarted.post("/api/session", json=RIGHT)).status_code == 429
        clock.advance(seconds=retry_after)
        assert (await restarted.post("/api/session", json=RIGHT)).status_code == 200


async def test_an_unknown_user_name_is_limited_too_and_costs_a_hash(
    runtime: App, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No account to verify against: the dummy hash is verified instead (the same time as a known name)."""
    dummies: list[str] = []
    service: AccountService = client._transport.app.state.accounts  # type: ignore[attr-defined]
    original = service.passwords.verify_dummy

    async def counting(password: str) -> None:
        dummies.append(password)
        await original(password)

    monkeypatch.setattr(service.passwords, "verify_dummy", counting)
    for _ in range(5):
        assert (
            await client.post("/api/session", json={"user_name": "niemand", "password": "x" * 12})
        ).status_code == 401
    assert len(dummies) == 5
    assert (await client.post("/api/session", json={"user_name": "niemand", "password": "x"})).status_code == 429
    assert len(dummies) == 5  # limited before any hashing


async def test_per_client_address_limit(runtime: App, clock: MovingClock) -> None:
    runtime.settings = runtime.settings.model_copy(update={"signin_max_failures_per_client": 3})
    transport = httpx.ASGITransport(app=create_app(runtime), client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for name in ("a1", "a2", "a3"):
            assert (
                await client.post("/api/session", json={"user_name": name, "password": "y" * 12})
            ).status_code == 401
        assert (await client.post("/api/session", json={"user_name": "a4", "password": "y" * 12})).status_code == 429
    other = httpx.ASGITransport(app=create_app(runtime), client=("198.51.100.8", 40000))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as client:
        assert (await client.post("/api/session", json={"user_name": "a4", "password": "y" * 12})).status_code == 401


def test_policy_comes_from_the_settings(runtime: App) -> None:
    policy = auth.policy_of(runtime.settings)
    assert (policy.max_failures_per_account, policy.failure_window.total_seconds()) == (5, 900)
