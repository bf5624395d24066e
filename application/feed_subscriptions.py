"""Calendar-feed subscriptions: a secret URL per feed, for calendar apps that cannot sign in.

The token is 32 random bytes (URL-safe base64) handed to its owner once; only its SHA-256 is kept, in
the `FeedCreated` event on stream `feed-<feed_id>` with a snapshot of the principal it was made for
(account, role, display name, organisation): that snapshot scopes the feed. A plain SHA-256 suffices
for 256 random bits (nothing to guess, nothing to stretch). `FeedRevoked` ends it. Both are events, so
the read model (`projections.feed_tokens`) is rebuilt from them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from application.access import Principal
from application.event_store import EventStore, ExpectedVersion, NewEvent, WrongExpectedVersion

CATEGORY = "feed"
CREATED = "FeedCreated"
REVOKED = "FeedRevoked"
TOKEN_BYTES = 32
_REVOKED_NAMESPACE = uuid.UUID("9a1d64a4-3c55-4a87-8f0e-5b7e2c1d7f21")


def feed_stream(feed_id: str) -> str:
    return f"{CATEGORY}-{feed_id}"


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewFeed:
    """A feed just made: its id, and the token its URL carries (shown once, never stored)."""

    feed_id: str
    token: str


async def create_feed(store: EventStore, principal: Principal, now: datetime) -> NewFeed:
    """Record a new feed for `principal`; the token is returned to the caller only."""
    feed_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await store.append(
        feed_stream(feed_id),
        [
            NewEvent(
                CREATED,
                {
                    "feed_id": feed_id,
                    "token_sha256": token_hash(token),
                    "account_id": principal.account_id,
                    "role": principal.role.value,
                    "display_name": principal.display_name,
                    "organisation": principal.organisation,
                    "created_at": now.isoformat(),
                },
            )
        ],
        ExpectedVersion.NO_STREAM,
        command_id=f"feed-create:{feed_id}",
        actor=principal.actor,
    )
    return NewFeed(feed_id, token)


async def revoke_feed(store: EventStore, feed_id: str, principal: Principal, now: datetime) -> None:
    """Record that the feed ends; revoking twice records it once (a fixed event id, the stream's version)."""
    try:
        await store.append(
            feed_stream(feed_id),
            [
                NewEvent(
                    REVOKED,
                    {"feed_id": feed_id, "revoked_at": now.isoformat()},
                    event_id=uuid.uuid5(_REVOKED_NAMESPACE, feed_id),
                )
            ],
            1,  # right after FeedCreated; a stream that moved on is revoked already
            command_id=f"feed-revoke:{feed_id}",
            actor=principal.actor,
        )
    except WrongExpectedVersion:
        return
