"""The SMTP sender (aiosmtplib): hands each e-mail to the configured mail server.

One connection per message: connect (TLS from the start, or STARTTLS, as configured; the server's
certificate verified), AUTH when a user is configured, MAIL/RCPT/DATA, QUIT. What goes wrong decides
what happens to the e-mail:
- the server cannot be reached, the connection drops, a step times out, or it answers 4xx (try
  later), or it refuses our own credentials or sender address (a configuration ops must fix):
  `SendFailed`. Temporal retries the send with backoff, so e-mails wait while the server is away;
  none is dropped.
- the server answers 5xx to the recipient (RCPT) or to the message (DATA), or the message cannot
  be written for SMTP at all: `SendRefused`. The e-mail activity records that once (`MessageRefused`)
  as a failure ops see, and does not retry it.

Never sent twice, with one window left: the e-mail activity records the delivery only after the
server accepted the message (its 250 to DATA). A process that dies between that answer and the record
(or a reply lost on the wire after the server queued the message) makes the activity run again, and
the message goes out a second time: byte-identical, with the same `Message-ID`, which receiving
systems and mail clients de-duplicate on. A send whose delivery is recorded is never repeated. QUIT
problems after the server accepted the message are ignored: the message is delivered.
"""

from __future__ import annotations

import ssl
from email import policy
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

import aiosmtplib

from application.mail import MailContact, OutgoingMessage, SendFailed, SendReceipt, SendRefused, message_id_header
from application.mail_render import render
from infrastructure.logging import get_logger
from infrastructure.settings import Settings

log = get_logger(__name__)

Security = Literal["none", "starttls", "tls"]
DEFAULT_PORTS: dict[Security, int] = {"none": 25, "starttls": 587, "tls": 465}
_REASON_LIMIT = 500


class SmtpSender:
    """Sends e-mails through one SMTP server (see the module docstring for the failure rules)."""

    transport = "smtp"

    def __init__(
        self,
        host: str,
        *,
        port: int | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ca_file: Path | None = None,
        sender: str = "CBCT planning <planning@cbct.nl>",
        contact: MailContact | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port or DEFAULT_PORTS[security]
        self._security = security
        self._username = username
        self._password = password
        self._timeout = timeout
        self._sender = sender
        self._envelope_from = parseaddr(sender)[1] or sender
        self._contact = contact or MailContact()
        if tls_context is None and security != "none":
            tls_context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._tls = tls_context

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender:
        if not settings.smtp_host:
            raise ValueError("smtp_host: nodig voor de SMTP-verzender")
        return cls(
            settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
            sender=settings.mail_from,
            contact=MailContact(settings.contact_name, settings.contact_email, settings.contact_phone),
        )

    @property
    def address(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    async def send(self, message: OutgoingMessage) -> SendReceipt:
        header = message_id_header(message.message_id)
        try:
            data = render(message, self._sender, self._contact).as_bytes(policy=policy.SMTP)
        except ValueError as error:  # a recipient or text no e-mail can carry: retrying cannot help
            raise SendRefused(0, f"het bericht is niet op te stellen: {error}") from error
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self._security == "tls",
            start_tls=self._security == "starttls",
            tls_context=self._tls,
            timeout=self._timeout,
            username=self._username,
            password=self._password,
        )
        try:
            await client.connect()
            _errors, answer = await client.sendmail(self._envelope_from, [message.recipient], data)
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise _recipients_refused(error, self.address) from error
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as error:
            raise _classified(error.code, error.message, self.address) from error
        except aiosmtplib.SMTPResponseException as error:  # credentials, sender address, greeting: config
            raise SendFailed(f"{self.address}: {error.code} {_short(error.message)}") from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:  # also TLS: SSLError is an OSError
            raise SendFailed(f"{self.address}: {type(error).__name__}: {_short(str(error))}") from error
        except ValueError as error:  # an address aiosmtplib will not put on the wire (after OSError: see above)
            raise SendRefused(0, f"adres niet bruikbaar: {error}") from error
        finally:
            await _quit(client)
        return SendReceipt(header, self.transport, f"{self.address} {_short(answer)}", already_sent=False)


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye if the connection is still there; nothing after the server's answer changes the outcome."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()


def _recipients_refused(error: aiosmtplib.SMTPRecipientsRefused, address: str) -> SendFailed | SendRefused:
    refusal = error.recipients[0] if error.recipients else None
    if refusal is None:
        return SendFailed(f"{address}: {error}")
    return _classified(refusal.code, refusal.message, address)


def _classified(code: int, text: str, address: str) -> SendFailed | SendRefused:
    """5xx: refused for good; anything else (4xx: try later)."""
    if 500 <= code < 600:
        return SendRefused(code, _short(text))
    return SendFailed(f"{address}: {code} {_short(text)}")


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= _REASON_LIMIT else one_line[: _REASON_LIMIT - 1] + "…"
