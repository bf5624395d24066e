"""The feed-token read model: which feed a token's hash opens, and whose it is.

Fed by `FeedCreated` / `FeedRevoked` on `feed-<id>` streams (`application.feed_subscriptions`); holds
hashes only, never a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import asyncpg

from application.access import Principal, Role
from application.event_store import RecordedEvent, read_as
from application.feed_subscriptions import CATEGORY, CREATED, REVOKED

TABLE = "feed_tokens"


@dataclass(frozen=True)
class Feed:
    """A feed subscription as stored: the principal it was made for, and when it was made or revoked."""

    feed_id: str
    account_id: str
    role: str
    display_name: str
    organisation: str | None
    created_at: datetime
    revoked_at: datetime | None

    def principal(self) -> Principal | None:
        """The principal the feed was made for (its scope); None for a role this code does not know."""
        try:
            role = Role(self.role)
        except ValueError:
            return None
        return Principal(self.account_id, self.display_name, role, self.organisation, via="token")


def _created(event: RecordedEvent) -> tuple[Any, ...]:
    data = event.data
    return (
        str(data["feed_id"]),
        str(data["token_sha256"]),
        str(data["account_id"]),
        str(data["role"]),
        str(data["display_name"]),
        None if data.get("organisation") is None else str(data["organisation"]),
        datetime.fromisoformat(str(data["created_at"])),
    )


def _revoked(event: RecordedEvent) -> tuple[Any, ...]:
    return (str(event.data["feed_id"]), datetime.fromisoformat(str(event.data["revoked_at"])))


class FeedTokensProjection:
    """Keeps `feed_tokens` from the feed streams."""

    name: ClassVar[str] = "feed_tokens"
    categories: ClassVar[Sequence[str] | None] = [CATEGORY]
    event_types: ClassVar[Sequence[str] | None] = [CREATED, REVOKED]
    tables: ClassVar[Sequence[str]] = [TABLE]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:  # few and rare: one statement each, in order
            if event.event_type == CREATED:
                await conn.execute(
                    f"""INSERT INTO {TABLE} (feed_id, token_sha256, account_id, role, display_name, organisation,
                            created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (feed_id) DO NOTHING""",
                    *read_as(event, _created),
                )
            elif event.event_type == REVOKED:
                await conn.execute(
                    f"UPDATE {TABLE} SET revoked_at = coalesce(revoked_at, $2) WHERE feed_id = $1",
                    *read_as(event, _revoked),
                )


_COLUMNS = "feed_id, account_id, role, display_name, organisation, created_at, revoked_at"


async def feed_by_token(pool: asyncpg.Pool, token_sha256: str) -> Feed | None:
    """The live (not revoked) feed whose token has this hash."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE token_sha256 = $1 AND revoked_at IS NULL", token_sha256
    )
    return None if row is None else Feed(**dict(row))


async def feed(pool: asyncpg.Pool, feed_id: str) -> Feed | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM {TABLE} WHERE feed_id = $1", feed_id)
    return None if row is None else Feed(**dict(row))


async def feeds_of(pool: asyncpg.Pool, account_id: str) -> list[Feed]:
    """An account's live feeds, oldest first."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE account_id = $1 AND revoked_at IS NULL ORDER BY created_at, feed_id",
        account_id,
    )
    return [Feed(**dict(row)) for row in rows]
