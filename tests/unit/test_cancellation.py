"""Annulering: within three months before the audit costs the full audit; the boundary day included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import CancelAudit, CostClass, InvalidCommand, Phase, ScheduleAudit
from domain.events import AuditCancelled
from tests.unit.driver import Trajectory, only

Planned = Callable[..., Trajectory]


def fixed(planned: Planned) -> Trajectory:
    t = planned()
    t.do(ScheduleAudit, "2026-01-08", audit_dates=[date(2026, 6, 16)], expert_auditor="E", peer_auditor="P")
    return t


@pytest.mark.parametrize(
    ("cancel_on", "cost"),
    [
        ("2026-03-15", CostClass.NO_COST),
        ("2026-03-16", CostClass.FULL_AUDIT_COST),
        ("2026-06-01", CostClass.FULL_AUDIT_COST),
    ],
)
def test_late_cancellation_costs_the_full_audit(planned: Planned, cancel_on: str, cost: CostClass) -> None:
    """Audit 2026-06-16: cancelled 2026-03-15 costs nothing, from 2026-03-16 (3 months before) the full audit."""
    t = fixed(planned)
    cancelled = only(t.do(CancelAudit, cancel_on, reason="bestuur besluit anders"), AuditCancelled)
    assert cancelled.cost_class is cost
    assert t.s.phase is Phase.PLANNING and t.s.cancellations == (cost,)


def test_nothing_to_cancel_without_a_planned_audit(planned: Planned) -> None:
    """CancelAudit in planning is a command in the wrong state."""
    with pytest.raises(InvalidCommand, match="verwacht: 'audit gepland'"):
        planned().do(CancelAudit, "2026-01-08", reason="x")
