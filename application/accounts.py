"""Accounts: who may sign in, with which role, and every change to that as an event.

Pure (no I/O, no clock, no randomness): the rules for user names, passwords, roles and organisations;
the events of stream `account-<id>` (and of the one-time links' streams `signinlink-<id>`); the fold
of an account's events into its state; and the decisions that turn a request into events. Secrets
never appear here in clear: a password arrives as its argon2 hash, a token, session or link as the
SHA-256 of its 32 random bytes (made by the caller, `application.account_service`).

An account's id is its user name (staff) or `link:<hex>` for an auditee's contact person who signed
in with a one-time link (one account per e-mail address and organisation); `Principal.account_id`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from application.access import Principal, Role

ACCOUNT_PREFIX = "account-"
LINK_PREFIX = "signinlink-"
UNKNOWN_SIGN_INS = "signin-unknown"
"""Failed sign-ins under a user name no account has (the per-address limit counts them too)."""

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # argon2 hashes any length; a bound keeps a huge body from costing CPU first
DISPLAY_NAME_MAX = 200
ORGANISATION_MAX = 50  # a certificate number (`ShortText`)
LABEL_MAX = 100
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX = 254
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

SignInVia = Literal["password", "link"]

ROLE_NAMES = {
    Role.PLANNER: "planner",
    Role.AUDITOR: "auditor",
    Role.DIRECTOR: "directeur",
    Role.AUDITEE: "auditee",
    Role.OPS: "beheer (ops)",
    Role.ADMIN: "beheerder accounts (admin)",
}


class AccountRuleError(ValueError):
    """A request breaks a rule of accounts; `field` and `rule` name it, the message says it in Dutch."""

    def __init__(self, field_name: str, rule: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.rule = rule
        self.message = message


# --- the rules --------------------------------------------------------------------------------------------


def valid_user_name(name: str) -> str:
    """A staff user name: 2-64 of a-z 0-9 . _ @ -, starting with a letter or digit (stored lower case)."""
    value = name.strip().lower()
    if not USER_NAME.match(value):
        raise AccountRuleError(
            "user_name",
            "user_name_format",
            "gebruikersnaam: 2 tot 64 tekens, alleen a-z, 0-9 en . _ @ -, beginnend met een letter of cijfer",
        )
    return value


def valid_password(password: str, user_name: str) -> str:
    """The password policy: 12-1024 characters, not only spaces, not the user name."""
    if len(password) < PASSWORD_MIN:
        raise AccountRuleError(
            "password", "password_too_short", f"wachtwoord: minstens {PASSWORD_MIN} tekens ({len(password)} gegeven)"
        )
    if len(password) > PASSWORD_MAX:
        raise AccountRuleError("password", "password_too_long", f"wachtwoord: hoogstens {PASSWORD_MAX} tekens")
    if not password.strip():
        raise AccountRuleError("password", "password_blank", "wachtwoord: mag niet alleen uit spaties bestaan")
    if password.strip().lower() == user_name.lower():
        raise AccountRuleError("password", "password_is_user_name", "wachtwoord: mag niet de gebruikersnaam zijn")
    return password


def valid_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise AccountRuleError("role", "role_unknown", f"rol: onbekend ({role!r}); kies uit {names}") from None


def _one_line(value: str, field_name: str, limit: int, what: str) -> str:
    text = unicodedata.normalize("NFC", value.strip())
    if not text:
        raise AccountRuleError(field_name, f"{field_name}_missing", f"{what}: mag niet leeg zijn")
    if len(text) > limit:
        raise AccountRuleError(field_name, f"{field_name}_too_long", f"{what}: hoogstens {limit} tekens")
    if _CONTROL.search(text):
        raise AccountRuleError(field_name, f"{field_name}_control", f"{what}: één regel tekst, zonder stuurtekens")
    return text


def valid_display_name(value: str) -> str:
    """How the account is shown; an auditor's as trajectories name it (expert_auditor / peer_auditor)."""
    return _one_line(value, "display_name", DISPLAY_NAME_MAX, "weergavenaam")


def valid_label(value: str) -> str:
    return _one_line(value, "label", LABEL_MAX, "label")


def valid_email(value: str) -> str:
    text = value.strip().lower()
    if len(text) > EMAIL_MAX or not EMAIL.match(text) or _CONTROL.search(text):
        raise AccountRuleError("email", "email_format", "e-mailadres: geen geldig adres")
    return text


def valid_scope(role: Role, organisation: str | None) -> str | None:
    """An auditee belongs to one organisation (its certificate number); no other role has one."""
    if role is Role.AUDITEE:
        if organisation is None or not organisation.strip():
            raise AccountRuleError(
                "organisation",
                "organisation_required",
                "organisatie: een auditee hoort bij één organisatie; geef het certificaatnummer",
            )
        return _one_line(organisation, "organisation", ORGANISATION_MAX, "organisatie (certificaatnummer)")
    if organisation is not None and organisation.strip():
        raise AccountRuleError(
            "organisation",
            "organisation_only_for_auditee",
            f"organisatie: alleen een auditee hoort bij een organisatie, niet een {ROLE_NAMES[role]}",
        )
    return None


def account_stream(account_id: str) -> str:
    return f"{ACCOUNT_PREFIX}{account_id}"


def link_stream(link_id: str) -> str:
    return f"{LINK_PREFIX}{link_id}"


def link_account_id(email: str, organisation: str) -> str:
    """The account of a contact person of one organisation (stable: the same link user, the same account)."""
    digest = hashlib.sha256(f"{organisation}\n{email.lower()}".encode()).hexdigest()[:20]
    return f"link:{digest}"


# --- the state --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One account as its events made it (`fold`)."""

    account_id: str
    role: Role
    display_name: str
    organisation: str | None
    email: str | None
    password_hash: str | None
    disabled: bool
    version: int
    created_at: datetime
    tokens: frozenset[str] = field(default_factory=frozenset)  # ids of the tokens not revoked

    def principal(self, via: Literal["session", "token", "link"]) -> Principal:
        return Principal(
            account_id=self.account_id,
            display_name=self.display_name,
            role=self.role,
            organisation=self.organisation,
            via=via,
        )


@dataclass(frozen=True)
class Event:
    """An account event to append: its type and JSON data (times as ISO 8601)."""

    type: str
    data: Mapping[str, Any]


def _at(data: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(data["occurred_at"]))


def evolve(account: Account | None, event_type: str, data: Mapping[str, Any], version: int) -> Account | None:
    """One event applied; events of no consequence to the state (sign-ins) only move the version."""
    if event_type == "AccountCreated":
        return Account(
            account_id=str(data["account_id"]),
            role=Role(data["role"]),
            display_name=str(data["display_name"]),
            organisation=data.get("organisation"),
            email=data.get("email"),
            password_hash=None,
            disabled=False,
            version=version,
            created_at=_at(data),
        )
    if account is None:
        return None
    if event_type == "PasswordSet":
        return replace(account, password_hash=str(data["password_hash"]), version=version)
    if event_type == "RoleChanged":
        return replace(account, role=Role(data["role"]), organisation=data.get("organisation"), version=version)
    if event_type == "DisplayNameChanged":
        return replace(account, display_name=str(data["display_name"]), version=version)
    if event_type == "AccountDisabled":
        return replace(account, disabled=True, version=version)
    if event_type == "AccountEnabled":
        return replace(account, disabled=False, version=version)
    if event_type == "TokenCreated":
        return replace(account, tokens=account.tokens | {str(data["token_id"])}, version=version)
    if event_type == "TokenRevoked":
        return replace(account, tokens=account.tokens - {str(data["token_id"])}, version=version)
    return replace(account, version=version)


def fold(events: Iterable[tuple[str, Mapping[str, Any], int]]) -> Account | None:
    """An account from its stream's events (type, data, stream version), in order."""
    account: Account | None = None
    for event_type, data, version in events:
        account = evolve(account, event_type, data, version)
    return account


# --- the decisions ----------------------------------------------------------------------------------------


def _when(now: datetime) -> str:
    return now.isoformat()


def create_account(
    existing: Account | None,
    *,
    account_id: str,
    role: Role,
    display_name: str | None,
    organisation: str | None,
    email: str | None,
    password_hash: str | None,
    now: datetime,
) -> list[Event]:
    if existing is not None:
        raise AccountRuleError("user_name", "account_exists", f"gebruikersnaam: account {account_id} bestaat al")
    scope = valid_scope(role, organisation)
    name = valid_display_name(display_name if display_name is not None else account_id)
    events = [
        Event(
            "AccountCreated",
            {
                "account_id": account_id,
                "role": role.value,
                "display_name": name,
                "organisation": scope,
                "email": None if email is None else valid_email(email),
                "occurred_at": _when(now),
            },
        )
    ]
    if password_hash is not None:
        events.append(Event("PasswordSet", {"password_hash": password_hash, "occurred_at": _when(now)}))
    return events


def _known(account: Account | None, account_id: str) -> Account:
    if account is None:
        raise AccountRuleError("user_name", "account_unknown", f"gebruikersnaam: geen account {account_id}")
    return account


def change_role(
    account: Account | None, account_id: str, role: Role, organisation: str | None, now: datetime
) -> list[Event]:
    known = _known(account, account_id)
    if organisation is None and role is Role.AUDITEE and known.role is Role.AUDITEE:
        organisation = known.organisation
    scope = valid_scope(role, organisation)
    if known.role is role and known.organisation == scope:
        return []
    return [
        Event(
            "RoleChanged",
            {"role": role.value, "organisation": scope, "previous_role": known.role.value, "occurred_at": _when(now)},
        )
    ]


def change_display_name(account: Account | None, account_id: str, display_name: str, now: datetime) -> list[Event]:
    known = _known(account, account_id)
    name = valid_display_name(display_name)
    if name == known.display_name:
        return []
    return [Event("DisplayNameChanged", {"display_name": name, "occurred_at": _when(now)})]


def set_disabled(account: Account | None, account_id: str, disabled: bool, now: datetime) -> list[Event]:
    known = _known(account, account_id)
    if known.disabled is disabled:
        return []
    return [Event("AccountDisabled" if disabled else "AccountEnabled", {"occurred_at": _when(now)})]


def set_password(account: Account | None, account_id: str, password_hash: str, now: datetime) -> list[Event]:
    _known(account, account_id)
    return [Event("PasswordSet", {"password_hash": password_hash, "occurred_at": _when(now)})]


def create_token(
    account: Account | None, account_id: str, *, token_id: str, token_hash: str, label: str, now: datetime
) -> list[Event]:
    known = _known(account, account_id)
    if known.disabled:
        raise AccountRuleError(
            "user_name", "account_disabled", f"gebruikersnaam: account {account_id} is uitgeschakeld"
        )
    return [
        Event(
            "TokenCreated",
            {"token_id": token_id, "token_hash": token_hash, "label": valid_label(label), "occurred_at": _when(now)},
        )
    ]


def revoke_token(account: Account | None, account_id: str, token_id: str, now: datetime) -> list[Event]:
    known = _known(account, account_id)
    if token_id not in known.tokens:
        return []
    return [Event("TokenRevoked", {"token_id": token_id, "occurred_at": _when(now)})]


def signed_in(
    *, session_hash: str, via: SignInVia, client: str, expires_at: datetime, now: datetime, link_id: str | None = None
) -> Event:
    data: dict[str, Any] = {
        "session_hash": session_hash,
        "via": via,
        "client": client,
        "expires_at": expires_at.isoformat(),
        "occurred_at": _when(now),
    }
    if link_id is not None:
        data["link_id"] = link_id
    return Event("SignedIn", data)


def sign_in_failed(*, user_name: str, client: str, reason: str, now: datetime) -> Event:
    """`reason`: password (wrong), unknown (no such account), disabled, no_password."""
    return Event(
        "SignInFailed",
        {"user_name": user_name[:100], "client": client, "reason": reason, "occurred_at": _when(now)},
    )


def signed_out(*, session_hash: str, now: datetime) -> Event:
    return Event("SignedOut", {"session_hash": session_hash, "occurred_at": _when(now)})


def link_issued(
    *,
    link_id: str,
    token_hash: str,
    email: str,
    organisation: str,
    trajectory_id: str,
    expires_at: datetime,
    now: datetime,
) -> Event:
    return Event(
        "SignInLinkIssued",
        {
            "link_id": link_id,
            "token_hash": token_hash,
            "email": email,
            "organisation": organisation,
            "trajectory_id": trajectory_id,
            "expires_at": expires_at.isoformat(),
            "occurred_at": _when(now),
        },
    )


def link_used(*, link_id: str, account_id: str, now: datetime) -> Event:
    return Event("SignInLinkUsed", {"link_id": link_id, "account_id": account_id, "occurred_at": _when(now)})


ACCOUNT_EVENTS: Sequence[str] = (
    "AccountCreated",
    "PasswordSet",
    "RoleChanged",
    "DisplayNameChanged",
    "AccountDisabled",
    "AccountEnabled",
    "TokenCreated",
    "TokenRevoked",
    "SignedIn",
    "SignedOut",
    "SignInFailed",
    "SignInLinkIssued",
    "SignInLinkUsed",
)
