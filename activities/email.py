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
sent from it. A message whose stream already holds an event is not handed to the sender again.

The remaining window (SMTP): the server accepted the message, and the process died (or the activity
timed out) before the delivery was recorded. The activity then runs again and the server receives the
message a second time: byte-identical, with the same Message-ID, which receivers de-duplicate on.

Refused for good (`SendRefused`: a 5xx answer for the recipient or the message): `MessageRefused` on
the same stream, appended once (command id `refuse:<id>`, fixed event id), with the server's code and
text. `email.send` then fails without retry (`EMAIL_REFUSED`; the workflow lets the e-mail go), the
decision's own inline send just moves on; the messages read model marks it refused and `cbct stuck`
lists it. Every outcome counts in `cbct_emails_total{transport, outcome}`: sent, failed (will be
retried), refused (counted once, when recorded).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.outbox import composed, outgoing
from activities.sender import MessageSender, SendRefused, message_id_header
from application.event_store import EventStore, ExpectedVersion, NewEvent
from infrastructure.logging import bind_operation, get_logger
from infrastructure.metrics import EMAILS
from projections.messages import DELIVERED, REFUSED, message_stream
from workflows.contracts import EMAIL_REFUSED, EMAIL_UNKNOWN, Delivery, PendingEmail, SendRequest

log = get_logger(__name__)

DELIVERED_NAMESPACE = uuid.UUID("0b7f7f7e-2f5c-4c1e-9d55-5a3f0f6c1d21")
REFUSED_NAMESPACE = uuid.UUID("6a0d3c8e-93f4-4d36-8b55-0c2b7e1f9a44")
ACTOR = "system:notifications"


def delivery_command_id(message_id: str) -> str:
    return f"deliver:{message_id}"


def refusal_command_id(message_id: str) -> str:
    return f"refuse:{message_id}"


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
        known = await composed(self._store, email.trajectory_id, email.message_id)
        if known is None:
            log.warning("email_unknown", message_id=email.message_id, trajectory_id=email.trajectory_id)
            raise ApplicationError(
                f"e-mail {email.message_id}: no event of trajectory {email.trajectory_id} causes it",
                type=EMAIL_UNKNOWN,
                non_retryable=True,
            )
        settled = await self._store.read_stream(message_stream(known.message_id))
        if settled:  # delivered or refused before (a retry after the record): never hand it over again
            return _settled(known, settled[0].event_type, settled[0].data)
        try:
            return await deliver(self._sender, self._store, known, request.now)
        except SendRefused as refusal:
            raise _refused_error(known, refusal.code, refusal.reason) from refusal


def _settled(email: PendingEmail, event_type: str, data: dict[str, object]) -> Delivery:
    if event_type == REFUSED:
        raise _refused_error(email, int(str(data.get("code") or 0)), str(data.get("reason") or ""))
    transport = str(data.get("transport") or "")
    return Delivery(
        message_id=email.message_id,
        transport=transport,
        message_id_header=message_id_header(email.message_id),
        already_sent=True,
        recorded_before=True,
    )


def _refused_error(email: PendingEmail, code: int, reason: str) -> ApplicationError:
    return ApplicationError(
        f"e-mail {email.message_id} aan {email.recipient} geweigerd door de mailserver: {code or ''} {reason}".strip(),
        type=EMAIL_REFUSED,
        non_retryable=True,
    )


async def deliver(
    sender: MessageSender, store: EventStore, email: PendingEmail, now: datetime, *, send_within: float | None = None
) -> Delivery:
    """Hand `email` to `sender`, then record its delivery (once, whoever repeats this).

    `send_within` bounds the handing over (`TimeoutError`), never the record: once the server has the
    message, its delivery is recorded. Raises `SendFailed` (try later) as the sender does; `SendRefused`
    after recording the refusal."""
    with bind_operation(message_id=email.message_id, trajectory_id=email.trajectory_id):
        try:
            async with asyncio.timeout(send_within):
                receipt = await sender.send(outgoing(email))  # SendFailed: retried by Temporal's retry policy
        except SendRefused as refusal:
            await _record_refusal(sender, store, email, refusal, now)
            raise
        except BaseException as error:
            EMAILS.labels(sender.transport, "failed").inc()
            log.warning("message_not_sent", transport=sender.transport, error=str(error) or type(error).__name__)
            raise
        EMAILS.labels(sender.transport, "sent").inc()
        delivered_at = max(now, email.created_at)  # never before it was written
        result = await store.append(
            message_stream(email.message_id),
            [
                NewEvent(
                    DELIVERED,
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


async def _record_refusal(
    sender: MessageSender, store: EventStore, email: PendingEmail, refusal: SendRefused, now: datetime
) -> None:
    """`MessageRefused` on the message's stream, once; counted once, when it is first recorded."""
    refused_at = max(now, email.created_at)
    result = await store.append(
        message_stream(email.message_id),
        [
            NewEvent(
                REFUSED,
                {
                    "message_id": email.message_id,
                    "refused_at": refused_at.isoformat(),
                    "transport": sender.transport,
                    "recipient": email.recipient,
                    "code": refusal.code,
                    "reason": refusal.reason[:500],
                },
                event_id=uuid.uuid5(REFUSED_NAMESPACE, email.message_id),
            )
        ],
        ExpectedVersion.NO_STREAM,
        command_id=refusal_command_id(email.message_id),
        correlation_id=email.trajectory_id,
        actor=ACTOR,
    )
    if not result.duplicate:
        EMAILS.labels(sender.transport, "refused").inc()
    log.warning(
        "message_refused",
        transport=sender.transport,
        code=refusal.code,
        reason=refusal.reason[:500],
        duplicate=result.duplicate,
    )
