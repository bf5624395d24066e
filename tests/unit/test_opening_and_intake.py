"""Opening, announcement and intake: the audit quarter, its announcement and the auditee's category."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    DateInPast,
    FrameworkMismatch,
    InvalidCommand,
    OpenTrajectory,
    Quarter,
    RecordIntake,
    Rules,
    SendIntake,
)
from domain.events import AnnouncementSent, IntakeRecorded, TrajectoryOpened
from tests.unit.driver import Trajectory, at, intake_fields, only


def open_hengelo(t: Trajectory, when: str = "2025-11-03", **fields: object) -> TrajectoryOpened:
    base: dict[str, object] = {
        "organisation": "Bibliotheek Hengelo",
        "certificate_number": "1002",
        "association": "VOB",
        "framework_version": t.rules.version_id,
        "previous_certificate_expiry": date(2026, 6, 30),
    }
    opened: TrajectoryOpened = only(t.do(OpenTrajectory, when, **{**base, **fields}), TrajectoryOpened)
    return opened


def test_the_audit_quarter_is_the_quarter_the_certificate_expires(kib2: Rules) -> None:
    """Expiry 2026-06-30 → audit in 2026-K2, announced 6 months before expiry (2025-12-30)."""
    opened = open_hengelo(Trajectory(kib2))
    assert opened.audit_quarter == Quarter.model_validate("2026-K2")
    assert opened.announcement_due_on == date(2025, 12, 30)
    assert opened.framework_version == "kib-ii-2023"


def test_a_late_opening_is_announced_at_once(kib2: Rules) -> None:
    """Opened 2026-02-02 for an expiry on 2026-06-30: the announcement is due the same day."""
    assert open_hengelo(Trajectory(kib2), "2026-02-02").announcement_due_on == date(2026, 2, 2)


def test_the_announcement_deadline_announces_the_quarter_and_starts_the_intake_term(kib2: Rules) -> None:
    """On 2025-12-30 at 09:00 the announcement goes out by itself; the intake is due 14 days later."""
    t = Trajectory(kib2)
    open_hengelo(t)
    assert t.fire_due(at("2025-12-30", hour=8)) == []
    sent = only(t.fire_due(at("2025-12-30", hour=9)), AnnouncementSent)
    assert sent.automatic and sent.intake_due_on == date(2026, 1, 13)
    assert "intake" in t.kinds()


def test_resending_the_intake_restarts_its_term(kib2: Rules) -> None:
    """Resent on 2026-01-20, the intake is due 2026-02-03 and the old deadline is gone."""
    t = Trajectory(kib2)
    open_hengelo(t)
    t.fire_due("2025-12-30")
    t.do(SendIntake, "2026-01-20")
    assert [d.due_on for d in t.deadlines_of("intake")] == [date(2026, 2, 3)]


def test_opening_twice_or_under_other_rules_is_refused(kib2: Rules, kib2018: Rules) -> None:
    """A trajectory opens once, and only with the rules of the version it names."""
    t = Trajectory(kib2)
    open_hengelo(t)
    with pytest.raises(InvalidCommand, match="bestaat al"):
        open_hengelo(t)
    with pytest.raises(FrameworkMismatch):
        open_hengelo(Trajectory(kib2018), framework_version="kib-ii-2023")


def test_an_audit_quarter_in_the_past_is_refused(kib2: Rules) -> None:
    """Opening on 2026-08-01 for quarter 2026-K2 is refused: that quarter has ended."""
    with pytest.raises(DateInPast, match="2026-K2"):
        open_hengelo(Trajectory(kib2), "2026-08-01", audit_quarter="2026-K2")


@pytest.mark.parametrize(
    ("employees", "locations", "services", "category", "dagdelen"),
    [(12, 1, 3, "I", 2), (40, 3, 3, "II", 3), (40, 9, 3, "III", 4), (250, 2, 3, "IV", 6), (20, 2, 11, "III", 4)],
)
def test_the_audit_category_follows_the_largest_size_measure(
    planned: Callable[..., Trajectory], employees: int, locations: int, services: int, category: str, dagdelen: int
) -> None:
    """The category is the first row the auditee stays within on employees, locations and services."""
    t = Trajectory(planned().rules)
    open_hengelo(t)
    t.fire_due("2025-12-30")
    fields = intake_fields(employees, locations, [f"dienst {i}" for i in range(services)])
    recorded = only(t.do(RecordIntake, "2026-01-05", **fields), IntakeRecorded)
    assert (recorded.category, recorded.dagdelen) == (category, dagdelen)


def test_module_1_and_ido_apply_to_libraries_with_boekstart_and_an_ido(kib2: Rules) -> None:
    """A VOB library with BoekStart and an IDO gets module 1 in scope and the IDO indicator."""
    t = Trajectory(kib2)
    open_hengelo(t)
    t.fire_due("2025-12-30")
    recorded = only(
        t.do(RecordIntake, "2026-01-05", **intake_fields(services=["boekstart", "Informatiepunt Digitale Overheid"])),
        IntakeRecorded,
    )
    assert recorded.modules == ("M1",) and recorded.ido
    assert recorded.scope == ("1", "2", "3", "4", "5", "6", "7", "M1")


def test_module_1_does_not_apply_to_a_culture_organisation(kib2: Rules) -> None:
    """A Cultuurconnectie member offering 'Bibliotheek op school' is still audited on the base norms."""
    t = Trajectory(kib2)
    open_hengelo(t, association="Cultuurconnectie")
    t.fire_due("2025-12-30")
    recorded = only(
        t.do(RecordIntake, "2026-01-05", **intake_fields(services=["Bibliotheek op school", "IDO"])), IntakeRecorded
    )
    assert recorded.modules == () and not recorded.ido
