"""Signing in and managing accounts: decide on the account's state, append, and see the change at once.

Every change is an event (`application.accounts`), appended to the account's stream at the version it
was decided on (a concurrent change makes it decide again). Right after the append the read model of
accounts is brought up to the stream (`AccountDirectory.caught_up`), and every authenticating read
checks the read model against the stream's head before it trusts it: a `cbct users disable` in another
process refuses that user's very next request, and a writer that died between its append and the
read-model update leaves nothing stale behind (the next reader applies what is missing).

Secrets: passwords as argon2 hashes (`PasswordHashing`); tokens, sessions and one-time links are 32
random bytes, given once to their owner and stored as their SHA-256. The CSRF token of a session is
derived from the session's secret (an HMAC of it), so it needs no storage and dies with the session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application import accounts as acc
from application.access import Principal, Role
from application.accounts import Account, AccountRuleError, Event
from application.clock import Clock
from application.event_store import EventStore, Expected, ExpectedVersion, NewEvent, WrongExpectedVersion

TOKEN_PREFIX = "cbct_"
DECIDE_ATTEMPTS = 5


# --- ports ------------------------------------------------------------------------------------------------


class PasswordHashing(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str, password: str) -> bool: ...
    async def verify_dummy(self, password: str) -> None: ...


@dataclass(frozen=True)
class SessionRecord:
    account_id: str
    via: str  # password | link
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    account_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class LinkRecord:
    link_id: str
    email: str
    organisation: str
    trajectory_id: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class ContactOf:
    trajectory_id: str
    certificate_number: str


class AccountDirectory(Protocol):
    """The read model of accounts; every answer is up to date with the streams it comes from."""

    async def caught_up(self, stream_id: str) -> None: ...
    async def account(self, account_id: str) -> Account | None: ...
    async def accounts(self) -> list[Account]: ...
    async def by_session(self, session_hash: str) -> tuple[Account, SessionRecord] | None: ...
    async def by_token(self, token_hash: str) -> tuple[Account, TokenRecord] | None: ...
    async def token(self, token_id: str) -> TokenRecord | None: ...
    async def tokens(self, account_id: str | None = None) -> list[TokenRecord]: ...
    async def link(self, token_hash: str) -> LinkRecord | None: ...
    async def links_issued(self, email: str, since: datetime) -> int: ...
    async def failures(self, user_name: str, client: str, since: datetime) -> tuple[list[datetime], list[datetime]]: ...
    async def contacts(self, email: str) -> list[ContactOf]: ...
    async def auditor_named(self, display_name: str) -> bool: ...


@dataclass(frozen=True)
class LinkMail:
    """The e-mail with a one-time sign-in link (the caller hands it to the sender)."""

    link_id: str
    trajectory_id: str
    recipient: str
    subject: str
    body: str
    created_at: datetime


Mailer = Callable[[LinkMail], Awaitable[None]]


@dataclass(frozen=True)
class AccountPolicy:
    session_lifetime: timedelta = timedelta(hours=12)
    link_lifetime: timedelta = timedelta(minutes=15)
    failure_window: timedelta = timedelta(minutes=15)
    max_failures_per_account: int = 5
    max_failures_per_client: int = 20
    max_links_per_address: int = 3


# --- answers ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A new session: its secret (the cookie) and CSRF token are shown once, here."""

    principal: Principal
    session_token: str
    csrf_token: str
    expires_at: datetime


class SignInRefused(Exception):
    """Wrong user name or password, or the account may not sign in; the caller learns no more."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; retry after {retry_after} s")
        self.retry_after = retry_after


class NotFound(Exception):
    """No such account or token (or not the caller's)."""


def secret_hash(secret: str) -> str:
    """What is stored of a token, session or link secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: bound to it, unguessable without it, nothing to store."""
    digest = hmac.new(session_token.encode(), b"cbct-csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_matches(session_token: str, presented: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token).encode(), presented.encode())


def generated_password() -> str:
    """A strong password for a new account (24 characters, 144 bits)."""
    return secrets.token_urlsafe(18)


class AccountService:
    def __init__(
        self,
        store: EventStore,
        directory: AccountDirectory,
        passwords: PasswordHashing,
        clock: Clock,
        policy: AccountPolicy | None = None,
    ) -> None:
        self.store = store
        self.directory = directory
        self.passwords = passwords
        self.clock = clock
        self.policy = policy or AccountPolicy()

    # --- writing ------------------------------------------------------------------------------------------

    async def _append(self, stream: str, events: Sequence[Event], expected: Expected, actor: str) -> None:
        await self.store.append(
            stream, [NewEvent(e.type, dict(e.data)) for e in events], expected, command_id=None, actor=actor
        )
        await self.directory.caught_up(stream)

    async def _decide(
        self, account_id: str, decide: Callable[[Account | None, datetime], list[Event]], actor: str
    ) -> Account | None:
        """Decide on the account as it is, append at that version; decide again if it moved meanwhile."""
        stream = acc.account_stream(account_id)
        for _ in range(DECIDE_ATTEMPTS):
            account = await self.directory.account(account_id)
            events = decide(account, await self.clock.now())
            if not events:
                return account
            expected: Expected = ExpectedVersion.NO_STREAM if account is None else account.version
            try:
                await self._append(stream, events, expected, actor)
            except WrongExpectedVersion:
                await self.directory.caught_up(stream)
                continue
            return await self.directory.account(account_id)
        raise WrongExpectedVersion(stream, ExpectedVersion.ANY, -1)

    async def add_user(
        self,
        user_name: str,
        role: Role | str,
        *,
        actor: str,
        display_name: str | None = None,
        organisation: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> tuple[Account, str | None]:
        """A staff account; without `password` one is generated and returned (shown once)."""
        name = acc.valid_user_name(user_name)
        the_role = role if isinstance(role, Role) else acc.valid_role(role)
        acc.valid_scope(the_role, organisation)
        if display_name is not None:
            acc.valid_display_name(display_name)
        generated = None
        if password is None:
            password = generated = generated_password()
        acc.valid_password(password, name)
        password_hash = await self.passwords.hash(password)

        def decide(account: Account | None, now: datetime) -> list[Event]:
            return acc.create_account(
                account,
                account_id=name,
                role=the_role,
                display_name=display_name,
                organisation=organisation,
                email=email,
                password_hash=password_hash,
                now=now,
            )

        created = await self._decide(name, decide, actor)
        assert created is not None
        return created, generated

    async def change_role(
        self, account_id: str, role: Role | str, *, actor: str, organisation: str | None = None
    ) -> Account:
        the_role = role if isinstance(role, Role) else acc.valid_role(role)
        changed = await self._decide(
            account_id, lambda a, now: acc.change_role(a, account_id, the_role, organisation, now), actor
        )
        assert changed is not None
        return changed

    async def change_display_name(self, account_id: str, display_name: str, *, actor: str) -> Account:
        changed = await self._decide(
            account_id, lambda a, now: acc.change_display_name(a, account_id, display_name, now), actor
        )
        assert changed is not None
        return changed

    async def set_disabled(self, account_id: str, disabled: bool, *, actor: str) -> Account:
        changed = await self._decide(account_id, lambda a, now: acc.set_disabled(a, account_id, disabled, now), actor)
        assert changed is not None
        return changed

    async def set_password(self, account_id: str, password: str, *, actor: str) -> Account:
        acc.valid_password(password, account_id)
        password_hash = await self.passwords.hash(password)
        changed = await self._decide(
            account_id, lambda a, now: acc.set_password(a, account_id, password_hash, now), actor
        )
        assert changed is not None
        return changed

    async def create_token(self, account_id: str, label: str, *, actor: str) -> tuple[str, str]:
        """A new API token of `account_id`: (its id, the token itself, shown only now)."""
        token = TOKEN_PREFIX + new_secret()
        token_id = "tok-" + secrets.token_hex(6)
        await self._decide(
            account_id,
            lambda a, now: acc.create_token(
                a, account_id, token_id=token_id, token_hash=secret_hash(token), label=label, now=now
            ),
            actor,
        )
        return token_id, token

    async def revoke_token(self, token_id: str, *, actor: str, caller: Principal | None = None) -> TokenRecord:
        """Revoke a token; a `caller` that is no admin may revoke only its own (else: NotFound)."""
        token = await self.directory.token(token_id.strip())
        if token is None or (
            caller is not None and caller.role is not Role.ADMIN and token.account_id != caller.account_id
        ):
            raise NotFound(token_id)
        await self._decide(token.account_id, lambda a, now: acc.revoke_token(a, token.account_id, token_id, now), actor)
        revoked = await self.directory.token(token_id)
        assert revoked is not None
        return revoked

    # --- signing in ---------------------------------------------------------------------------------------

    async def _limit(self, user_name: str, client: str, now: datetime) -> None:
        policy = self.policy
        by_user, by_client = await self.directory.failures(user_name, client, now - policy.failure_window)
        waits = []
        for failures, limit in (
            (by_user, policy.max_failures_per_account),
            (by_client, policy.max_failures_per_client),
        ):
            if len(failures) >= limit:
                # free again when enough of the counted failures have left the window
                free_at = sorted(failures)[len(failures) - limit] + policy.failure_window
                waits.append((free_at - now).total_seconds())
        if waits:
            raise RateLimited(max(1, int(max(waits)) + 1))

    async def _failed(self, stream: str, user_name: str, client: str, reason: str, now: datetime) -> None:
        event = acc.sign_in_failed(user_name=user_name, client=client, reason=reason, now=now)
        await self._append(stream, [event], ExpectedVersion.ANY, actor=f"signin:{client}")

    async def _session(
        self, account: Account, via: acc.SignInVia, client: str, now: datetime, link_id: str | None = None
    ) -> SignedIn:
        token = new_secret()
        expires_at = now + self.policy.session_lifetime
        event = acc.signed_in(
            session_hash=secret_hash(token), via=via, client=client, expires_at=expires_at, now=now, link_id=link_id
        )
        principal = account.principal("link" if via == "link" else "session")
        await self._append(acc.account_stream(account.account_id), [event], ExpectedVersion.ANY, principal.actor)
        return SignedIn(principal, token, csrf_token(token), expires_at)

    async def sign_in(self, user_name: str, password: str, client: str) -> SignedIn:
        """A session for a password sign-in; SignInRefused or RateLimited (recorded, but not the limit)."""
        now = await self.clock.now()
        name = user_name.strip().lower()[:100]
        await self._limit(name, client, now)
        account = await self.directory.account(name) if acc.USER_NAME.match(name) else None
        password = password[: acc.PASSWORD_MAX]
        if account is None or account.password_hash is None:
            await self.passwords.verify_dummy(password)  # the same time as a known name
            reason = "unknown" if account is None else "no_password"
            stream = acc.UNKNOWN_SIGN_INS if account is None else acc.account_stream(account.account_id)
            await self._failed(stream, name, client, reason, now)
            raise SignInRefused()
        matches = await self.passwords.verify(account.password_hash, password)
        if not matches or account.disabled:
            reason = "password" if not matches else "disabled"
            await self._failed(acc.account_stream(account.account_id), name, client, reason, now)
            raise SignInRefused()
        return await self._session(account, "password", client, now)

    async def sign_out(self, session_token: str) -> None:
        found = await self.directory.by_session(secret_hash(session_token))
        if found is None or found[1].ended_at is not None:
            return
        account, _ = found
        now = await self.clock.now()
        event = acc.signed_out(session_hash=secret_hash(session_token), now=now)
        await self._append(
            acc.account_stream(account.account_id), [event], ExpectedVersion.ANY, account.principal("session").actor
        )

    async def by_session(self, session_token: str) -> Principal | None:
        found = await self.directory.by_session(secret_hash(session_token))
        if found is None:
            return None
        account, session = found
        if account.disabled or session.ended_at is not None or session.expires_at <= await self.clock.now():
            return None
        return account.principal("link" if session.via == "link" else "session")

    async def by_token(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        found = await self.directory.by_token(secret_hash(token))
        if found is None:
            return None
        account, record = found
        if account.disabled or record.revoked_at is not None:
            return None
        return account.principal("token")

    # --- one-time links -----------------------------------------------------------------------------------

    async def request_link(self, email: str, link_url: Callable[[str], str], mail: Mailer) -> int:
        """E-mail a one-time link to `email` for each organisation it is a contact of (an open trajectory).

        Says nothing to the asker (the caller answers the same whatever happens); returns how many
        links went out, for tests and logs. A few links per address per window, then silence.
        """
        try:
            address = acc.valid_email(email)
        except AccountRuleError:
            return 0
        now = await self.clock.now()
        if (
            await self.directory.links_issued(address, now - self.policy.failure_window)
            >= self.policy.max_links_per_address
        ):
            return 0
        organisations: dict[str, ContactOf] = {}
        for contact in await self.directory.contacts(address):
            organisations.setdefault(contact.certificate_number, contact)
        for contact in organisations.values():
            token = new_secret()
            link_id = uuid.uuid4().hex
            expires_at = now + self.policy.link_lifetime
            event = acc.link_issued(
                link_id=link_id,
                token_hash=secret_hash(token),
                email=address,
                organisation=contact.certificate_number,
                trajectory_id=contact.trajectory_id,
                expires_at=expires_at,
                now=now,
            )
            await self._append(acc.link_stream(link_id), [event], ExpectedVersion.NO_STREAM, "system:signin-link")
            minutes = int(self.policy.link_lifetime.total_seconds() // 60)
            body = (
                "Goedendag,\n\n"
                f"U vroeg om een link om u aan te melden bij CBCT voor certificaat {contact.certificate_number}.\n"
                f"De link werkt één keer en is {minutes} minuten geldig:\n\n"
                f"{link_url(token)}\n\n"
                "Vroeg u hier niet om? Dan kunt u dit bericht negeren; er verandert niets.\n\n"
                "Met vriendelijke groet,\nCBCT planning\n"
            )
            await mail(
                LinkMail(
                    link_id=link_id,
                    trajectory_id=contact.trajectory_id,
                    recipient=address,
                    subject="Uw aanmeldlink voor CBCT",
                    body=body,
                    created_at=now,
                )
            )
        return len(organisations)

    async def use_link(self, token: str, client: str) -> SignedIn | None:
        """Sign in with a one-time link: once, before it expires; the contact's account on first use."""
        if len(token) > 200:
            return None
        link = await self.directory.link(secret_hash(token))
        now = await self.clock.now()
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        account_id = acc.link_account_id(link.email, link.organisation)
        try:  # the link's stream holds only its issue: whoever appends second lost the race
            await self._append(
                acc.link_stream(link.link_id),
                [acc.link_used(link_id=link.link_id, account_id=account_id, now=now)],
                1,
                actor=f"auditee:{account_id}",
            )
        except WrongExpectedVersion:
            return None

        def decide(account: Account | None, at: datetime) -> list[Event]:
            if account is not None:
                return []
            return acc.create_account(
                None,
                account_id=account_id,
                role=Role.AUDITEE,
                display_name=link.email,
                organisation=link.organisation,
                email=link.email,
                password_hash=None,
                now=at,
            )

        account = await self._decide(account_id, decide, f"auditee:{account_id}")
        if account is None or account.disabled:
            return None
        return await self._session(account, "link", client, now, link_id=link.link_id)
