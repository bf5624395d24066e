"""Sending e-mail: the port, and a sender that drops each message as an RFC 5322 `.eml` file.

Every message carries a stable `Message-ID` derived from its outbox id, so a send that is retried
(a workflow step is at-least-once) is recognised as the same message: the file sender writes each
message exactly once; an SMTP sender (later) can let the receiving side de-duplicate on the same id.
A sender that cannot deliver raises `SendFailed`; the workflow retries later — delay, never drop or
double.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

MESSAGE_ID_DOMAIN = "cbct-trajectories"
# RFC 5322 atext (minus '%', which quote() uses to escape the rest): keeps ids readable and injective.
_ATEXT = "!#$&'*+-/=?^_`{|}~."
_FILENAME_SAFE = "@._-"


@dataclass(frozen=True)
class OutgoingMessage:
    """One e-mail from the outbox, as JSON-safe data (it is a workflow input)."""

    message_id: str
    trajectory_id: str
    kind: str
    recipient: str
    subject: str
    body: str
    created_at: str  # ISO 8601: the Date header, so a re-rendered message is byte-identical

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutgoingMessage:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class SendReceipt:
    """What a send did: `already_sent` when an earlier attempt had delivered this Message-ID."""

    message_id_header: str
    transport: str
    location: str
    already_sent: bool


class SendFailed(RuntimeError):
    """The message could not be handed over now (e.g. the SMTP server is down); try again later."""


class MessageSender(Protocol):
    """Hands one message over for delivery, idempotently by its Message-ID."""

    transport: str

    async def send(self, message: OutgoingMessage) -> SendReceipt: ...


def message_id_header(message_id: str) -> str:
    """The stable RFC 5322 Message-ID of an outbox message."""
    return f"<{quote(message_id, safe=_ATEXT)}@{MESSAGE_ID_DOMAIN}>"


def render(message: OutgoingMessage, sender: str) -> EmailMessage:
    """The message as RFC 5322 e-mail; a pure function of the message, so every attempt is identical."""
    email = EmailMessage()
    email["Message-ID"] = message_id_header(message.message_id)
    email["Date"] = format_datetime(datetime.fromisoformat(message.created_at))
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["X-CBCT-Trajectory"] = message.trajectory_id
    email["X-CBCT-Kind"] = message.kind
    email.set_content(message.body)  # utf-8, Dutch text as it is
    return email


# Writing and fsyncing e-mails gets threads of its own, so a slow disk never holds up the loop's
# default executor (and whatever else runs there).
_FILE_IO = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cbct-outbox")


class FileSender:
    """Writes `<outbox_dir>/<message id>.eml`, each message exactly once.

    The content goes to a private temporary file first and is then linked into place: `link` fails if
    the target exists (the same guarantee as O_EXCL) and is atomic, so a retried send never writes twice
    and a crash mid-write leaves at most a stray temporary file, never a half `.eml`.
    """

    transport = "file"

    def __init__(self, outbox_dir: Path, sender: str = "CBCT planning <planning@cbct.nl>") -> None:
        self._dir = Path(outbox_dir)
        self._sender = sender

    def path_for(self, message_id: str) -> Path:
        return self._dir / f"{quote(message_id, safe=_FILENAME_SAFE)}.eml"

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        return await asyncio.get_running_loop().run_in_executor(_FILE_IO, self._send, message)

    def _send(self, message: OutgoingMessage) -> SendReceipt:
        header = message_id_header(message.message_id)
        target = self.path_for(message.message_id)
        if target.exists():
            return SendReceipt(header, self.transport, str(target), already_sent=True)
        data = render(message, self._sender).as_bytes()
        try:
            self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # e-mails hold names and addresses
            tmp = self._dir / f".{target.name}.{uuid.uuid4().hex}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                try:
                    os.link(tmp, target)
                    already = False
                except FileExistsError:  # a concurrent attempt won: the message is there once
                    already = True
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(self._dir)
        except OSError as error:
            raise SendFailed(f"{target}: {error}") from error
        return SendReceipt(header, self.transport, str(target), already_sent=already)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
