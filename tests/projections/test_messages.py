"""The notification outbox: Dutch e-mails from events, the right recipient, and delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from activities.outbox import emails_of
from application.event_store import ExpectedVersion, NewEvent
from application.trajectories import stream_id
from domain import ChangeContacts, OpenTrajectory, RecordIntake, ScheduleAudit, SendAnnouncement
from projections.messages import list_messages, message_stream, pending_messages
from tests.projections.world import World, certified_after_heraudit
from tests.unit.driver import intake_fields

pytestmark = pytest.mark.asyncio(loop_scope="session")

T = "kib2-1002"


async def _scheduled(world: World, contact_email: str | None = "info@bibliotheekhengelo.example") -> None:
    await world.do(
        OpenTrajectory,
        "2025-11-03",
        T,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
        contact_email=contact_email,
    )
    await world.do(SendAnnouncement, "2025-11-04", T)
    await world.do(RecordIntake, "2025-11-10", T, **intake_fields())
    await world.do(
        ScheduleAudit,
        "2026-01-08",
        T,
        audit_dates=[date(2026, 4, 21)],
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    await world.catch_up()


async def test_messages_are_dutch_and_go_to_the_contact_email_until_the_intake_names_contacts(world: World) -> None:
    """The announcement goes to the opening's contact_email; after the intake mail goes to its first contact."""
    await _scheduled(world)
    messages = {m.kind: m for m in await list_messages(world.pool, T)}
    assert list(messages) == ["announcement", "intake_received", "audit_scheduled"]
    announcement = messages["announcement"]
    assert (announcement.recipient, announcement.status) == ("info@bibliotheekhengelo.example", "pending")
    assert announcement.subject == "Aankondiging audit 2026-K2 – Bibliotheek Hengelo"
    assert announcement.body.startswith("Beste contactpersoon van Bibliotheek Hengelo,")
    assert "geldig tot en met 30-06-2026" in announcement.body
    assert "uiterlijk 18-11-2025 het intakeformulier in" in announcement.body
    assert "contact op met CBCT planning" in announcement.body  # the address and phone: see tests/email
    assert announcement.created_at == datetime(2025, 11, 4, 9, 0, tzinfo=UTC)
    scheduled = messages["audit_scheduled"]
    assert (scheduled.recipient, scheduled.recipient_name) == ("anna@bibliotheek.example", "Anna de Vries")
    assert scheduled.subject == "Audit gepland op 21-04-2026 – Bibliotheek Hengelo"
    assert scheduled.body.startswith("Beste Anna de Vries,")
    assert "dinsdag 21-04-2026" in scheduled.body and "Ellen Expert" in scheduled.body
    assert "zelfevaluatie" in scheduled.body and "contact op met CBCT planning" in scheduled.body


async def test_new_contacts_get_the_next_emails_with_the_planned_audit_and_alone_may_sign_in(world: World) -> None:
    """After ChangeContacts the new first contact is told what is ahead (with the audit's calendar entry),
    every later e-mail goes there, and the opening's and the intake's addresses are contacts no more."""
    await _scheduled(world)
    bram = {"name": "Bram Nieuw", "email": "Bram@BibliotheekHengelo.example", "role": "coördinator"}
    await world.do(ChangeContacts, "2026-02-02", T, contacts=[bram])
    await world.do(
        ScheduleAudit, "2026-02-03", T, audit_dates=[date(2026, 4, 28)], expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )  # fmt: skip
    await world.catch_up()
    messages = {m.kind: m for m in await list_messages(world.pool, T)}
    changed = messages["contacts_changed"]
    assert (changed.recipient, changed.subject) == (
        "Bram@BibliotheekHengelo.example",
        "Contactpersoon voor de certificering – Bibliotheek Hengelo",
    )
    assert changed.body.startswith("Beste Bram Nieuw,")
    assert "staat gepland op dinsdag 21-04-2026" in changed.body and "aanmeldlink" in changed.body
    assert messages["audit_rescheduled"].recipient == "Bram@BibliotheekHengelo.example"
    [email] = [e for e in emails_of(await world.store.read_stream(stream_id(T))) if e.kind == "contacts_changed"]
    assert email.invite is not None and (email.invite.dates, email.invite.sequence) == ((date(2026, 4, 21),), 0)
    contacts = await world.pool.fetch("SELECT email FROM trajectory_contacts WHERE trajectory_id = $1", T)
    assert [r["email"] for r in contacts] == ["bram@bibliotheekhengelo.example"]

    second = {"name": "Cor Tweede", "email": "cor@bibliotheekhengelo.example"}
    await world.do(
        ChangeContacts, "2026-02-04", T, contacts=[{**bram, "email": "bram@bibliotheekhengelo.example"}, second]
    )
    await world.catch_up()
    kinds = [m.kind for m in await list_messages(world.pool, T)]
    assert kinds.count("contacts_changed") == 1, "the same first contact is not welcomed again"
    contacts = await world.pool.fetch("SELECT email FROM trajectory_contacts WHERE trajectory_id = $1", T)
    assert sorted(r["email"] for r in contacts) == ["bram@bibliotheekhengelo.example", "cor@bibliotheekhengelo.example"]


async def test_without_any_address_the_message_is_kept_unaddressed(world: World) -> None:
    """No contact_email and no intake yet: the announcement is stored as 'unaddressed', never dropped or sent."""
    await _scheduled(world, contact_email=None)
    [announcement, *_] = await list_messages(world.pool, T)
    assert (announcement.kind, announcement.recipient, announcement.status) == ("announcement", None, "unaddressed")
    assert announcement.message_id not in {m.message_id for m in await pending_messages(world.pool)}


async def test_a_delivery_event_marks_the_message_sent_also_after_a_rebuild(world: World) -> None:
    """MessageDelivered on message-<id> marks the row sent with its time; a rebuild keeps it sent."""
    await _scheduled(world)
    first, *rest = await pending_messages(world.pool)
    delivered_at = "2025-11-04T09:00:05+00:00"
    await world.store.append(
        message_stream(first.message_id),
        [
            NewEvent(
                "MessageDelivered", {"message_id": first.message_id, "delivered_at": delivered_at, "transport": "smtp"}
            )
        ],
        ExpectedVersion.NO_STREAM,
    )
    await world.catch_up()
    assert [m.message_id for m in await pending_messages(world.pool)] == [m.message_id for m in rest]
    before = await list_messages(world.pool)
    sent = next(m for m in before if m.message_id == first.message_id)
    assert (sent.status, sent.sent_at, sent.transport) == ("sent", datetime.fromisoformat(delivered_at), "smtp")
    await world.runner.rebuild("messages")
    assert await list_messages(world.pool) == before


async def test_decisions_and_heraudit_messages_carry_reasons_and_dates(world: World) -> None:
    """Voorwaardelijk explains the heraudit window and objection term; the certificate gives gecertificeerd tot."""
    await certified_after_heraudit(world)
    await world.catch_up()
    messages = {m.kind: m for m in await list_messages(world.pool, "kib-1040")}
    decision = messages["decision"].body
    assert messages["decision"].subject == "Besluit: Voorwaardelijk gecertificeerd – Bibliotheek Eindhoven"
    assert "Motivering: norm 6 scoort 1,25 (< 1,5)" in decision  # the domain's motivation, verbatim
    assert "heraudit aanvragen op norm 6" in decision and "bezwaar" in decision
    certificate = messages["certificate"]
    assert certificate.subject == "Gecertificeerd tot 10-07-2023 – Bibliotheek Eindhoven"
    assert "Certificaatnummer: 1040" in certificate.body and "na de heraudit" in certificate.body
    assert {
        "announcement",
        "certificate_expiry_reminder",
        "intake_received",
        "audit_scheduled",
        "draft_report",
        "survey",
        "heraudit_requested",
    } <= set(messages)
