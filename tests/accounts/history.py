"""Some of everything the accounts read model holds, made through `AccountService` (for rebuild tests)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import asyncpg
from argon2 import PasswordHasher

from application.account_service import AccountService, ContactOf, LinkMail, SignInRefused
from application.event_store import EventStore
from infrastructure.passwords import Argon2Passwords
from projections.accounts import AccountReadModel


class _Fixed:
    async def now(self) -> datetime:
        return datetime(2026, 1, 8, 9, 0, tzinfo=UTC)


class _Contacts(AccountReadModel):
    async def contacts(self, email: str) -> list[ContactOf]:
        return [ContactOf("kib2-1002", "1002")]


async def account_history(pool: asyncpg.Pool, store: EventStore) -> None:
    """Accounts, a role change, a token made and revoked, sessions, a failed sign-in, a used link."""
    service = AccountService(
        store,
        _Contacts(pool, store),
        Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)),
        _Fixed(),
    )
    await service.add_user("planner", "planner", actor="admin:test", password="een-goed-wachtwoord")
    await service.add_user(
        "auditor", "auditor", actor="admin:test", display_name="Bea Auditor", password="een-goed-wachtwoord"
    )
    await service.change_role("auditor", "director", actor="admin:test")
    token_id, _ = await service.create_token("planner", "script", actor="planner:planner")
    await service.create_token("planner", "ander script", actor="planner:planner")
    await service.revoke_token(token_id, actor="planner:planner")
    signed = await service.sign_in("planner", "een-goed-wachtwoord", "192.0.2.1")
    await service.sign_out(signed.session_token)
    await service.sign_in("auditor", "een-goed-wachtwoord", "192.0.2.1")
    with contextlib.suppress(SignInRefused):
        await service.sign_in("planner", "verkeerd-wachtwoord", "192.0.2.2")
    tokens: list[str] = []

    async def mail(message: LinkMail) -> None:
        pass

    def link_url(token: str) -> str:
        tokens.append(token)
        return token

    await service.request_link("an@example.nl", link_url, mail)
    await service.use_link(tokens[0], "192.0.2.3")
    await service.set_disabled("auditor", True, actor="admin:test")
