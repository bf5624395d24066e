"""An outbox e-mail as the `.eml` file the mail server got (or will get), for ops to forward.

A mail server refused the address for good: the e-mail is composed again from the trajectory's events
(`activities.outbox.composed`) and rendered as the sender renders it (`application.mail_render`, SMTP
line endings), with the same Message-ID, both parts and the `.ics`. Opened in a mail program, it is
forwarded to an address that works. Used by `/beheer` (*Downloaden*) and `cbct email save`.
"""

from __future__ import annotations

import re
from email import policy
from typing import Any

from activities.outbox import composed, outgoing
from application import mail_render
from application.mail import MailContact
from projections.messages import message_by_id

MESSAGE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
"""A message id (`projections.messages.message_id_for`: a UUID in its canonical text)."""


async def email_file(app: Any, message_id: str) -> tuple[bytes, str] | None:
    """The e-mail's bytes and its status in the outbox (`refused`, `pending`, `sent`); None when no
    stored event composes a message of that id with an address."""
    message = await message_by_id(app.pool, message_id) if MESSAGE_ID.match(message_id) else None
    email = await composed(app.store, message.trajectory_id, message_id) if message is not None else None
    if message is None or email is None:
        return None
    settings = app.settings
    contact = MailContact(settings.contact_name, settings.contact_email, settings.contact_phone)
    data = mail_render.render(outgoing(email), settings.mail_from, contact).as_bytes(policy=policy.SMTP)
    return data, message.status
