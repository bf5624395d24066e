"""Sending e-mail: the port (`application.mail`, re-exported here), and the file sender for development.

The file sender drops each message as an RFC 5322 `.eml` file, exactly once per Message-ID (so a retried
send writes nothing twice); the SMTP sender for real mailboxes is `infrastructure.smtp_sender`.
`bootstrap.sender_for` picks SMTP when a host is configured, this one otherwise. Both render the same
bytes (`application.mail_render.render`): text and HTML parts, the audit's `.ics`, a stable Message-ID.
A sender that cannot deliver now raises `SendFailed` (the workflow retries later: delay, never drop or
double); one whose message is refused for good raises `SendRefused`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from application.mail import (
    MESSAGE_ID_DOMAIN,
    MailContact,
    MessageSender,
    OutgoingMessage,
    SendFailed,
    SendReceipt,
    SendRefused,
    message_id_header,
)
from application.mail_render import render

__all__ = [
    "MESSAGE_ID_DOMAIN",
    "FileSender",
    "MailContact",
    "MessageSender",
    "OutgoingMessage",
    "SendFailed",
    "SendReceipt",
    "SendRefused",
    "message_id_header",
    "render",
]

_FILENAME_SAFE = "@._-"


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

    def __init__(
        self, outbox_dir: Path, sender: str = "CBCT planning <planning@cbct.nl>", contact: MailContact | None = None
    ) -> None:
        self._dir = Path(outbox_dir)
        self._sender = sender
        self._contact = contact or MailContact()

    def path_for(self, message_id: str) -> Path:
        return self._dir / f"{quote(message_id, safe=_FILENAME_SAFE)}.eml"

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        return await asyncio.get_running_loop().run_in_executor(_FILE_IO, self._send, message)

    def _send(self, message: OutgoingMessage) -> SendReceipt:
        header = message_id_header(message.message_id)
        target = self.path_for(message.message_id)
        if target.exists():
            return SendReceipt(header, self.transport, str(target), already_sent=True)
        try:
            data = render(message, self._sender, self._contact).as_bytes()
        except ValueError as error:  # e.g. a recipient no header can hold: retrying cannot help
            raise SendRefused(0, f"het bericht is niet op te stellen: {error}") from error
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
