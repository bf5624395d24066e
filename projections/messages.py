"""The notification outbox: e-mails derived from trajectory events, and their delivery.

Each message has a deterministic id (uuid5 of the event id and the message kind), so a rebuild makes
the same ids and the sender's stable Message-ID holds. The recipient is the trajectory's
`contact_email` until the intake names contacts, then the first intake contact. Without any address
the message is still written, with status ``unaddressed``, so nothing is silently lost (it is not
re-addressed later: a planner forwards it). The send workflow appends `MessageDelivered`
(`{"message_id", "delivered_at", "transport"}`) to stream ``message-<message_id>``; this projection
reads that category too and marks the row ``sent``, so the sent status survives a rebuild. A mail
server's refusal for good is `MessageRefused` (`{"message_id", "refused_at", "transport", "recipient",
"code", "reason"}`) on the same stream: the row becomes ``refused`` with when and why
(`refused_messages` lists them for ops; `cbct stuck` shows them).

Statuses: ``pending`` (to send), ``sent``, ``unaddressed``, ``refused``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import asyncpg

from application.event_store import RecordedEvent
from application.trajectories import STREAM_PREFIX, trajectory_id_of
from projections import bulk
from projections.message_texts import MessageContext, compose, evolve_context
from projections.trajectory_state import decode

MESSAGES = "messages"
CONTEXT = "message_context"
DELIVERED = "MessageDelivered"
REFUSED = "MessageRefused"
MESSAGE_NAMESPACE = uuid.UUID("3b8f5f52-8d0c-4f7e-9a55-6c1f2f1c0b7d")


def message_id_for(event_id: uuid.UUID, kind: str) -> str:
    """The stable id of the message of `kind` that event `event_id` causes."""
    return str(uuid.uuid5(MESSAGE_NAMESPACE, f"{event_id}/{kind}"))


def message_stream(message_id: str) -> str:
    """The stream a delivery of this message is recorded in."""
    return f"message-{message_id}"


def _instant(text: str) -> datetime:
    """An ISO instant; one without an offset is taken as UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _failure(data: dict[str, Any]) -> str:
    """'550 5.1.1 mailbox unavailable': the server's code and text, as ops read it."""
    code = data.get("code")
    reason = str(data.get("reason") or "").strip()
    return f"{code} {reason}".strip() if code else reason or "geweigerd"


class MessagesProjection:
    """Writes the outbox from trajectory events and marks messages sent from `MessageDelivered`."""

    name: ClassVar[str] = "messages"
    categories: ClassVar[Sequence[str] | None] = ["trajectory", "message"]
    event_types: ClassVar[Sequence[str] | None] = None
    tables: ClassVar[Sequence[str]] = [MESSAGES, CONTEXT]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        await bulk.without_waiting_for_disk(conn)
        trajectory_records = [e for e in events if e.stream_id.startswith(STREAM_PREFIX)]
        if trajectory_records:
            await self._messages(conn, trajectory_records)
        deliveries = [
            (str(e.data["message_id"]), _instant(str(e.data["delivered_at"])), e.data.get("transport"))
            for e in events
            if e.event_type == DELIVERED and e.category == "message"
        ]
        if deliveries:
            await conn.executemany(
                f"UPDATE {MESSAGES} SET status = 'sent', sent_at = $2, transport = $3 WHERE message_id = $1",
                deliveries,
            )
        refusals = [
            (
                str(e.data["message_id"]),
                _instant(str(e.data["refused_at"])),
                e.data.get("transport"),
                _failure(e.data),
            )
            for e in events
            if e.event_type == REFUSED and e.category == "message"
        ]
        if refusals:
            await conn.executemany(
                f"""UPDATE {MESSAGES} SET status = 'refused', refused_at = $2, transport = $3, failure = $4
                    WHERE message_id = $1""",
                refusals,
            )

    async def _messages(self, conn: asyncpg.Connection, records: Sequence[RecordedEvent]) -> None:
        ids = list(dict.fromkeys(trajectory_id_of(r.stream_id) for r in records))
        rows = await conn.fetch(
            f"SELECT trajectory_id, context FROM {CONTEXT} WHERE trajectory_id = ANY($1::text[])", ids
        )
        contexts: dict[str, MessageContext | None] = {
            row["trajectory_id"]: MessageContext.model_validate_json(row["context"]) for row in rows
        }
        messages: list[tuple[Any, ...]] = []
        for record in records:
            event = decode(record)
            if event is None:
                continue
            trajectory_id = trajectory_id_of(record.stream_id)
            ctx = evolve_context(contexts.get(trajectory_id), event)
            contexts[trajectory_id] = ctx
            draft = compose(event, ctx) if ctx is not None else None
            if draft is None or ctx is None:
                continue
            messages.append(
                (
                    message_id_for(record.event_id, draft.kind),
                    trajectory_id,
                    record.event_id,
                    draft.kind,
                    ctx.recipient,
                    ctx.recipient_name,
                    draft.subject,
                    draft.body,
                    event.occurred_at,
                    "pending" if ctx.recipient else "unaddressed",
                )
            )
        await conn.executemany(
            f"""INSERT INTO {CONTEXT} (trajectory_id, context) VALUES ($1, $2::jsonb)
                ON CONFLICT (trajectory_id) DO UPDATE SET context = EXCLUDED.context""",
            [(tid, ctx.model_dump_json()) for tid, ctx in contexts.items() if ctx is not None],
        )
        if messages:
            await conn.executemany(
                f"""INSERT INTO {MESSAGES} (message_id, trajectory_id, event_id, kind, recipient, recipient_name,
                        subject, body, created_at, status)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
                messages,
            )


@dataclass(frozen=True)
class OutboxMessage:
    """A message to send (contract with the send workflow)."""

    message_id: str
    trajectory_id: str
    kind: str
    recipient: str | None
    subject: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class MessageRow:
    """A message with its delivery status."""

    message_id: str
    trajectory_id: str
    event_id: uuid.UUID
    kind: str
    recipient: str | None
    recipient_name: str | None
    subject: str
    body: str
    created_at: datetime
    status: str
    sent_at: datetime | None
    transport: str | None
    refused_at: datetime | None = None
    failure: str | None = None


async def pending_messages(pool: asyncpg.Pool, *, limit: int = 100) -> list[OutboxMessage]:
    """Addressed messages not yet delivered, oldest first."""
    rows = await pool.fetch(
        f"""SELECT message_id, trajectory_id, kind, recipient, subject, body, created_at FROM {MESSAGES}
            WHERE status = 'pending' ORDER BY created_at, message_id LIMIT $1""",
        limit,
    )
    return [OutboxMessage(**dict(row)) for row in rows]


async def list_messages(pool: asyncpg.Pool, trajectory_id: str | None = None) -> list[MessageRow]:
    """Every message (of one trajectory, or all), oldest first."""
    rows = await pool.fetch(
        f"""SELECT message_id, trajectory_id, event_id, kind, recipient, recipient_name, subject, body, created_at,
                   status, sent_at, transport, refused_at, failure
            FROM {MESSAGES} WHERE ($1::text IS NULL OR trajectory_id = $1) ORDER BY created_at, message_id""",
        trajectory_id,
    )
    return [MessageRow(**dict(row)) for row in rows]


async def message_by_id(pool: asyncpg.Pool, message_id: str) -> MessageRow | None:
    """One message with its status; None when there is no such message."""
    row = await pool.fetchrow(
        f"""SELECT message_id, trajectory_id, event_id, kind, recipient, recipient_name, subject, body, created_at,
                   status, sent_at, transport, refused_at, failure
            FROM {MESSAGES} WHERE message_id = $1""",
        message_id,
    )
    return MessageRow(**dict(row)) if row is not None else None


async def refused_messages(pool: asyncpg.Pool) -> list[MessageRow]:
    """E-mails a mail server refused for good, most recent first: for ops to correct and forward."""
    rows = await pool.fetch(
        f"""SELECT message_id, trajectory_id, event_id, kind, recipient, recipient_name, subject, body, created_at,
                   status, sent_at, transport, refused_at, failure
            FROM {MESSAGES} WHERE status = 'refused' ORDER BY refused_at DESC, message_id"""
    )
    return [MessageRow(**dict(row)) for row in rows]
