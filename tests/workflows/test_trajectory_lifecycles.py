"""Whole trajectories through their `TrajectoryWorkflow` in skipped time: commands as updates, deadlines
as durable timers, e-mails sent by the activity — against real Postgres and the read models."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from domain import (
    DecideCertification,
    DecidePostponement,
    IssueDraftReport,
    OpenTrajectory,
    ReactToDraft,
    RecordAuditScores,
    RecordIntake,
    RequestHeraudit,
    RequestPostponement,
    ScheduleAudit,
    Score,
    SendAnnouncement,
    SubmitSelfEvaluation,
    WithdrawParticipation,
)
from frameworks.loader import load_rules
from projections.deadlines import list_deadlines
from projections.messages import list_messages
from projections.overview import get_trajectory
from projections.register import list_register
from projections.stuck import stuck_trajectories
from tests.unit.driver import CONTACT, at, scores
from tests.workflows.rig import Rig

pytestmark = pytest.mark.asyncio(loop_scope="session")

KIB2 = load_rules("kib-ii-2023")
B, G = Score.LIMITED, Score.LARGELY


async def opened(rig: Rig, tid: str = "t-1", expiry: str = "2026-06-30", *, announce: bool = True) -> None:
    """A KiB II library whose certificate expires `expiry`, opened 2025-11-03; intake and self-evaluation
    in by 2025-11-20."""
    await rig.send(
        OpenTrajectory,
        "2025-11-03",
        tid,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date.fromisoformat(expiry),
        contact_email="an@bibliotheekhengelo.example",
    )
    if announce:
        await rig.send(SendAnnouncement, "2025-11-04", tid)
        await rig.send(RecordIntake, "2025-11-10", tid, contacts=(CONTACT,), locations=("Centrale",), employees=40)
        await rig.send(SubmitSelfEvaluation, "2025-11-20", tid, documents=("zelfevaluatie.pdf",))


async def audited(rig: Rig, tid: str, plan_day: str, audit_day: str, answers: dict[str, Any] | None = None) -> None:
    await rig.send(
        ScheduleAudit,
        plan_day,
        tid,
        audit_dates=(date.fromisoformat(audit_day),),
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    await rig.send(RecordAuditScores, audit_day, tid, scores=answers or scores(KIB2.base_norm_ids, KIB2), indicators={})
    await rig.send(IssueDraftReport, audit_day, tid)
    await rig.send(ReactToDraft, audit_day, tid, reaction="Geen opmerkingen.")


async def register_row(rig: Rig) -> Any:
    await rig.projections().catch_up()
    [row] = await list_register(rig.pool)
    return row


async def test_regular_recertification_ends_certified_with_its_emails_sent_once(rig: Rig) -> None:
    """Open → announce → intake → plan → audit → draft → decision: certified until +4 years; the survey
    closes by its timer; every addressed e-mail sent once and recorded; the workflow ends."""
    await opened(rig)
    await audited(rig, "t-1", "2025-11-21", "2026-04-14")
    decided = await rig.send(DecideCertification, "2026-05-15", "t-1")
    assert {"CertificationDecided", "CertificateIssued"} <= {e.type for e in decided.events}
    row = await register_row(rig)
    assert (row.result, row.remark, row.certified_until) == ("Gecertificeerd", None, date(2030, 6, 30))
    await rig.until("2026-08-01")  # the survey's reminder and close fire by their timers
    handle = (await rig.client()).handle("t-1")
    ended = await handle.result()
    assert ended.phase == "afgesloten"
    await rig.projections().catch_up()
    messages = await list_messages(rig.pool, "t-1")
    kinds = {m.kind for m in messages}
    assert {"announcement", "audit_scheduled", "draft_report", "certificate"} <= kinds, kinds
    assert all(m.status == "sent" for m in messages if m.recipient), [(m.kind, m.status) for m in messages]
    assert len(list(rig.outbox.glob("*.eml"))) == sum(1 for m in messages if m.recipient)
    fired = [c for _, t, c in await rig.events("t-1") if c is not None and ":" in c]
    assert any(":survey_reminder:" in c for c in fired) and any(":survey:" in c for c in fired), fired


async def test_conditional_then_heraudit_then_certified_after_heraudit(rig: Rig) -> None:
    """Voorwaardelijk on norm 6 → heraudit requested → norm 6 passes → 'Gecertificeerd na heraudit'."""
    await opened(rig)
    await audited(rig, "t-1", "2025-11-21", "2026-04-14", scores(KIB2.base_norm_ids, KIB2, n6=[B, B, G, B]))
    await rig.send(DecideCertification, "2026-05-15", "t-1")
    await rig.send(RequestHeraudit, "2026-06-01", "t-1")
    await audited(rig, "t-1", "2026-06-01", "2026-07-07", scores(("6",), KIB2, n6=G))
    await rig.send(DecideCertification, "2026-07-20", "t-1")
    row = await register_row(rig)
    assert (row.result, row.remark) == ("Voorwaardelijk gecertificeerd", "Gecertificeerd na heraudit")


async def test_conditional_and_the_heraudit_window_lapses_by_its_timer(rig: Rig) -> None:
    """Voorwaardelijk, no heraudit requested: the window's timer closes it, the trajectory ends."""
    await opened(rig)
    await audited(rig, "t-1", "2025-11-21", "2026-04-14", scores(KIB2.base_norm_ids, KIB2, n6=[B, B, G, B]))
    await rig.send(DecideCertification, "2026-05-15", "t-1")
    await rig.until("2027-01-15")
    row = await register_row(rig)
    assert (row.result, row.remark) == ("Voorwaardelijk gecertificeerd", "Geen heraudit aangevraagd")
    overview = await get_trajectory(rig.pool, "t-1")
    assert overview is not None and not overview.is_open
    ended = await (await rig.client()).handle("t-1").result()
    assert ended.phase == "afgesloten"


async def test_not_certified_and_a_heraudit_refused_before_one_year(rig: Rig) -> None:
    """Niet gecertificeerd: a heraudit request within a year is refused with the rule, in Dutch."""
    await opened(rig)
    await audited(rig, "t-1", "2025-11-21", "2026-04-14", scores(KIB2.base_norm_ids, KIB2, n1=B, n2=B, n3=B))
    decided = await rig.send(DecideCertification, "2026-05-15", "t-1")
    assert any(e.data.get("verdict") == "Niet gecertificeerd" for e in decided.events), decided.events
    refused = await rig.send(RequestHeraudit, "2026-08-01", "t-1", expect=False)
    assert refused.rule is not None and refused.rule.startswith("heraudit")
    assert refused.message is not None and "heraudit" in refused.message.lower()
    assert refused.events == () and refused.stream_version is None


async def test_postponements_up_to_the_limit_then_refused_while_force_majeure_is_granted(rig: Rig) -> None:
    """Two regular uitstel granted (KiB II limit), the third refused, force majeure still granted."""
    await opened(rig, expiry="2026-12-31")
    for i, (day, quarter) in enumerate((("2025-11-24", "2027-K1"), ("2025-12-01", "2027-K2"))):
        await rig.send(RequestPostponement, day, "t-1", ground="verhuizing of nieuwbouw", reason=f"verbouwing {i}")
        await rig.send(DecidePostponement, day, "t-1", grant=True, reason="akkoord", new_quarter=quarter)
    third = await rig.send(
        RequestPostponement, "2025-12-08", "t-1", expect=False, ground="verhuizing of nieuwbouw", reason="nog eens"
    )
    assert third.rule is not None and third.rule.startswith("postponement") and "2" in (third.message or "")
    await rig.send(RequestPostponement, "2025-12-09", "t-1", ground="overmacht", reason="pandemie")
    await rig.send(DecidePostponement, "2025-12-09", "t-1", grant=True, reason="overmacht", new_quarter="2027-K3")
    await rig.projections().catch_up()
    overview = await get_trajectory(rig.pool, "t-1")
    assert overview is not None and (overview.postponements_granted, overview.force_majeure_granted) == (2, 1)


async def test_certificate_expiry_reminders_then_hercertificering_loopt(rig: Rig) -> None:
    """Nobody acts: the announcement fires by its timer, the expiry reminders at 6 and 3 months are
    e-mailed, and at expiry the register says 'hercertificering loopt'."""
    await opened(rig, "t-x", expiry="2026-12-31", announce=False)
    status = await (await rig.client()).status("t-x")
    assert status.next_deadline is not None
    assert status.next_deadline.deadline_id == "t-x:announcement:2026-06-30:0"  # expiry − 6 months, 09:00
    await rig.until("2027-01-02")
    events = await rig.events("t-x")
    fired = [c for _, _, c in events if c is not None and c.startswith("t-x:")]
    assert any(":announcement:2026-06-30:" in c for c in fired), fired
    assert "AnnouncementSent" in [t for _, t, _ in events] and "CertificateExpired" in [t for _, t, _ in events]
    await rig.projections().catch_up()
    kinds = [m.kind for m in await list_messages(rig.pool, "t-x") if m.status == "sent"]
    assert kinds.count("certificate_expiry_reminder") == 2, kinds
    row = await register_row(rig)
    assert row.status == "hercertificering loopt"


async def test_an_overdue_step_shows_up_as_stuck(rig: Rig) -> None:
    """An intake that never comes: past the grace period the trajectory is listed as stuck."""
    await rig.send(
        OpenTrajectory,
        "2025-11-03",
        "t-s",
        organisation="Bibliotheek Stil",
        certificate_number="3001",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
    )
    await rig.until("2026-01-20")  # announced by its timer; intake due 2026-01-14: overdue, within the grace
    await rig.projections().catch_up()
    assert await stuck_trajectories(rig.pool, at("2026-01-20", 10), grace_days=7) == []
    await rig.until("2026-02-01")
    await rig.projections().catch_up()
    stuck = await stuck_trajectories(rig.pool, at("2026-02-01", 10), grace_days=7)
    assert [s.trajectory_id for s in stuck] == ["t-s"]
    assert await list_deadlines(rig.pool, at("2026-02-01", 10), status="overdue", trajectory_id="t-s")


async def test_withdrawal_ends_the_trajectory_as_geen_deelname_and_its_workflow(rig: Rig) -> None:
    """Withdrawing participation: 'Niet gecertificeerd — Geen deelname', no deadlines left, the workflow ends."""
    await opened(rig)
    await rig.send(WithdrawParticipation, "2025-12-01", "t-1", reason="fusie, geen audit")
    row = await register_row(rig)
    assert (row.result, row.remark) == ("Niet gecertificeerd", "Geen deelname")
    ended = await (await rig.client()).handle("t-1").result()
    assert ended.phase is not None and ended.existed


async def test_two_planners_deciding_one_postponement_at_once_one_wins_and_the_other_is_told_who(rig: Rig) -> None:
    """Grant and refusal of one request sent at once: the workflow takes them in turn; the second is
    refused naming the decision and who made it, and one decision is stored."""
    await opened(rig, "t-p", expiry="2026-12-31", announce=False)
    await rig.send(
        RequestPostponement,
        "2025-11-10",
        "t-p",
        ground="fusie",
        reason="Fusie met de bibliotheek van de buurgemeente",
        ground_effective_on=date(2026, 7, 1),
    )
    client = await rig.client()

    def decide(number: int, planner: str, grant: bool) -> DecidePostponement:
        return DecidePostponement(
            command_id=f"t-p/decide-{number}",
            trajectory_id="t-p",
            actor=planner,
            grant=grant,
            reason="Fusie gaat in tijdens het auditkwartaal" if grant else "Fusie raakt de audit niet",
            new_quarter="2027-K1" if grant else None,
        )

    answers = await asyncio.gather(
        client.submit(decide(1, "planner:anna", True)), client.submit(decide(2, "planner:bert", False))
    )
    [won] = [a for a in answers if a.accepted]
    [lost] = [a for a in answers if not a.accepted]
    assert lost.rule == "postponement.already_decided"
    winner = "planner:anna" if won.command_id.endswith("decide-1") else "planner:bert"
    assert f"door {winner}" in (lost.message or "")
    decided = [t for _, t, _ in await rig.events("t-p") if t in ("PostponementGranted", "PostponementRejected")]
    assert decided == [won.events[0].type]
