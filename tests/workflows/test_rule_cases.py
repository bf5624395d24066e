"""Issue 11's rule cases (and issue 9's certificate number) through the real workflows in skipped time:
force majeure, a lost postponement decision, the heraudit window, the register during recertification,
and the next cycle's certificate. Four organisations share one world; the answers are the workflows'
own verdicts (rule and CBCT's Dutch explanation), the register the read model's.
"""

from __future__ import annotations

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
    SendAnnouncement,
    SubmitSelfEvaluation,
)
from projections.overview import get_trajectory
from projections.postponements import list_postponements
from projections.register import list_register
from tests.unit.driver import CONTACT
from tests.workflows.rig import Rig

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALL = {str(n): dict.fromkeys("abcd", "Volledig") for n in range(1, 8)}
CONDITIONAL = {**ALL, "3": dict.fromkeys("abcd", "Beperkt")}


async def opening(rig: Rig, tid: str, organisation: str, number: str, day: str, **extra: Any) -> Any:
    return await rig.send(
        OpenTrajectory,
        day,
        tid,
        expect=extra.pop("expect", True),
        organisation=organisation,
        certificate_number=number,
        association="VOB",
        framework_version="kib-ii-2023",
        **extra,
    )


async def up_to_audit(rig: Rig, tid: str, organisation: str, number: str, expert: str, peer: str) -> None:
    """Opened 2025-11-03 with a certificate ending 2026-06-30; audit planned on 2026-04-14."""
    await opening(rig, tid, organisation, number, "2025-11-03", previous_certificate_expiry=date(2026, 6, 30))
    await rig.send(SendAnnouncement, "2025-11-03", tid)
    await rig.send(RecordIntake, "2025-11-03", tid, contacts=(CONTACT,), locations=("Centrale",), employees=30)
    await rig.send(SubmitSelfEvaluation, "2025-11-03", tid, documents=("zelfevaluatie.pdf",))
    await rig.send(
        ScheduleAudit,
        "2025-11-03",
        tid,
        audit_dates=(date(2026, 4, 14),),
        expert_auditor=expert,
        peer_auditor=peer,
    )


async def audited(rig: Rig, tid: str, scores: dict[str, dict[str, str]]) -> None:
    await rig.send(RecordAuditScores, "2026-04-14", tid, scores=scores, indicators={})
    await rig.send(IssueDraftReport, "2026-04-14", tid)
    await rig.send(ReactToDraft, "2026-04-14", tid, reaction="Geen opmerkingen")


async def register(rig: Rig) -> dict[str, Any]:
    await rig.projections().catch_up()
    return {r.certificate_number: r for r in await list_register(rig.pool)}


async def postponements(rig: Rig) -> None:
    """Bibliotheek Borne (KiB II: 2 regular postponements): a decision already taken, then force majeure."""
    day = "2025-11-03"
    await opening(rig, "t-d1", "Bibliotheek Borne", "3001", day, previous_certificate_expiry=date(2026, 12, 31))
    await rig.send(RequestPostponement, day, "t-d1", ground="verhuizing of nieuwbouw", reason="nieuwbouw")
    await rig.send(
        DecidePostponement,
        day,
        "t-d1",
        actor="planner:anna",
        grant=True,
        reason="nieuwbouw aangetoond",
        new_quarter="2027-K1",
    )
    lost = await rig.send(
        DecidePostponement, day, "t-d1", expect=False, actor="planner:bert", grant=False, reason="geen grond"
    )
    assert lost.rule == "postponement.already_decided"
    assert (
        "uitstelverzoek 1 (verhuizing of nieuwbouw) is zojuist al beslist: verleend (nieuw auditkwartaal 2027-K1) "
        "door planner:anna, met als reden 'nieuwbouw aangetoond'" in (lost.message or "")
    )
    await rig.send(RequestPostponement, day, "t-d1", ground="langdurige afwezigheid management", reason="ziek")
    await rig.send(DecidePostponement, day, "t-d1", grant=True, reason="ok", new_quarter="2027-K2")
    limit = await rig.send(RequestPostponement, day, "t-d1", expect=False, ground="verhuizing of nieuwbouw", reason="x")
    assert "maximaal 2 reguliere uitstellen" in (limit.message or "")
    assert "alleen overmacht (calamiteit, pandemie of overmacht)" in (limit.message or "")
    await rig.send(RequestPostponement, day, "t-d1", ground="calamiteit", reason="brand in de centrale")
    refusal = await rig.send(DecidePostponement, day, "t-d1", expect=False, grant=False, reason="past niet")
    assert refusal.rule == "postponement.force_majeure_always_granted"
    assert "is overmacht en wordt altijd" in (refusal.message or "")
    await rig.send(DecidePostponement, day, "t-d1", grant=True, reason="brand", new_quarter="2027-K3")
    await rig.send(RequestPostponement, day, "t-d1", ground="pandemie", reason="lockdown")
    await rig.send(DecidePostponement, day, "t-d1", grant=True, reason="lockdown", new_quarter="2027-K4")
    await rig.projections().catch_up()
    listed = await list_postponements(rig.pool, "t-d1")
    assert [(r.request_number, r.ground, r.status, r.force_majeure) for r in listed] == [
        (1, "verhuizing of nieuwbouw", "granted", False),
        (2, "langdurige afwezigheid management", "granted", False),
        (3, "calamiteit", "granted", True),
        (4, "pandemie", "granted", True),
    ]


async def test_the_rule_cases_through_the_workflows(rig: Rig) -> None:
    await up_to_audit(rig, "t-a1", "Bibliotheek Hengelo", "1002", "Ellen Expert", "Peer Bakker")
    await up_to_audit(rig, "t-b1", "Bibliotheek Almelo", "2001", "Frank Expert", "Petra Peer")
    await up_to_audit(rig, "t-c1", "Bibliotheek Enschede", "2002", "Gert Expert", "Paula Peer")
    await postponements(rig)
    await audited(rig, "t-a1", ALL)
    await audited(rig, "t-b1", CONDITIONAL)
    await audited(rig, "t-c1", CONDITIONAL)
    for tid in ("t-a1", "t-b1", "t-c1"):
        await rig.send(DecideCertification, "2026-04-15", tid)

    # The next cycle knows its certificate; a number belongs to one organisation.
    wrong = await opening(
        rig, "t-a2", "Bibliotheek Hengelo", "1002", "2026-04-15", previous_certificate_expiry=date(2026, 6, 30),
        expect=False,
    )  # fmt: skip
    assert wrong.rule == "certificate.expiry_mismatch"
    assert (
        "certificaat 1002 van Bibliotheek Hengelo is geldig tot 2030-06-30 (afgegeven op 2026-04-15 in traject t-a1), "
        "niet tot 2026-06-30" in (wrong.message or "")
    )
    taken = await opening(
        rig, "t-x1", "Bibliotheek Oldenzaal", "1002", "2026-04-15", previous_certificate_expiry=date(2027, 3, 31),
        expect=False,
    )  # fmt: skip
    assert taken.rule == "certificate.number_taken"
    assert "certificaatnummer 1002 hoort bij Bibliotheek Hengelo (traject t-a1), niet bij Bibliotheek Oldenzaal" in (
        taken.message or ""
    )
    await opening(rig, "t-a3", "Bibliotheek Hengelo", "1002", "2026-04-15")
    await rig.projections().catch_up()
    overview = await get_trajectory(rig.pool, "t-a3")
    assert overview is not None and overview.audit_quarter == "2030-K2"
    rows = await register(rig)
    assert rows["1002"].organisation == "Bibliotheek Hengelo"
    assert (rows["1002"].certified_until, rows["1002"].status) == (date(2030, 6, 30), "gecertificeerd tot")

    # The register during recertification: voorwaardelijk past the old gecertificeerd tot (2026-06-30),
    # written by the certificate's expiry timer.
    await rig.until("2026-07-01")
    rows = await register(rig)
    assert [rows[n].status for n in ("2001", "2002")] == ["hercertificering loopt"] * 2

    # The heraudit window (2026-04-15 … 2026-10-15) bounds the heraudit itself.
    await rig.send(RequestHeraudit, "2026-07-01", "t-b1")
    rows = await register(rig)
    assert (rows["2001"].remark, rows["2001"].status) == ("Heraudit in voorbereiding", "hercertificering loopt")
    late = await rig.send(
        ScheduleAudit, "2026-07-01", "t-b1", expect=False, audit_dates=(date(2026, 11, 10),),
        expert_auditor="Hans Expert", peer_auditor="Pim Peer",
    )  # fmt: skip
    assert late.rule == "heraudit.after_window"
    assert (
        "heraudit op 2026-11-10 valt buiten de termijn: na 'Voorwaardelijk gecertificeerd' (besluit van 2026-04-15) "
        "vindt de heraudit uiterlijk op 2026-10-15 plaats" in (late.message or "")
    )
    await rig.send(
        ScheduleAudit, "2026-07-01", "t-b1", audit_dates=(date(2026, 10, 13),),
        expert_auditor="Hans Expert", peer_auditor="Pim Peer",
    )  # fmt: skip
    last_day = await rig.send(RequestHeraudit, "2026-10-15", "t-c1", expect=False)
    assert last_day.rule == "heraudit.no_time_left"
    assert "aanvragen kon tot en met 2026-10-01" in (last_day.message or "")
