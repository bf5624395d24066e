"""An outbox message as the e-mail an auditee receives: Dutch text and HTML alternatives, and the
audit's `.ics` when the message is about its dates.

Structure: ``multipart/alternative`` (text/plain, text/html), wrapped in ``multipart/mixed`` with a
``text/calendar`` attachment (``audit.ics``) when the message carries an `AuditInvite`. The text part
is the message body as the outbox stores it, then the contact; the HTML part says the same, escaped,
with inline styles only (no external resources: nothing loads, nothing tracks). Both are
quoted-printable, so the e-mail is 7-bit clean for any SMTP server.

Pure: the message, the From address and the contact make the bytes. The Date is the message's own
time, the MIME boundaries derive from its id, so every attempt to send it is byte-identical.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from html import escape
from urllib.parse import quote

from application.audit_invite import AuditInvite
from application.invite_ics import invite_ics
from application.mail import MailContact, OutgoingMessage, message_id_header

_FONT = "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222222"
_BOX = "border-left:4px solid #00607a;background:#eef6f8;padding:12px 16px;margin:0 0 20px"
_CANCELLED_BOX = "border-left:4px solid #a33a1f;background:#fbefeb;padding:12px 16px;margin:0 0 20px"


def render(message: OutgoingMessage, sender: str, contact: MailContact | None = None) -> EmailMessage:
    """The message as an RFC 5322 e-mail (see the module docstring)."""
    contact = contact or MailContact()
    email = EmailMessage()
    email["Message-ID"] = message_id_header(message.message_id)
    email["Date"] = format_datetime(datetime.fromisoformat(message.created_at))
    email["From"] = sender
    email["Reply-To"] = contact.email
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to CBCT's robot
    email["X-CBCT-Trajectory"] = message.trajectory_id
    email["X-CBCT-Kind"] = message.kind
    email.set_content(text_part(message, contact), cte="quoted-printable")
    email.add_alternative(html_part(message, contact), subtype="html", cte="quoted-printable")
    if message.invite is not None:
        organiser_name, organiser_email = contact.name, contact.email
        ics = invite_ics(
            message.invite,
            organiser_name=organiser_name,
            organiser_email=organiser_email or parseaddr(sender)[1],
            attendee=message.recipient,
            stamp=datetime.fromisoformat(message.created_at),
        )
        email.add_attachment(
            ics.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="audit-geannuleerd.ics" if message.invite.cancelled else "audit.ics",
            params={"method": message.invite.method, "charset": "utf-8"},
        )
    email["Content-Language"] = "nl"  # after the parts: set_content clears the Content-* headers
    for number, part in enumerate(p for p in email.walk() if p.is_multipart()):
        digest = hashlib.sha256(f"{message.message_id}/{number}".encode()).hexdigest()[:32]
        part.set_boundary(f"cbct-{number}-{digest}")
    return email


def contact_lines(contact: MailContact) -> list[tuple[str, str]]:
    lines = [("Contact", contact.name), ("E-mail", contact.email)]
    if contact.phone:
        lines.append(("Telefoon", contact.phone))
    return lines


def text_part(message: OutgoingMessage, contact: MailContact) -> str:
    """The body, then the contact under a signature separator."""
    footer = "\n".join(f"{label}: {value}" for label, value in contact_lines(contact))
    return f"{message.body.rstrip()}\n\n-- \n{footer}\n"


def html_part(message: OutgoingMessage, contact: MailContact) -> str:
    """The body as simple HTML: paragraphs, 'Wat vragen we van u?' lists, the audit dates on top."""
    blocks = [_invite_box(message.invite)] if message.invite is not None else []
    blocks += [_block(paragraph) for paragraph in message.body.strip().split("\n\n") if paragraph.strip()]
    details = "<br>".join(f"{escape(label)}: {_value(label, value)}" for label, value in contact_lines(contact))
    return (
        '<!DOCTYPE html>\n<html lang="nl">\n<head><meta charset="utf-8">'
        f"<title>{escape(message.subject)}</title></head>\n"
        '<body style="margin:0;padding:0;background:#f4f4f4">\n'
        f'<div style="max-width:600px;margin:0 auto;padding:24px;background:#ffffff;{_FONT}">\n'
        + "\n".join(blocks)
        + '\n<hr style="border:none;border-top:1px solid #dddddd;margin:24px 0 12px">\n'
        f'<p style="margin:0;font-size:13px;color:#555555">{details}</p>\n'
        "</div>\n</body>\n</html>\n"
    )


def _invite_box(invite: AuditInvite) -> str:
    title = "Geannuleerd" if invite.cancelled else "Auditdatum" if len(invite.dates) == 1 else "Auditdagen"
    style = _CANCELLED_BOX if invite.cancelled else _BOX
    when = "<br>".join(escape(day) for day in invite.when().split("; "))
    return f'<div style="{style}"><strong>{escape(title)}</strong><br>{when}</div>'


def _block(paragraph: str) -> str:
    lines = paragraph.strip("\n").split("\n")
    items = [line[2:] for line in lines[1:] if line.startswith("- ")]
    if len(lines) > 1 and len(items) == len(lines) - 1:
        entries = "".join(f'<li style="margin:0 0 6px">{_inline(item)}</li>' for item in items)
        return (
            f'<p style="margin:0 0 8px"><strong>{_inline(lines[0])}</strong></p>'
            f'<ul style="margin:0 0 16px;padding-left:20px">{entries}</ul>'
        )
    return f'<p style="margin:0 0 16px">{"<br>".join(_inline(line) for line in lines)}</p>'


_URL = re.compile(r"https://[^\s<>\"']+")


def _inline(text: str) -> str:
    """Escaped text; an https:// address in it (a sign-in link) becomes a link to click, nothing loads."""
    parts, end = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        parts.append(escape(text[end : match.start()]))
        parts.append(f'<a href="{escape(url)}" style="color:#00607a">{escape(url)}</a>')
        end = match.start() + len(url)
    parts.append(escape(text[end:]))
    return "".join(parts)


def _value(label: str, value: str) -> str:
    if label == "E-mail":
        return f'<a href="mailto:{escape(quote(value, safe="@.+-_"))}" style="color:#00607a">{escape(value)}</a>'
    return escape(value)
