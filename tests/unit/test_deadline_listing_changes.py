"""When a listing of deadlines would say something else: the moment an answer kept for it runs out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.calendar import end_of_day
from projections.deadlines import ListedDeadline, listing_changes_at


def _listed(due_at: datetime, status: str, days_overdue: int = 0) -> ListedDeadline:
    return ListedDeadline(
        deadline_id="t:intake:0", trajectory_id="t", organisation="Bieb", kind="intake", label="intake",
        due_on=due_at.date(), due_at=due_at, nature="hard", party="auditee", fired=False, status=status,
        days_overdue=days_overdue,
    )  # fmt: skip


NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # a Friday; summer time starts on Sunday the 29th


def test_nothing_listed_changes_when_the_day_turns() -> None:
    assert listing_changes_at([], NOW) == end_of_day(date(2026, 3, 27)) == datetime(2026, 3, 27, 23, tzinfo=UTC)


def test_a_deadline_due_before_midnight_changes_the_listing_when_it_falls_due() -> None:
    soon = NOW + timedelta(hours=3)
    assert listing_changes_at([_listed(soon, "due"), _listed(NOW + timedelta(days=30), "pending")], NOW) == soon


def test_an_overdue_deadline_counts_a_day_more_after_whole_days_across_summer_time() -> None:
    due = datetime(2026, 3, 26, 8, 0, tzinfo=UTC)  # 1 day overdue at NOW, 28 hours ago
    later = NOW + timedelta(hours=13)  # midnight has passed: ask again on Saturday 01:00
    assert listing_changes_at([_listed(due, "overdue", 1)], NOW) == datetime(2026, 3, 27, 23, tzinfo=UTC)
    at_saturday = listing_changes_at([_listed(due, "overdue", 1)], later)
    assert at_saturday == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # 2 days: 48 hours after it fell due
    sunday = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)  # summer time: the day turns at 22:00 UTC
    assert listing_changes_at([_listed(due, "overdue", 3)], sunday) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert listing_changes_at([_listed(due, "overdue", 3)], datetime(2026, 3, 30, 7, tzinfo=UTC)) == datetime(
        2026, 3, 30, 8, tzinfo=UTC
    )


def test_a_moment_in_another_time_zone_is_the_same_instant() -> None:
    from domain.calendar import AMSTERDAM

    soon = (NOW + timedelta(hours=2)).astimezone(AMSTERDAM)
    assert listing_changes_at([_listed(soon, "due")], NOW) == NOW + timedelta(hours=2)
