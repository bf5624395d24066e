"""The e-mail to a contact person named anew (`ContactsChanged`): what is ahead, as of the change."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain import events as ev
from domain.commands import Contact
from projections.message_texts import Draft, MessageContext, compose, evolve_context

AUDIT_DAY = date(2026, 4, 21)
BEFORE = MessageContext(
    organisation="Bibliotheek Hengelo", certificate_number="1002", framework_version="kib-ii-2023",
    recipient="an@bibliotheekhengelo.example", recipient_name="An de Vries", audit_quarter="2026-K2",
)  # fmt: skip
PLANNED = BEFORE.model_copy(update={"audit_dates": (AUDIT_DAY,), "invite_round": 1, "invite_dates": (AUDIT_DAY,)})


def _welcome(ctx: MessageContext, on: date, email: str = "bram@bibliotheekhengelo.example") -> Draft | None:
    event = ev.ContactsChanged(
        trajectory_id="T-1", occurred_at=datetime.combine(on, datetime.min.time(), UTC), changed_on=on,
        contacts=(Contact(name="Bram Nieuw", email=email), Contact(name="An de Vries", email=ctx.recipient or "")),
    )  # fmt: skip
    after = evolve_context(ctx, event)
    assert after is not None and after.recipient == email
    return compose(event, after)


def test_a_planned_audit_is_named_with_its_calendar_entry() -> None:
    draft = _welcome(PLANNED, date(2026, 2, 2))
    assert draft is not None and draft.body.startswith("Beste Bram Nieuw,")
    assert "staat gepland op dinsdag 21-04-2026" in draft.body
    assert draft.invite is not None and draft.invite.dates == (AUDIT_DAY,)


def test_before_the_audit_is_planned_the_quarter_is_named() -> None:
    draft = _welcome(BEFORE, date(2026, 2, 2))
    assert draft is not None and "vindt plaats in 2026-K2" in draft.body and draft.invite is None


def test_an_audit_day_already_past_is_not_announced_as_ahead() -> None:
    draft = _welcome(PLANNED, date(2026, 5, 1))
    assert draft is not None and draft.invite is None
    assert "gepland" not in draft.body and "vindt plaats" not in draft.body


def test_the_same_first_contact_in_other_letters_gets_no_welcome() -> None:
    assert _welcome(PLANNED, date(2026, 2, 2), email="AN@BibliotheekHengelo.example") is None
