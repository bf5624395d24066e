"""Sending an e-mail: hand one message to the sender, then record its delivery as an event.

Most e-mails go out at once, inside the decision that caused them (`activities/trajectory.py`, after
its events are committed); the `email.send` activity is the patient path for any that could not (the
sender down, or found undelivered when a workflow starts), retried by Temporal until it succeeds.

At most once to the outside: the message's Message-ID is stable (derived from its id) and the sender
is idempotent by it (the file sender links each `.eml` into place once; an SMTP sender lets the
receiving side de-duplicate on the same id). Never lost: the workflow holds a message the decision did
not deliver until this activity has returned, and Temporal retries it with backoff while the sender is
down (`SendFailed`) or the worker dies. The delivery is `MessageDelivered` on stream `message-<id>`,
appended once (command id `deliver:<id>`, fixed event id); the messages read model marks the message
sent from it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.outbox import emails_of
from activities.sender import MessageSender, OutgoingMessage
from application.event_store import EventStore, ExpectedVersion, NewEvent
from application.trajectories import stream_id
from infrastructure.logging import bind_operation, get_logger
from projections.messages import message_stream
from workflows.contracts import EMAIL_UNKNOWN, Delivery, PendingEmail, SendRequest

log = get_logger(__name__)

DELIVERED_NAMESPACE = uuid.UUID("0b7f7f7e-2f5c-4c1e-9d55-5a3f0f6c1d21")
ACTOR = "system:notifications"


def delivery_command_id(message_id: str) -> str:
    return f"deliver:{message_id}"


class EmailActivities:
    """Sends the trajectories' e-mails; built once per worker with the sender and the store."""

    def __init__(self, sender: MessageSender, store: EventStore) -> None:
        self._sender = sender
        self._store = store

    @activity.defn(name="email.send")
    async def send(self, request: SendRequest) -> Delivery:
        """Send the e-mail as the store's events compose it. The request only names it: a workflow's
        input can come from anyone who reaches the Temporal server (a forged continue-as-new snapshot),
        so an e-mail no stored event causes is refused, without retry, and nothing is sent or stored."""
        email = request.email
        records = await self._store.read_stream(stream_id(email.trajectory_id))
        known = next((e for e in emails_of(records) if e.message_id == email.message_id), None)
        if known is None:
            log.warning("email_unknown", message_id=email.message_id, trajectory_id=email.trajectory_id)
            raise ApplicationError(
                f"e-mail {email.message_id}: no event of trajectory {email.trajectory_id} causes it",
                type=EMAIL_UNKNOWN,
                non_retryable=True,
            )
        return await deliver(self._sender, self._store, known, request.now)


async def deliver(sender: MessageSender, store: EventStore, email: PendingEmail, now: datetime) -> Delivery:
    """Hand `email` to `sender`, then record its delivery (once, whoever repeats this)."""
    outgoing = OutgoingMessage(
        message_id=email.message_id,
        trajectory_id=email.trajectory_id,
        kind=email.kind,
        recipient=email.recipient,
        subject=email.subject,
        body=email.body,
        created_at=email.created_at.isoformat(),
    )
    with bind_operation(message_id=email.message_id, trajectory_id=email.trajectory_id):
        receipt = await sender.send(outgoing)  # SendFailed: retried by Temporal's retry policy
        delivered_at = max(now, email.created_at)  # never before it was written
        result = await store.append(
            message_stream(email.message_id),
            [
                NewEvent(
                    "MessageDelivered",
                    {
                        "message_id": email.message_id,
                        "delivered_at": delivered_at.isoformat(),
                        "transport": receipt.transport,
                    },
                    event_id=uuid.uuid5(DELIVERED_NAMESPACE, email.message_id),
                )
            ],
            ExpectedVersion.NO_STREAM,
            command_id=delivery_command_id(email.message_id),
            correlation_id=email.trajectory_id,
            actor=ACTOR,
        )
        log.info(
            "message_delivered",
            transport=receipt.transport,
            already_sent=receipt.already_sent,
            duplicate=result.duplicate,
        )
    return Delivery(
        message_id=email.message_id,
        transport=receipt.transport,
        message_id_header=receipt.message_id_header,
        already_sent=receipt.already_sent,
        recorded_before=result.duplicate,
    )
