"""The SMTP sender against a real SMTP server on loopback (aiosmtpd): what arrives, and how each kind of
failure is told apart — try later (`SendFailed`) or refused for good (`SendRefused`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from application.audit_invite import AuditInvite
from application.mail import MailContact, OutgoingMessage, SendFailed, SendRefused, message_id_header
from infrastructure.loopback_port import free_port
from infrastructure.settings import Settings
from infrastructure.smtp_sender import SmtpSender
from tests.email.smtp_server import Mailbox, SmtpServer, password_check, self_signed

MESSAGE = OutgoingMessage(
    message_id="7d1c3c8e-5f44-5b0a-9b1e-2c7f0f2a6e11",
    trajectory_id="t-smtp",
    kind="audit_scheduled",
    recipient="anna@bibliotheek.example",
    subject="Audit gepland op 21-04-2026 – Bibliotheek Hengelo",
    body="Beste Anna de Vries,\n\nDe audit van Bibliotheek Hengelo is gepland op dinsdag 21-04-2026.\n",
    created_at="2026-01-08T09:00:00+00:00",
    invite=AuditInvite(
        uid="t-smtp.audit.1@cbct-trajectories", dates=(date(2026, 4, 21),), summary="Audit CBCT – Bibliotheek Hengelo"
    ),
)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def plain_server(mailbox: Mailbox) -> Iterator[SmtpServer]:
    server = SmtpServer(mailbox).start()
    try:
        yield server
    finally:
        server.stop()


def plain_sender(server: SmtpServer) -> SmtpSender:
    return SmtpSender("127.0.0.1", port=server.port, security="none", timeout=5)


async def test_a_message_arrives_as_rendered_with_its_message_id_and_envelope(plain_server: SmtpServer) -> None:
    receipt = await plain_sender(plain_server).send(MESSAGE)
    [received] = plain_server.mailbox.received
    assert received.recipients == ("anna@bibliotheek.example",)
    assert received.envelope_from == "planning@cbct.nl"
    assert received.message_id == message_id_header(MESSAGE.message_id) == receipt.message_id_header
    assert receipt.transport == "smtp" and not receipt.already_sent
    assert f"127.0.0.1:{plain_server.port}" in receipt.location


async def test_every_attempt_sends_the_same_bytes(plain_server: SmtpServer) -> None:
    """A repeated send (the window after the server accepted, before the record) is byte-identical."""
    sender = plain_sender(plain_server)
    await sender.send(MESSAGE)
    await sender.send(MESSAGE)
    first, second = plain_server.mailbox.received
    assert first.data == second.data
    assert plain_server.mailbox.by_message_id() == {message_id_header(MESSAGE.message_id): 2}


async def test_a_server_that_is_not_there_is_a_failure_to_retry() -> None:
    sender = SmtpSender("127.0.0.1", port=free_port(), security="none", timeout=2)
    with pytest.raises(SendFailed, match=r"127\.0\.0\.1"):
        await sender.send(MESSAGE)


async def test_a_4xx_for_the_recipient_is_a_failure_to_retry(plain_server: SmtpServer) -> None:
    plain_server.mailbox.refuse[MESSAGE.recipient] = "450 4.2.1 mailbox busy, try later"
    with pytest.raises(SendFailed, match="450"):
        await plain_sender(plain_server).send(MESSAGE)
    assert plain_server.mailbox.received == []


async def test_a_5xx_for_the_recipient_is_refused_for_good(plain_server: SmtpServer) -> None:
    plain_server.mailbox.refuse[MESSAGE.recipient] = "550 5.1.1 no such user here"
    with pytest.raises(SendRefused) as refused:
        await plain_sender(plain_server).send(MESSAGE)
    assert refused.value.code == 550 and "no such user" in refused.value.reason


async def test_a_5xx_for_the_message_is_refused_for_good_and_a_4xx_is_retried(plain_server: SmtpServer) -> None:
    plain_server.mailbox.data_reply = "554 5.6.0 message content rejected"
    with pytest.raises(SendRefused) as refused:
        await plain_sender(plain_server).send(MESSAGE)
    assert refused.value.code == 554
    plain_server.mailbox.data_reply = "451 4.3.0 local error, try again"
    with pytest.raises(SendFailed, match="451"):
        await plain_sender(plain_server).send(MESSAGE)


async def test_an_address_no_header_can_hold_is_refused_without_reaching_the_server(plain_server: SmtpServer) -> None:
    forged = OutgoingMessage(**{**MESSAGE.__dict__, "recipient": "anna@x.example\r\nBcc: all@x.example"})
    with pytest.raises(SendRefused):
        await plain_sender(plain_server).send(forged)
    assert plain_server.mailbox.received == []


async def test_starttls_and_auth_against_a_self_signed_certificate(tmp_path: Path, mailbox: Mailbox) -> None:
    """STARTTLS is required by the server and AUTH only over TLS; the sender verifies the certificate
    against the CA file it is given, signs in, and the message arrives over TLS as that user."""
    cert = self_signed(tmp_path / "tls")
    server = SmtpServer(
        mailbox,
        tls_context=cert.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=password_check("cbct", "geheim-wachtwoord"),
    ).start()
    try:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="starttls",
            smtp_username="cbct",
            smtp_password=SecretStr("geheim-wachtwoord"),
            smtp_ca_file=cert.cert,
            smtp_timeout=5,
        )
        await SmtpSender.from_settings(settings).send(MESSAGE)
        [received] = mailbox.received
        assert received.tls and received.authenticated_as == "cbct"
        wrong = settings.model_copy(update={"smtp_password": SecretStr("fout")})
        with pytest.raises(SendFailed, match="535"):  # our credentials: a configuration to fix, not a refusal
            await SmtpSender.from_settings(wrong).send(MESSAGE)
        untrusted = settings.model_copy(update={"smtp_ca_file": None})
        with pytest.raises(SendFailed):  # a certificate nobody vouches for: never talk to it
            await SmtpSender.from_settings(untrusted).send(MESSAGE)
        assert len(mailbox.received) == 1
    finally:
        server.stop()


async def test_implicit_tls(tmp_path: Path, mailbox: Mailbox) -> None:
    cert = self_signed(tmp_path / "tls")
    server = SmtpServer(mailbox, ssl_context=cert.server_context()).start()
    try:
        sender = SmtpSender(
            "127.0.0.1", port=server.port, security="tls", ca_file=cert.cert, timeout=5, contact=MailContact()
        )
        await sender.send(MESSAGE)
        [received] = mailbox.received
        assert received.message_id == message_id_header(MESSAGE.message_id)
    finally:
        server.stop()


def test_settings_pick_ports_and_refuse_a_password_in_the_clear() -> None:
    assert SmtpSender("mail.example", security="tls").port == 465
    assert SmtpSender("mail.example", security="starttls").port == 587
    assert SmtpSender("mail.example", security="none").port == 25
    with pytest.raises(ValueError, match="CBCT_SMTP_SECURITY"):
        Settings(smtp_host="mail.example", smtp_security="none", smtp_username="u", smtp_password=SecretStr("p"))
    with pytest.raises(ValueError, match="CBCT_SMTP_USERNAME"):
        Settings(smtp_host="mail.example", smtp_username="u")
