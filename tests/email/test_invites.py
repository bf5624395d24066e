"""The audit's calendar entry as the trajectory's e-mails carry it, from real events in Postgres: one UID
per round whatever moves it; SEQUENCE counts the changes of its dates after the first scheduling; a
cancellation comes as CANCEL. (The same e-mails the workflow sends: `activities.outbox.emails_of`.)"""

from __future__ import annotations

from datetime import date

import pytest

from activities.outbox import emails_of
from application.calendar_ids import audit_uid
from application.trajectories import stream_id
from domain import (
    CancelAudit,
    DecidePostponement,
    OpenTrajectory,
    RecordIntake,
    RequestPostponement,
    ScheduleAudit,
    SendAnnouncement,
    WithdrawParticipation,
)
from tests.projections.world import World
from tests.unit.driver import intake_fields
from workflows.contracts import PendingEmail

pytestmark = pytest.mark.asyncio(loop_scope="session")

T = "kib2-ics"
AUDITORS = {"expert_auditor": "Ellen Expert", "peer_auditor": "Peer Bakker"}


async def opened(world: World) -> None:
    await world.do(
        OpenTrajectory,
        "2025-11-03",
        T,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
        contact_email="info@bibliotheekhengelo.example",
    )
    await world.do(SendAnnouncement, "2025-11-04", T)
    await world.do(RecordIntake, "2025-11-10", T, **intake_fields())


async def emails(world: World) -> list[PendingEmail]:
    return emails_of(await world.store.read_stream(stream_id(T)))


async def test_schedule_move_and_cancel_keep_the_uid_and_raise_the_sequence(world: World) -> None:
    await opened(world)
    await world.do(ScheduleAudit, "2026-01-08", T, audit_dates=[date(2026, 4, 21)], **AUDITORS)
    await world.do(ScheduleAudit, "2026-01-20", T, audit_dates=[date(2026, 5, 12), date(2026, 5, 13)], **AUDITORS)
    await world.do(CancelAudit, "2026-02-02", T, reason="verbouwing")
    await world.do(ScheduleAudit, "2026-02-10", T, audit_dates=[date(2026, 6, 2)], **AUDITORS)
    invites = [(e.kind, e.invite) for e in await emails(world) if e.invite is not None]
    assert [kind for kind, _ in invites] == [
        "audit_scheduled",
        "audit_rescheduled",
        "audit_cancelled",
        "audit_scheduled",
    ]
    assert {i.uid for _, i in invites} == {audit_uid(T, 0)}
    assert [i.sequence for _, i in invites] == [0, 1, 2, 3]
    assert [i.cancelled for _, i in invites] == [False, False, True, False]
    assert [i.dates for _, i in invites] == [
        (date(2026, 4, 21),),
        (date(2026, 5, 12), date(2026, 5, 13)),
        (date(2026, 5, 12), date(2026, 5, 13)),  # what is cancelled
        (date(2026, 6, 2),),
    ]
    scheduled = invites[0][1]
    assert scheduled.summary == "Audit CBCT – Bibliotheek Hengelo" and "Ellen Expert" in scheduled.description
    others = [e for e in await emails(world) if e.kind in ("announcement", "intake_received")]
    assert others and all(e.invite is None for e in others)  # no dates, no calendar entry


async def test_a_postponement_with_new_dates_moves_the_entry_and_one_without_cancels_it(world: World) -> None:
    await opened(world)
    await world.do(ScheduleAudit, "2026-01-08", T, audit_dates=[date(2026, 4, 21)], **AUDITORS)
    await world.do(RequestPostponement, "2026-01-12", T, ground="calamiteit", reason="wateroverlast")
    await world.do(
        DecidePostponement, "2026-01-14", T, grant=True, reason="akkoord", new_audit_dates=[date(2026, 6, 9)]
    )
    [scheduled, moved] = [e.invite for e in await emails(world) if e.invite is not None]
    assert scheduled is not None and moved is not None
    assert (moved.uid, moved.sequence, moved.dates, moved.cancelled) == (
        scheduled.uid,
        1,
        (date(2026, 6, 9),),
        False,
    )
    await world.do(RequestPostponement, "2026-01-20", T, ground="overmacht", reason="brand")
    await world.do(DecidePostponement, "2026-01-22", T, grant=True, reason="akkoord", new_quarter="2026-K3")
    invites = [e.invite for e in await emails(world) if e.invite is not None]
    cancelled = invites[-1]
    assert len(invites) == 3 and cancelled is not None
    assert (cancelled.sequence, cancelled.dates, cancelled.cancelled) == (2, (date(2026, 6, 9),), True)


async def test_a_withdrawal_cancels_the_planned_audit_in_the_calendar(world: World) -> None:
    await opened(world)
    await world.do(ScheduleAudit, "2026-01-08", T, audit_dates=[date(2026, 4, 21)], **AUDITORS)
    await world.do(
        ScheduleAudit, "2026-01-09", T, audit_dates=[date(2026, 4, 21)], **AUDITORS | {"peer_auditor": "Piet"}
    )
    await world.do(WithdrawParticipation, "2026-01-12", T, reason="fusie")
    invites = [(e.kind, e.invite) for e in await emails(world) if e.invite is not None]
    assert [kind for kind, _ in invites] == ["audit_scheduled", "audit_rescheduled", "participation_withdrawn"]
    # Other auditors, same dates: no new SEQUENCE (RFC 5545 raises it for dates and status).
    assert [(i.sequence, i.cancelled) for _, i in invites] == [(0, False), (0, False), (1, True)]
    assert invites[-1][1].dates == (date(2026, 4, 21),) and "Piet" in invites[1][1].description
