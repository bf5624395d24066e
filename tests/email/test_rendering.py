"""What an auditee receives: Dutch text and HTML alternatives with the contact, and the audit's `.ics`
that a calendar reads back (UID, SEQUENCE, times in Europe/Amsterdam); the same bytes on every attempt."""

from __future__ import annotations

from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from application.audit_invite import AuditInvite
from application.mail import MailContact, OutgoingMessage, message_id_header
from application.mail_render import render

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CONTACT = MailContact("Petra Planner, CBCT planning", "planning@cbct.example", "030 123 45 67")
SENDER = "CBCT planning <noreply@cbct.example>"
BODY = (
    "Beste Anna <de> Vries & co,\n\n"
    'De audit van "Bibliotheek <Hengelo>" is gepland op dinsdag 21-04-2026 en woensdag 22-04-2026.\n\n'
    "Wat vragen we van u?\n- Lever uiterlijk 10-03-2026 uw zelfevaluatie aan.\n- Reserveer een werkplek <script>.\n\n"
    "Met vriendelijke groet,\n\nCBCT planning\n"
)
INVITE = AuditInvite(
    uid="t-r.audit.1@cbct-trajectories",
    sequence=2,
    dates=(date(2026, 4, 21), date(2026, 4, 22)),
    summary="Audit CBCT – Bibliotheek <Hengelo>",
    location="Bibliotheek <Hengelo>",
    description="Auditoren: Ellen Expert (deskundige auditor) en Peer Bakker (collega-auditor).",
)
MESSAGE = OutgoingMessage(
    message_id="0b0b5b7c-1d2e-5f3a-8b4c-5d6e7f8a9b0c",
    trajectory_id="t-r",
    kind="audit_rescheduled",
    recipient="anna@bibliotheek.example",
    subject="Audit verplaatst naar 21-04-2026 en 22-04-2026 – Bibliotheek <Hengelo>",
    body=BODY,
    created_at="2026-01-08T09:00:00+00:00",
    invite=INVITE,
)


def parsed(message: OutgoingMessage) -> EmailMessage:
    email: EmailMessage = message_from_bytes(render(message, SENDER, CONTACT).as_bytes(), policy=policy.default)
    return email


def test_text_and_html_alternatives_and_the_ics_attachment() -> None:
    email = parsed(MESSAGE)
    assert email.get_content_type() == "multipart/mixed"
    alternative, attachment = email.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "audit.ics" and attachment.get_param("method") == "REQUEST"
    assert attachment.get_content_disposition() == "attachment"
    assert email["Message-ID"] == message_id_header(MESSAGE.message_id)
    assert email["Subject"] == MESSAGE.subject and email["Reply-To"] == CONTACT.email
    assert email["Content-Language"] == "nl" and email["Auto-Submitted"] == "auto-generated"


def test_the_text_part_is_the_body_with_the_contact() -> None:
    text = parsed(MESSAGE).get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert content.startswith(BODY.rstrip())
    assert "Contact: Petra Planner, CBCT planning" in content
    assert "E-mail: planning@cbct.example" in content and "Telefoon: 030 123 45 67" in content


def test_the_html_part_is_escaped_styled_inline_and_loads_nothing() -> None:
    html_part = parsed(MESSAGE).get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Anna &lt;de&gt; Vries &amp; co" in html and "&quot;Bibliotheek &lt;Hengelo&gt;&quot;" in html
    assert "<li" in html and "Lever uiterlijk 10-03-2026 uw zelfevaluatie aan." in html  # the to-do list
    assert "dinsdag 21-04-2026, 09:00-17:00" in html and "woensdag 22-04-2026, 09:00-17:00" in html
    assert 'href="mailto:planning@cbct.example"' in html and "030 123 45 67" in html
    for external in ("http:", "https:", "src=", "<link", "url(", "<style", "<script", "<img"):
        assert external not in html.lower()
    assert 'style="' in html and '<html lang="nl">' in html


def test_every_rendering_is_byte_identical() -> None:
    """The boundaries derive from the message id and the Date is the message's own: a retry sends the
    very same bytes, also in the SMTP form."""
    first, again = render(MESSAGE, SENDER, CONTACT), render(MESSAGE, SENDER, CONTACT)
    assert first.as_bytes() == again.as_bytes()
    assert first.as_bytes(policy=policy.SMTP) == again.as_bytes(policy=policy.SMTP)
    other = OutgoingMessage(**{**MESSAGE.__dict__, "message_id": "another"})
    assert first.get_boundary() != render(other, SENDER, CONTACT).get_boundary()


def test_the_whole_message_is_seven_bit_clean() -> None:
    """Quoted-printable and base64 parts: any SMTP server carries it, 8BITMIME or not."""
    data = render(MESSAGE, SENDER, CONTACT).as_bytes(policy=policy.SMTP)
    assert all(byte < 128 for byte in data)
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def calendar_of(message: OutgoingMessage) -> Calendar:
    attachment = next(p for p in parsed(message).iter_attachments() if p.get_content_type() == "text/calendar")
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def test_the_ics_parses_back_with_uid_sequence_and_amsterdam_times() -> None:
    calendar = calendar_of(MESSAGE)
    assert str(calendar["METHOD"]) == "REQUEST"
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Amsterdam"
    [component] = calendar.walk("VEVENT")
    event: Any = component  # icalendar's property types are a union mypy cannot narrow
    assert str(event["UID"]) == "t-r.audit.1@cbct-trajectories"
    assert int(event["SEQUENCE"]) == 2
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2026, 4, 21, 9, 0, tzinfo=AMSTERDAM) and end == datetime(
        2026, 4, 21, 17, 0, tzinfo=AMSTERDAM
    )
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert start.utcoffset() is not None and start.utcoffset().total_seconds() == 7200  # CEST in April
    [second_day] = event["RDATE"].dts
    assert second_day.dt == datetime(2026, 4, 22, 9, 0, tzinfo=AMSTERDAM)
    assert str(event["STATUS"]) == "CONFIRMED" and str(event["SUMMARY"]) == INVITE.summary
    assert str(event["ORGANIZER"]) == "mailto:planning@cbct.example"
    assert str(event["ATTENDEE"]) == "mailto:anna@bibliotheek.example"


def test_a_cancelled_audit_comes_as_a_cancel_with_status_cancelled() -> None:
    cancelled = INVITE.model_copy(update={"cancelled": True, "sequence": 3})
    message = OutgoingMessage(**{**MESSAGE.__dict__, "kind": "audit_cancelled", "invite": cancelled})
    attachment = next(parsed(message).iter_attachments())
    assert attachment.get_param("method") == "CANCEL" and attachment.get_filename() == "audit-geannuleerd.ics"
    calendar = calendar_of(message)
    [component] = calendar.walk("VEVENT")
    event: Any = component
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 3 and str(event["UID"]) == INVITE.uid
    html_part = parsed(message).get_body(("html",))
    assert html_part is not None and "Geannuleerd" in html_part.get_content()


def test_a_message_without_audit_dates_has_no_attachment() -> None:
    plain = OutgoingMessage(**{**MESSAGE.__dict__, "kind": "announcement", "invite": None})
    email = parsed(plain)
    assert email.get_content_type() == "multipart/alternative"
    assert list(email.iter_attachments()) == []


@pytest.mark.parametrize("data", [MESSAGE.as_dict(), {**MESSAGE.as_dict(), "invite": None}])
def test_an_outgoing_message_round_trips_as_json_data(data: dict[str, object]) -> None:
    assert OutgoingMessage.from_dict(data).as_dict() == data


def test_an_https_link_in_the_text_is_a_link_in_the_html_and_nothing_else_is() -> None:
    """A sign-in link can be clicked; a javascript: or a quote-breaking address cannot become markup."""
    body = (
        "Beste Anna,\n\nMeld u aan via https://cbct.example/api/session/link/abc-123.\n\n"
        'Niet: javascript:alert(1) of https://x.example/"onmouseover="alert(1)\n'
    )
    html_part = parsed(OutgoingMessage(**{**MESSAGE.__dict__, "body": body, "invite": None})).get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert '<a href="https://cbct.example/api/session/link/abc-123" style="color:#00607a">' in html
    assert "link/abc-123</a>." in html  # the full stop stays text
    assert 'href="javascript' not in html and '"onmouseover' not in html and "&quot;onmouseover=&quot;" in html
