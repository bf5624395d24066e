"""A real SMTP server on loopback for the e-mail tests (aiosmtpd), and a self-signed certificate for it.

`Mailbox` is the server's handler: it keeps every message the server accepted (thread-safe: aiosmtpd
runs in a thread of its own) and refuses what a test tells it to, with the reply the test chooses.
`SmtpServer` starts and stops the server on a fixed free port, so a test can take it away mid-run
and bring it back where the senders expect it.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from infrastructure.loopback_port import free_port


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope and its bytes as they came."""

    envelope_from: str
    recipients: tuple[str, ...]
    data: bytes
    authenticated_as: str | None
    tls: bool

    @property
    def message(self) -> EmailMessage:
        message: EmailMessage = message_from_bytes(self.data, policy=policy.default)
        return message

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Mailbox:
    """The handler: accepts, or refuses a recipient (`refuse`) or every message (`data_reply`)."""

    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> reply, e.g. "550 5.1.1 ..."
    data_reply: str | None = None
    _received: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        reply = self.refuse.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        login = session.auth_data if session.authenticated else None
        received = Received(
            envelope_from=str(envelope.mail_from),
            recipients=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
            authenticated_as=login.login.decode() if isinstance(login, LoginPassword) else None,
            tls=session.ssl is not None,
        )
        with self._lock:
            self._received.append(received)
        return "250 2.0.0 OK: queued"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def by_message_id(self) -> Counter[str]:
        """How often each Message-ID arrived."""
        return Counter(r.message_id for r in self.received)


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at one port for its whole life; `stop()` and `start()` again at will."""

    def __init__(self, mailbox: Mailbox, *, port: int | None = None, **smtp: Any) -> None:
        self.mailbox = mailbox
        self.port = port or free_port()
        self._smtp = smtp
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **self._smtp)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None


def password_check(user: str, password: str) -> Any:
    """An aiosmtpd authenticator that accepts exactly `user` with `password`."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


@dataclass(frozen=True)
class SelfSigned:
    """A certificate for 127.0.0.1, signed by its own key: the server's identity and the client's CA."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def self_signed(directory: Path) -> SelfSigned:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cbct test smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return SelfSigned(cert_path, key_path)
