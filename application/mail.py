"""Sending e-mail, the port: one outbox message, what a send did, and how a send can fail.

Adapters (the file sender in `activities.sender`, the SMTP sender in `infrastructure.smtp_sender`)
implement `MessageSender`. Two ways to fail, because they call for opposite handling:
- `SendFailed`: not now (the server is down, a timeout, a 4xx answer). Try again later; the message
  waits and is never dropped.
- `SendRefused`: never (a 5xx answer for the recipient or the message, or a message that cannot be
  composed). Retrying cannot help; it is recorded once as a failure ops see.

Every message carries a stable `Message-ID` derived from its outbox id, so a send that is repeated (a
workflow step is at-least-once) is recognised as the same message by whoever receives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from application.audit_invite import AuditInvite

MESSAGE_ID_DOMAIN = "cbct-trajectories"
# RFC 5322 atext (minus '%', which quote() uses to escape the rest): keeps ids readable and injective.
_ATEXT = "!#$&'*+-/=?^_`{|}~."


@dataclass(frozen=True)
class OutgoingMessage:
    """One e-mail from the outbox, as JSON-safe data; `invite` is the audit's calendar entry, if any."""

    message_id: str
    trajectory_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: str  # ISO 8601: the Date header, so a re-rendered message is byte-identical
    invite: AuditInvite | None = None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["invite"] = self.invite.model_dump(mode="json") if self.invite is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutgoingMessage:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        invite = fields.get("invite")
        fields["invite"] = AuditInvite.model_validate(invite) if invite is not None else None
        return cls(**fields)


@dataclass(frozen=True)
class SendReceipt:
    """What a send did: `already_sent` when an earlier attempt had delivered this Message-ID."""

    message_id_header: str
    transport: str
    location: str
    already_sent: bool


@dataclass(frozen=True)
class MailContact:
    """Who an auditee can ask: shown at the foot of every e-mail (from the settings)."""

    name: str = "CBCT planning"
    email: str = "planning@cbct.nl"
    phone: str | None = None


class SendFailed(RuntimeError):
    """The message could not be handed over now (e.g. the SMTP server is down); try again later."""


class SendRefused(RuntimeError):
    """The message is refused for good (a 5xx answer for its recipient or its content): never retry.

    `code` is the server's reply code (0 when the message could not even be composed); `reason` its
    text, as ops should read it."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}" if code else reason)
        self.code = code
        self.reason = reason


class MessageSender(Protocol):
    """Hands one message over for delivery; the same message every time it is asked (its Message-ID)."""

    transport: str

    async def send(self, message: OutgoingMessage) -> SendReceipt: ...


def message_id_header(message_id: str) -> str:
    """The stable RFC 5322 Message-ID of an outbox message."""
    return f"<{quote(message_id, safe=_ATEXT)}@{MESSAGE_ID_DOMAIN}>"
