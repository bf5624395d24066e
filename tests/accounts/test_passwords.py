"""argon2id with the library's default (RFC 9106 low-memory) parameters, and the rules of a password."""

from __future__ import annotations

import pytest

from application import accounts as acc
from infrastructure.passwords import Argon2Passwords


async def test_argon2id_hashes_salted_and_verifies() -> None:
    passwords = Argon2Passwords()
    first = await passwords.hash("correct horse battery")
    second = await passwords.hash("correct horse battery")
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and first != second  # salted
    assert "correct horse" not in first
    assert await passwords.verify(first, "correct horse battery")
    assert not await passwords.verify(first, "correct horse batterY")
    assert not await passwords.verify("not a hash", "correct horse battery")
    assert not passwords.needs_rehash(first)
    await passwords.verify_dummy("anything")  # the same work, no answer


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("kort", "password_too_short"),
        (" " * 20, "password_blank"),
        ("x" * 1025, "password_too_long"),
        ("Marie.Planner", "password_is_user_name"),
    ],
)
def test_password_policy(password: str, rule: str) -> None:
    with pytest.raises(acc.AccountRuleError) as refused:
        acc.valid_password(password, "marie.planner")
    assert refused.value.field == "password" and refused.value.rule == rule


@pytest.mark.parametrize("name", ["a", "-x", "met spatie", "link:abc", "ä" * 3, "x" * 65])
def test_user_name_rule(name: str) -> None:
    with pytest.raises(acc.AccountRuleError) as refused:
        acc.valid_user_name(name)
    assert refused.value.rule == "user_name_format"


def test_fold_follows_the_events() -> None:
    at = "2026-03-02T09:00:00+00:00"
    account = acc.fold(
        [
            ("AccountCreated", {"account_id": "x", "role": "auditor", "display_name": "X", "occurred_at": at}, 1),
            ("TokenCreated", {"token_id": "tok-1", "token_hash": "h", "label": "l", "occurred_at": at}, 2),
            (
                "RoleChanged",
                {"role": "auditee", "organisation": "1002", "previous_role": "auditor", "occurred_at": at},
                3,
            ),
            ("SignedIn", {"occurred_at": at}, 4),
            ("AccountDisabled", {"occurred_at": at}, 5),
            ("TokenRevoked", {"token_id": "tok-1", "occurred_at": at}, 6),
        ]
    )
    assert account is not None
    assert (account.role.value, account.organisation, account.disabled, account.tokens, account.version) == (
        "auditee",
        "1002",
        True,
        frozenset(),
        6,
    )
