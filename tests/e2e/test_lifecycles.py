"""Whole trajectories through commands, workflows, the dispatcher and the read models."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bootstrap import App
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
from tests.e2e.conftest import Planner, at
from tests.unit.driver import CONTACT, scores

pytestmark = pytest.mark.asyncio(loop_scope="session")

KIB2 = load_rules("kib-ii-2023")
B, G = Score.LIMITED, Score.LARGELY


async def opened(app: App, trajectory_id: str = "t-1", expiry: str = "2026-06-30") -> Planner:
    """A KiB II library with its certificate expiring `expiry`, opened 2025-11-03, announced the next
    day; intake and self-evaluation in by 2025-11-20."""
    p = Planner(app, trajectory_id)
    await p.send(
        OpenTrajectory,
        "2025-11-03",
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date.fromisoformat(expiry),
        contact_email="an@bibliotheekhengelo.example",
    )
    await p.send(SendAnnouncement, "2025-11-04")
    await p.send(RecordIntake, "2025-11-10", contacts=(CONTACT,), locations=("Centrale",), employees=40, services=())
    await p.send(SubmitSelfEvaluation, "2025-11-20", documents=("zelfevaluatie.pdf",))
    return p


async def audited(p: Planner, audit_day: str, answers: dict[str, dict[str, Any]] | None = None) -> None:
    """Plan today, then score, draft and react on the audit day — each its own command and workflow."""
    await p.send(
        ScheduleAudit,
        p.today,
        audit_dates=(date.fromisoformat(audit_day),),
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    await p.send(RecordAuditScores, audit_day, scores=answers or scores(KIB2.base_norm_ids, KIB2), indicators={})
    await p.send(IssueDraftReport, audit_day)
    await p.send(ReactToDraft, audit_day, reaction="Geen opmerkingen.")


async def test_regular_recertification_ends_certified_in_the_register_with_its_emails(app: App, tmp_path: Path):
    """Open → announce (deadline) → intake → plan → audit → draft → decision: certified until +4 years."""
    p = await opened(app)
    await audited(p, "2026-04-14")
    await p.send(DecideCertification, "2026-05-15")
    await app.projections.catch_up()
    [row] = await list_register(app.pool)
    assert (row.result, row.remark, row.certified_until) == ("Gecertificeerd", None, date(2030, 6, 30))
    await p.tick("2026-07-01")
    kinds = {m.kind for m in await list_messages(app.pool, "t-1")}
    assert {"announcement", "audit_scheduled", "draft_report", "certificate"} <= kinds, kinds
    sent = list((tmp_path / "outbox").glob("*.eml"))
    assert len(sent) == len({m.message_id for m in await list_messages(app.pool, "t-1") if m.status == "sent"})


async def test_conditional_then_heraudit_then_certified_after_heraudit(app: App):
    """Voorwaardelijk on norm 6 → heraudit requested → norm 6 passes → 'Gecertificeerd na heraudit'."""
    p = await opened(app)
    await audited(p, "2026-04-14", scores(KIB2.base_norm_ids, KIB2, n6=[B, B, G, B]))
    await p.send(DecideCertification, "2026-05-15")
    await p.send(RequestHeraudit, "2026-06-01")
    await audited(p, "2026-07-07", scores(("6",), KIB2, n6=G))
    await p.send(DecideCertification, "2026-07-20")
    await app.projections.catch_up()
    [row] = await list_register(app.pool)
    assert (row.result, row.remark) == ("Voorwaardelijk gecertificeerd", "Gecertificeerd na heraudit")


async def test_conditional_and_the_window_lapses_without_heraudit(app: App):
    """Voorwaardelijk, no heraudit requested: when the window closes the register says so."""
    p = await opened(app)
    await audited(p, "2026-04-14", scores(KIB2.base_norm_ids, KIB2, n6=[B, B, G, B]))
    await p.send(DecideCertification, "2026-05-15")
    await p.tick("2027-01-15")
    await app.projections.catch_up()
    [row] = await list_register(app.pool)
    assert (row.result, row.remark) == ("Voorwaardelijk gecertificeerd", "Geen heraudit aangevraagd")
    overview = await get_trajectory(app.pool, "t-1")
    assert overview is not None and not overview.is_open


async def test_not_certified_and_a_heraudit_refused_before_one_year(app: App):
    """Niet gecertificeerd: a heraudit request within a year is refused with the rule that says so."""
    p = await opened(app)
    await audited(p, "2026-04-14", scores(KIB2.base_norm_ids, KIB2, n1=B, n2=B, n3=B))
    await p.send(DecideCertification, "2026-05-15")
    refused = await p.send(RequestHeraudit, "2026-08-01", expect=False)
    assert refused["rule"].startswith("heraudit") and "heraudit" in refused["message"].lower()


async def test_postponements_up_to_the_limit_then_refused_while_force_majeure_is_granted(app: App):
    """Two regular uitstel granted (KiB II limit), the third refused, force majeure still granted."""
    p = await opened(app, expiry="2026-12-31")
    for i, (day, quarter) in enumerate((("2025-11-24", "2027-K1"), ("2025-12-01", "2027-K2"))):
        await p.send(RequestPostponement, day, ground="verhuizing of nieuwbouw", reason=f"verbouwing {i}")
        await p.send(DecidePostponement, day, grant=True, reason="akkoord", new_quarter=quarter)
    third = await p.send(
        RequestPostponement, "2025-12-08", expect=False, ground="verhuizing of nieuwbouw", reason="nog eens"
    )
    assert third["rule"].startswith("postponement") and "2" in third["message"]
    await p.send(RequestPostponement, "2025-12-09", ground="overmacht", reason="pandemie")
    await p.send(DecidePostponement, "2025-12-09", grant=True, reason="overmacht", new_quarter="2027-K3")
    await app.projections.catch_up()
    overview = await get_trajectory(app.pool, "t-1")
    assert overview is not None and (overview.postponements_granted, overview.force_majeure_granted) == (2, 1)


async def test_certificate_expiry_with_its_reminders(app: App):
    """A certificate nobody recertifies: reminders at 6 and 3 months, then expiry and the interim status."""
    p = Planner(app, "t-x")
    await p.send(
        OpenTrajectory,
        "2025-11-03",
        organisation="Bibliotheek Oost",
        certificate_number="2001",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 12, 31),
        contact_email="info@oost.example",
    )
    await p.tick("2027-01-02")
    await app.projections.catch_up()
    kinds = [m.kind for m in await list_messages(app.pool, "t-x")]
    assert kinds.count("certificate_expiry_reminder") == 2, kinds
    [row] = await list_register(app.pool)
    assert row.status == "hercertificering loopt"


async def test_an_overdue_step_shows_up_as_stuck(app: App):
    """An intake that never comes: past the grace period the trajectory is listed as stuck."""
    p = Planner(app, "t-s")
    await p.send(
        OpenTrajectory,
        "2025-11-03",
        organisation="Bibliotheek Stil",
        certificate_number="3001",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 6, 30),
    )
    await p.tick("2026-01-20")  # intake due 2026-01-14: overdue, but within the grace period
    await app.projections.catch_up()
    assert await stuck_trajectories(app.pool, at("2026-01-20"), grace_days=7) == []
    await p.tick("2026-02-01")
    await app.projections.catch_up()
    stuck = await stuck_trajectories(app.pool, at("2026-02-01"), grace_days=7)
    assert [s.trajectory_id for s in stuck] == ["t-s"]
    assert await list_deadlines(app.pool, at("2026-02-01"), status="overdue", trajectory_id="t-s")


async def test_withdrawal_ends_the_trajectory_as_geen_deelname(app: App):
    """Withdrawing participation: 'Niet gecertificeerd — Geen deelname', no deadlines left."""
    p = await opened(app)
    await p.send(WithdrawParticipation, "2025-12-01", reason="fusie, geen audit")
    await app.projections.catch_up()
    [row] = await list_register(app.pool)
    assert (row.result, row.remark) == ("Niet gecertificeerd", "Geen deelname")
