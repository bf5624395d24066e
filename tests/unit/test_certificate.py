"""Certificate lifecycle: anchoring, 'hercertificering loopt', its limit, and extraordinary extensions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    CertificateStatus,
    DecideCertification,
    DecidePostponement,
    ExtendValidity,
    ExtensionRefused,
    RequestPostponement,
    certificate_status,
    certified_until,
)
from domain.events import CertificateExpired, CertificateIssued, ReminderSent
from tests.unit.driver import Trajectory, names, only, run_audit

Planned = Callable[..., Trajectory]


def test_expiry_reminders_go_out_six_and_three_months_before(planned: Planned) -> None:
    """Expiry 2026-06-30: reminders on 2025-12-30 and 2026-03-30 at 09:00, each once."""
    t = planned()
    assert [d.due_on for d in t.deadlines_of("certificate_expiry_reminder")] == [date(2025, 12, 30), date(2026, 3, 30)]
    reminders = [e for e in t.fire_due("2026-03-30") if isinstance(e, ReminderSent)]
    assert [r.due_on for r in reminders] == [date(2025, 12, 30), date(2026, 3, 30)]
    assert t.deadlines_of("certificate_expiry_reminder") == [] and t.fire_due("2026-03-31") == []


def test_between_expiry_and_decision_the_register_shows_hercertificering_loopt(planned: Planned) -> None:
    """Postponed to 2026-K4 (force majeure): after 2026-06-30 'hercertificering loopt', until 2026-12-30."""
    t = planned()
    t.do(RequestPostponement, "2026-02-02", ground="overmacht", reason="lockdown")
    t.do(DecidePostponement, "2026-02-03", grant=True, reason="overmacht", new_quarter="2026-K4")
    assert certificate_status(t.s) is CertificateStatus.VALID and certified_until(t.s) == date(2026, 6, 30)
    expired = only(t.fire_due("2026-07-01"), CertificateExpired)
    assert expired.recertification_running
    assert certificate_status(t.s) is CertificateStatus.RECERTIFICATION_RUNNING
    assert [d.due_on for d in t.deadlines_of("interim_limit")] == [date(2026, 12, 30)]
    assert names(t.fire_due("2026-12-31")) == ["InterimStatusEnded"]
    assert certificate_status(t.s) is CertificateStatus.EXPIRED


def test_a_decision_after_expiry_counts_from_the_decision(planned: Planned) -> None:
    """Audit in 2026-K3 after a calamity; certified 2026-09-25 → gecertificeerd tot 2030-09-25."""
    t = planned()
    t.do(RequestPostponement, "2026-02-02", ground="calamiteit", reason="brand")
    t.do(DecidePostponement, "2026-02-03", grant=True, reason="brand", new_quarter="2026-K3")
    run_audit(t, "2026-09-08", plan_on="2026-02-04")
    certificate = only(t.do(DecideCertification, "2026-09-25"), CertificateIssued)
    assert certificate.valid_until == date(2030, 9, 25) and certificate.anchored_on is None


def test_an_extension_keeps_the_next_cycles_anchor(planned: Planned) -> None:
    """Extended by 3 months (to 2026-09-30) and certified 2026-09-25: tot 2030-06-30, not 2030-09-30."""
    t = planned()
    t.do(ExtendValidity, "2026-03-20", months=3, reason="pandemie")
    assert certified_until(t.s) == date(2026, 9, 30)
    assert [d.due_on for d in t.deadlines_of("certificate_expiry")] == [date(2026, 9, 30)]
    t.do(RequestPostponement, "2026-03-21", ground="overmacht", reason="lockdown")
    t.do(DecidePostponement, "2026-03-22", grant=True, reason="overmacht", new_quarter="2026-K3")
    run_audit(t, "2026-09-08", plan_on="2026-03-23")
    certificate = only(t.do(DecideCertification, "2026-09-25"), CertificateIssued)
    assert certificate.valid_until == date(2030, 6, 30)


def test_extensions_stop_at_six_months_beyond_the_original_expiry(planned: Planned) -> None:
    """4 + 3 months would reach 2027-01-30, past the cap 2026-12-30; the second is refused."""
    t = planned()
    t.do(ExtendValidity, "2026-03-20", months=4, reason="pandemie")
    with pytest.raises(ExtensionRefused, match="maximum van 6 maanden na 2026-06-30 \\(2026-12-30\\)"):
        t.do(ExtendValidity, "2026-03-21", months=3, reason="pandemie")
