"""The e-mails a trajectory's events cause, straight from its stream: what the send activity works from.

The same composition the messages read model uses (`projections.message_texts`), with the same stable
message ids (`message_id_for(event id, kind)`), so the outbox rows and the e-mails the workflow sends
are one and the same messages. A message is settled once its `message-<id>` stream holds an event:
`MessageDelivered`, or `MessageRefused` (the mail server refused it for good: ops see it, nothing
retries it); a message without a recipient is never sent (the read model lists it `unaddressed`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from application.event_store import EventStore, RecordedEvent
from application.mail import OutgoingMessage
from application.trajectories import stream_id
from projections.message_texts import MessageContext, compose, evolve_context
from projections.messages import message_id_for, message_stream
from projections.trajectory_state import decode
from workflows.contracts import PendingEmail


def emails_of(records: Sequence[RecordedEvent], caused_by: Collection[str] | None = None) -> list[PendingEmail]:
    """The addressed e-mails the stream's events cause, in stream order; only those of the commands
    `caused_by` (command ids) when given."""
    ctx: MessageContext | None = None
    emails: list[PendingEmail] = []
    for record in records:
        event = decode(record)
        if event is None:
            continue
        ctx = evolve_context(ctx, event)
        if ctx is None or (caused_by is not None and record.command_id not in caused_by):
            continue
        draft = compose(event, ctx)
        if draft is None or not ctx.recipient:
            continue
        emails.append(
            PendingEmail(
                message_id=message_id_for(record.event_id, draft.kind),
                trajectory_id=event.trajectory_id,
                kind=draft.kind,
                recipient=ctx.recipient,
                subject=draft.subject,
                body=draft.body,
                created_at=event.occurred_at,
                invite=draft.invite,
            )
        )
    return emails


async def undelivered(store: EventStore, emails: Sequence[PendingEmail]) -> list[PendingEmail]:
    """The e-mails neither recorded delivered nor recorded refused yet."""
    return [e for e in emails if await store.stream_version(message_stream(e.message_id)) == 0]


async def composed(store: EventStore, trajectory_id: str, message_id: str) -> PendingEmail | None:
    """The e-mail `message_id` as the trajectory's events compose it (what was, or will be, sent); None
    when no event of that trajectory causes it with an address."""
    records = await store.read_stream(stream_id(trajectory_id))
    return next((e for e in emails_of(records) if e.message_id == message_id), None)


def outgoing(email: PendingEmail) -> OutgoingMessage:
    """The e-mail as a sender takes it."""
    return OutgoingMessage(
        message_id=email.message_id,
        trajectory_id=email.trajectory_id,
        kind=email.kind,
        recipient=email.recipient,
        subject=email.subject,
        body=email.body,
        created_at=email.created_at.isoformat(),
        invite=email.invite,
    )
