"""One durable workflow per outbox message (id `deliver:<message id>`): send it, then record it sent.

First the message goes to the sender, retried with backoff; the sender is idempotent by Message-ID, so
an at-least-once send delivers at most one e-mail. Then `MessageDelivered` is appended to the stream
`message-<message id>`, idempotent by its command id; the messages projection marks the message sent
from it. Both actions are idempotent, so the workflow needs no DBOS steps (why: `workflows/commands.py`):
a crash between the two runs the workflow again, the send finds the message already sent, and the
record follows. While the sender is down (`SendFailed`), the send keeps retrying with backoff and the
workflow stays PENDING, across restarts too — the e-mail is delayed, never dropped or doubled. Only a
sender that stays down for about 30 hours, or refuses a message for good, ends it in ERROR for ops.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dbos import DBOS, WorkflowSerializationFormat

from activities.sender import FileSender, MessageSender, OutgoingMessage, SendFailed, SendReceipt
from application.event_store import AppendResult, ExpectedVersion, NewEvent
from infrastructure.logging import bind_operation, get_logger
from workflows import engine, faults
from workflows.transient import retrying

if TYPE_CHECKING:
    from bootstrap import App
    from projections.messages import OutboxMessage

log = get_logger(__name__)

DELIVERED_NAMESPACE = uuid.UUID("0b7f7f7e-2f5c-4c1e-9d55-5a3f0f6c1d21")
ACTOR = "system:notifications"
PAGE = 100
CONCURRENT = 16  # deliveries in flight at once: more only queue for DBOS's connections


def workflow_id_for(message_id: str) -> str:
    return f"deliver:{message_id}"


def sender_for(app: App) -> MessageSender:
    """The configured sender (the file sender until SMTP lands)."""
    return FileSender(app.settings.outbox_dir, app.settings.mail_from)


def check_recipient(message: dict[str, Any]) -> bool:
    """Revision 2's new check: a recipient without an address is logged before the send is tried."""
    ok = "@" in message["recipient"]
    if not ok:
        log.warning("message_recipient_invalid", message_id=message["message_id"])
    return ok


async def send_message(message: dict[str, Any]) -> dict[str, Any]:
    """Hand the message to the sender; a retry of a sent message is recognised by its Message-ID."""
    app = engine.runtime()
    outgoing = OutgoingMessage.from_dict(message)
    with bind_operation(message_id=outgoing.message_id, trajectory_id=outgoing.trajectory_id):
        # Patient: 2 s, 4 s, ... then hourly, about 30 hours in all. The workflow stays PENDING
        # meanwhile and survives restarts; only then does it end in ERROR.
        receipt: SendReceipt = await retrying(40, first_wait=2.0, max_wait=3600.0, retry_on=SendFailed)(
            sender_for(app).send, outgoing
        )
        log.info("message_sent", transport=receipt.transport, already_sent=receipt.already_sent)
        await faults.pause_point("send:after_write", DBOS.workflow_id)
    return {
        "transport": receipt.transport,
        "message_id_header": receipt.message_id_header,
        "location": receipt.location,
    }


async def record_delivery(message: dict[str, Any], transport: str, now: str | None) -> dict[str, Any]:
    """Append `MessageDelivered` once (command id `deliver:<id>`, fixed event id)."""
    await faults.pause_point("deliver:before_record", DBOS.workflow_id)
    app = engine.runtime()
    message_id = message["message_id"]
    moment = datetime.fromisoformat(now) if now is not None else await app.clock.now()
    # Never before it was written: a controlled clock may trail the moment a command wrote it.
    delivered_at = max(moment, datetime.fromisoformat(message["created_at"]))
    with bind_operation(message_id=message_id, trajectory_id=message["trajectory_id"]):
        result: AppendResult = await retrying(5, first_wait=0.5, max_wait=8.0)(
            app.store.append,
            f"message-{message_id}",
            [
                NewEvent(
                    "MessageDelivered",
                    {"message_id": message_id, "delivered_at": delivered_at.isoformat(), "transport": transport},
                    event_id=uuid.uuid5(DELIVERED_NAMESPACE, message_id),
                )
            ],
            ExpectedVersion.NO_STREAM,
            command_id=workflow_id_for(message_id),
            correlation_id=message["trajectory_id"],
            actor=ACTOR,
        )
        log.info("message_delivered", duplicate=result.duplicate)
    return {"delivered": True, "duplicate": result.duplicate}


@DBOS.workflow(name="cbct.deliver", serialization_type=WorkflowSerializationFormat.PORTABLE)
async def deliver_workflow(message: dict[str, Any], now: str | None = None) -> dict[str, Any]:
    """Send one outbox message and record it delivered at `now` (ISO 8601, the dispatcher's moment;
    the process clock's when absent)."""
    # Revision 2 added a check before the send. With no steps there is no recorded order to keep, so a
    # workflow begun under revision 1 simply finishes under revision 2 (tests/workflows/test_revisions.py).
    checked = check_recipient(message) if faults.code_revision() >= 2 else None
    sent = await send_message(message)
    recorded = await record_delivery(message, sent["transport"], now)
    return {"message_id": message["message_id"], **sent, **recorded, "recipient_checked": checked}


async def deliver_pending(app: App) -> int:
    """Deliver every pending outbox message once; return how many were newly recorded delivered.

    A message whose sender is down stays pending: its workflow keeps trying (this call stops waiting
    for it after `workflow_wait_seconds`) and later calls attach to it rather than start another.
    """
    from projections.messages import pending_messages
    from projections.registry import MESSAGES

    attempted: set[str] = set()
    delivered = 0
    gate = asyncio.Semaphore(CONCURRENT)
    now: str | None = None
    while True:
        page = [m for m in await pending_messages(app.pool, limit=PAGE) if m.message_id not in attempted]
        if not page:
            return delivered
        if now is None:  # read once, and only when there is something to send
            now = (await app.clock.now()).isoformat()
        attempted.update(m.message_id for m in page)
        results = await asyncio.gather(*(_deliver_one(app, m, now, gate) for m in page))
        delivered += sum(1 for r in results if r is not None and not r["duplicate"])
        await app.projections.catch_up(MESSAGES)  # so the next page leaves out what was just delivered


async def _deliver_one(app: App, message: OutboxMessage, now: str, gate: asyncio.Semaphore) -> dict[str, Any] | None:
    async with gate:
        return await _deliver(app, message, now)


async def _deliver(app: App, message: OutboxMessage, now: str) -> dict[str, Any] | None:
    outgoing = OutgoingMessage(
        message_id=message.message_id,
        trajectory_id=message.trajectory_id,
        kind=message.kind,
        recipient=message.recipient or "",  # pending messages are addressed
        subject=message.subject,
        body=message.body,
        created_at=message.created_at.isoformat(),
    )
    try:
        result: dict[str, Any] = await engine.run_once(
            deliver_workflow,
            workflow_id_for(outgoing.message_id),
            outgoing.as_dict(),
            now,
            wait_seconds=app.settings.workflow_wait_seconds,
        )
    except TimeoutError:  # the sender is slow or down: the workflow keeps trying on its own
        log.info("message_delivery_still_running", message_id=outgoing.message_id)
        return None
    except engine.WorkflowFailed as error:
        log.warning("message_delivery_failed", message_id=outgoing.message_id, error=str(error))
        return None
    return result
