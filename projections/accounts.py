"""Read model of accounts, tokens, sessions, one-time links and failed sign-ins; and of contact persons.

Why it can be trusted for authentication: it is kept two ways that agree. The projection runner feeds
it like any read model (so `cbct projections rebuild` rebuilds it from the events), and every writer
brings it up to its stream right after appending (`caught_up`), before it answers. `account_streams`
holds, per stream, the last version applied, and an advisory lock per stream orders the two ways, so
each event is applied once whoever comes first. A reader that authenticates (`by_session`,
`by_token`, `account`, `principal_of`) compares that version with the stream's head in the same
query and catches up first when it is behind: a change committed by any process (`cbct users
disable`) is seen by the very next request, even when its writer died before updating the read model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import asyncpg

from application import accounts as acc
from application.access import Principal, Role
from application.account_service import ContactOf, LinkRecord, SessionRecord, TokenRecord
from application.accounts import Account
from application.event_store import EventStore, RecordedEvent
from application.trajectories import STREAM_PREFIX

ACCOUNTS = "accounts"
CONTACTS = "contacts"
_LOCK_SPACE = 22  # second key of pg_advisory_xact_lock(hashtextextended(stream, 22))


def _at(data: dict[str, Any], key: str = "occurred_at") -> datetime:
    return datetime.fromisoformat(str(data[key]))


async def _lock(conn: asyncpg.Connection, stream_id: str) -> int:
    """Hold the stream's lock for this transaction; the version applied so far."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))", stream_id, _LOCK_SPACE)
    version = await conn.fetchval("SELECT version FROM account_streams WHERE stream_id = $1", stream_id)
    return int(version or 0)


async def _apply_one(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    data, kind, stream = event.data, event.event_type, event.stream_id
    if stream.startswith(acc.LINK_PREFIX):
        if kind == "SignInLinkIssued":
            await conn.execute(
                """INSERT INTO signin_links (link_id, token_hash, email, organisation, trajectory_id, issued_at,
                       expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (link_id) DO NOTHING""",
                data["link_id"],
                data["token_hash"],
                data["email"],
                data["organisation"],
                data["trajectory_id"],
                _at(data),
                _at(data, "expires_at"),
            )
        elif kind == "SignInLinkUsed":
            await conn.execute(
                "UPDATE signin_links SET used_at = $2, used_by = $3 WHERE link_id = $1",
                data["link_id"],
                _at(data),
                data["account_id"],
            )
        return
    if kind == "SignInFailed":
        await conn.execute(
            """INSERT INTO signin_failures (stream_id, stream_version, user_name, client, reason, failed_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
            stream,
            event.stream_version,
            data["user_name"],
            data["client"],
            data["reason"],
            _at(data),
        )
    if not stream.startswith(acc.ACCOUNT_PREFIX):
        return
    account_id = stream[len(acc.ACCOUNT_PREFIX) :]
    if kind == "AccountCreated":
        await conn.execute(
            """INSERT INTO accounts (account_id, role, display_name, organisation, email, version, created_at,
                   updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
               ON CONFLICT (account_id) DO UPDATE SET role = EXCLUDED.role, display_name = EXCLUDED.display_name,
                   organisation = EXCLUDED.organisation, email = EXCLUDED.email, version = EXCLUDED.version,
                   created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, password_hash = NULL,
                   disabled = false""",
            account_id,
            data["role"],
            data["display_name"],
            data.get("organisation"),
            data.get("email"),
            event.stream_version,
            _at(data),
        )
        return
    changes: dict[str, Any] = {}
    if kind == "PasswordSet":
        changes["password_hash"] = data["password_hash"]
    elif kind == "RoleChanged":
        changes["role"] = data["role"]
        changes["organisation"] = data.get("organisation")
    elif kind == "DisplayNameChanged":
        changes["display_name"] = data["display_name"]
    elif kind in ("AccountDisabled", "AccountEnabled"):
        changes["disabled"] = kind == "AccountDisabled"
    if kind in ("AccountDisabled", "PasswordSet"):  # a disabled account, or a new password, ends its sessions
        await conn.execute(
            "UPDATE account_sessions SET ended_at = $2 WHERE account_id = $1 AND ended_at IS NULL",
            account_id,
            _at(data),
        )
    if kind == "TokenCreated":
        await conn.execute(
            """INSERT INTO account_tokens (token_id, account_id, token_hash, label, created_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token_id) DO NOTHING""",
            data["token_id"],
            account_id,
            data["token_hash"],
            data["label"],
            _at(data),
        )
    elif kind == "TokenRevoked":
        await conn.execute(
            "UPDATE account_tokens SET revoked_at = $3 WHERE token_id = $1 AND account_id = $2 AND revoked_at IS NULL",
            data["token_id"],
            account_id,
            _at(data),
        )
    elif kind == "SignedIn":
        await conn.execute(
            """INSERT INTO account_sessions (session_hash, account_id, via, client, created_at, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_hash) DO NOTHING""",
            data["session_hash"],
            account_id,
            data["via"],
            data["client"],
            _at(data),
            _at(data, "expires_at"),
        )
    elif kind == "SignedOut":
        await conn.execute(
            "UPDATE account_sessions SET ended_at = $2 WHERE session_hash = $1 AND ended_at IS NULL",
            data["session_hash"],
            _at(data),
        )
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(changes, start=4))
    await conn.execute(
        f"UPDATE accounts SET version = $2, updated_at = $3{', ' + sets if sets else ''} WHERE account_id = $1",
        account_id,
        event.stream_version,
        event.recorded_at,
        *changes.values(),
    )


async def apply_stream(conn: asyncpg.Connection, stream_id: str, events: Sequence[RecordedEvent]) -> int:
    """Apply the events of one stream that are beyond what is applied, in order; inside a transaction.

    Returns the first version still missing when the events do not reach on from what is applied (a
    gap), else 0."""
    applied = await _lock(conn, stream_id)
    start = applied
    for event in sorted(events, key=lambda e: e.stream_version):
        if event.stream_version <= applied:
            continue
        if event.stream_version != applied + 1:
            break
        await _apply_one(conn, event)
        applied = event.stream_version
    if applied != start:
        await conn.execute(
            """INSERT INTO account_streams (stream_id, version) VALUES ($1, $2)
               ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version""",
            stream_id,
            applied,
        )
    pending = [e for e in events if e.stream_version > applied]
    return applied + 1 if pending else 0


async def catch_up_stream(pool: asyncpg.Pool, store: EventStore, stream_id: str) -> None:
    """Bring the read model up to everything stream `stream_id` holds now.

    Reads the events before it takes the lock (one connection at a time); what is applied meanwhile by
    another is skipped, what is appended meanwhile is its writer's to apply."""
    applied = await pool.fetchval("SELECT version FROM account_streams WHERE stream_id = $1", stream_id)
    events = await store.read_stream(stream_id, int(applied or 0) + 1)
    if not events:
        return
    async with pool.acquire() as conn, conn.transaction():
        await apply_stream(conn, stream_id, events)


class AccountsProjection:
    """The projection runner's way in: the same application, in its batch's transaction."""

    name: ClassVar[str] = ACCOUNTS
    categories: ClassVar[Sequence[str] | None] = (
        acc.ACCOUNT_PREFIX.rstrip("-"),
        acc.LINK_PREFIX.rstrip("-"),
        acc.UNKNOWN_SIGN_INS.split("-")[0],
    )
    event_types: ClassVar[Sequence[str] | None] = None
    tables: ClassVar[Sequence[str]] = (
        "account_streams",
        "accounts",
        "account_tokens",
        "account_sessions",
        "signin_links",
        "signin_failures",
    )

    def __init__(self, store: EventStore | None = None) -> None:
        self._store = store

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        by_stream: dict[str, list[RecordedEvent]] = {}
        for event in events:
            by_stream.setdefault(event.stream_id, []).append(event)
        for stream_id, batch in by_stream.items():
            missing = await apply_stream(conn, stream_id, batch)
            if missing and self._store is not None:  # cannot happen in order; heal rather than halt
                earlier = await self._store.read_stream(stream_id, missing)
                await apply_stream(conn, stream_id, earlier)


class ContactsProjection:
    """Who is a contact person of which trajectory: where a one-time sign-in link may go.

    The opening's address and the intake's contacts both count; `ContactsChanged` replaces them all (the
    opening's address too: it is typically the one that stopped working), and a later intake replaces
    those again, as the e-mails follow the latest named contact."""

    name: ClassVar[str] = CONTACTS
    categories: ClassVar[Sequence[str] | None] = (STREAM_PREFIX.rstrip("-"),)
    event_types: ClassVar[Sequence[str] | None] = ("TrajectoryOpened", "IntakeRecorded", "ContactsChanged")
    tables: ClassVar[Sequence[str]] = ("trajectory_contacts",)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            trajectory_id = event.stream_id[len(STREAM_PREFIX) :]
            if event.event_type == "TrajectoryOpened":
                source, emails = "opening", [event.data.get("contact_email")]
            else:
                source, emails = "intake", [c.get("email") for c in event.data.get("contacts") or ()]
            replaced = ("opening", "intake") if event.event_type == "ContactsChanged" else (source,)
            await conn.execute(
                "DELETE FROM trajectory_contacts WHERE trajectory_id = $1 AND source = ANY($2::text[])",
                trajectory_id,
                list(replaced),
            )
            addresses = sorted({str(e).strip().lower() for e in emails if e})
            if addresses:
                await conn.executemany(
                    "INSERT INTO trajectory_contacts (trajectory_id, source, email) VALUES ($1, $2, $3)",
                    [(trajectory_id, source, a) for a in addresses],
                )


# --- reading --------------------------------------------------------------------------------------------

_HEAD = "(SELECT coalesce(max(stream_version), 0) FROM events e WHERE e.stream_id = 'account-' || a.account_id)"
_APPLIED = "(SELECT coalesce(max(version), 0) FROM account_streams v WHERE v.stream_id = 'account-' || a.account_id)"
_ACCOUNT = f"a.*, {_HEAD} AS head, {_APPLIED} AS applied"


def _account(row: asyncpg.Record, tokens: Sequence[str] = ()) -> Account:
    return Account(
        account_id=row["account_id"],
        role=Role(row["role"]),
        display_name=row["display_name"],
        organisation=row["organisation"],
        email=row["email"],
        password_hash=row["password_hash"],
        disabled=row["disabled"],
        version=row["version"],
        created_at=row["created_at"],
        tokens=frozenset(tokens),
    )


def _token(row: asyncpg.Record) -> TokenRecord:
    return TokenRecord(row["token_id"], row["account_id"], row["label"], row["created_at"], row["revoked_at"])


class AccountReadModel:
    """`AccountDirectory` (application.account_service) over the read model's tables."""

    def __init__(self, pool: asyncpg.Pool, store: EventStore) -> None:
        self.pool = pool
        self.store = store

    async def caught_up(self, stream_id: str) -> None:
        await catch_up_stream(self.pool, self.store, stream_id)

    async def _fresh(self, sql: str, *args: Any) -> asyncpg.Record | None:
        """A row with `head` and `applied` of its account's stream; caught up first when behind."""
        row = await self.pool.fetchrow(sql, *args)
        if row is not None and row["applied"] < row["head"]:
            await self.caught_up(acc.account_stream(row["account_id"]))
            row = await self.pool.fetchrow(sql, *args)
        return row

    async def account(self, account_id: str) -> Account | None:
        stream = acc.account_stream(account_id)
        behind = await self.pool.fetchval(
            """SELECT (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1)
                    > (SELECT coalesce(max(version), 0) FROM account_streams WHERE stream_id = $1)""",
            stream,
        )
        if behind:
            await self.caught_up(stream)
        row = await self.pool.fetchrow("SELECT * FROM accounts WHERE account_id = $1", account_id)
        if row is None:
            return None
        tokens = await self.pool.fetch(
            "SELECT token_id FROM account_tokens WHERE account_id = $1 AND revoked_at IS NULL", account_id
        )
        return _account(row, [t["token_id"] for t in tokens])

    async def accounts(self) -> list[Account]:
        rows = await self.pool.fetch("SELECT * FROM accounts ORDER BY account_id")
        return [_account(r) for r in rows]

    async def by_session(self, session_hash: str) -> tuple[Account, SessionRecord] | None:
        row = await self._fresh(
            f"""SELECT {_ACCOUNT}, s.via, s.expires_at, s.ended_at FROM account_sessions s
                JOIN accounts a ON a.account_id = s.account_id WHERE s.session_hash = $1""",
            session_hash,
        )
        if row is None:
            return None
        return _account(row), SessionRecord(row["account_id"], row["via"], row["expires_at"], row["ended_at"])

    async def by_token(self, token_hash: str) -> tuple[Account, TokenRecord] | None:
        row = await self._fresh(
            f"""SELECT {_ACCOUNT}, t.token_id, t.label, t.created_at AS token_created_at, t.revoked_at
                FROM account_tokens t JOIN accounts a ON a.account_id = t.account_id WHERE t.token_hash = $1""",
            token_hash,
        )
        if row is None:
            return None
        token = TokenRecord(
            row["token_id"], row["account_id"], row["label"], row["token_created_at"], row["revoked_at"]
        )
        return _account(row), token

    async def token(self, token_id: str) -> TokenRecord | None:
        row = await self.pool.fetchrow("SELECT * FROM account_tokens WHERE token_id = $1", token_id)
        return None if row is None else _token(row)

    async def tokens(self, account_id: str | None = None) -> list[TokenRecord]:
        rows = await self.pool.fetch(
            "SELECT * FROM account_tokens WHERE $1::text IS NULL OR account_id = $1 ORDER BY created_at, token_id",
            account_id,
        )
        return [_token(r) for r in rows]

    async def link(self, token_hash: str) -> LinkRecord | None:
        row = await self.pool.fetchrow("SELECT * FROM signin_links WHERE token_hash = $1", token_hash)
        if row is None:
            return None
        behind = await self.pool.fetchval(
            "SELECT coalesce(max(stream_version), 0) > 1 FROM events WHERE stream_id = $1",
            acc.link_stream(row["link_id"]),
        )
        if behind and row["used_at"] is None:
            await self.caught_up(acc.link_stream(row["link_id"]))
            row = await self.pool.fetchrow("SELECT * FROM signin_links WHERE token_hash = $1", token_hash)
            assert row is not None
        return LinkRecord(
            row["link_id"], row["email"], row["organisation"], row["trajectory_id"], row["expires_at"], row["used_at"]
        )

    async def links_issued(self, email: str, since: datetime) -> int:
        count = await self.pool.fetchval(
            "SELECT count(*) FROM signin_links WHERE email = $1 AND issued_at > $2", email, since
        )
        return int(count)

    async def failures(self, user_name: str, client: str, since: datetime) -> tuple[list[datetime], list[datetime]]:
        rows = await self.pool.fetch(
            """SELECT failed_at, user_name = $1 AS by_user, client = $2 AS by_client FROM signin_failures
               WHERE (user_name = $1 OR client = $2) AND failed_at > $3""",
            user_name,
            client,
            since,
        )
        return [r["failed_at"] for r in rows if r["by_user"]], [r["failed_at"] for r in rows if r["by_client"]]

    async def auditor_named(self, display_name: str) -> bool:
        """Whether some trajectory names an auditor so (expert or peer): an auditor account sees those."""
        found = await self.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM trajectories WHERE $1 IN (expert_auditor, peer_auditor))", display_name
        )
        return bool(found)

    async def contacts(self, email: str) -> list[ContactOf]:
        rows = await self.pool.fetch(
            """SELECT DISTINCT c.trajectory_id, t.certificate_number FROM trajectory_contacts c
               JOIN trajectories t ON t.trajectory_id = c.trajectory_id
               WHERE c.email = $1 AND t.is_open ORDER BY c.trajectory_id""",
            email.strip().lower(),
        )
        return [ContactOf(r["trajectory_id"], r["certificate_number"]) for r in rows]


async def principal_of(pool: asyncpg.Pool, account_id: str) -> Principal | None:
    """The principal of an account as it is now (its stream's head applied); None when unknown or
    disabled. For callers that hold an account id but no session (calendar feeds)."""
    from infrastructure.postgres_event_store import PostgresEventStore

    account = await AccountReadModel(pool, PostgresEventStore(pool)).account(account_id)
    if account is None or account.disabled:
        return None
    return account.principal("token")
