"""The calendar's grid (`lay_out`): a week shows every audit of its days; a month shows at most
`MONTH_ITEMS_PER_DAY` a day and links the rest, counted, to that day's week."""

from __future__ import annotations

from datetime import UTC, date, datetime

from application.calendar_feed import AuditEntry
from interfaces.web.calendar_page import MONTH_ITEMS_PER_DAY, lay_out

BUSY = date(2026, 4, 21)  # a Tuesday


def audit(n: int, *days: date, cancelled: bool = False) -> tuple[AuditEntry, bool]:
    entry = AuditEntry(
        trajectory_id=f"T-{n:03d}", round_number=1, round_kind="audit", organisation=f"Bibliotheek {n}",
        certificate_number=str(1000 + n), audit_dates=days, expert_auditor="Ellen Expert", peer_auditor="Peter Peer",
        cancelled=cancelled, sequence=0, changed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    return entry, False


CROWD = [audit(n, BUSY) for n in range(MONTH_ITEMS_PER_DAY + 3)] + [audit(99, date(2026, 4, 23), date(2026, 4, 24))]


def test_a_month_shows_a_few_audits_a_day_and_links_the_rest_to_its_week() -> None:
    days, shown = lay_out(CROWD, "maand", date(2026, 4, 1), date(2026, 3, 2), None)
    busy = next(d for d in days if d.day == BUSY)
    assert [i.organisation for i in busy.items] == [f"Bibliotheek {n}" for n in range(MONTH_ITEMS_PER_DAY)]
    assert busy.hidden == 3
    assert busy.more_url == "/kalender?weergave=week&datum=2026-04-21"
    assert shown == MONTH_ITEMS_PER_DAY + 3 + 2  # every audit day counts, shown or not
    quiet = [d for d in days if d.day != BUSY]
    assert all(d.hidden == 0 and d.more_url == "" for d in quiet)
    assert [i.day_of for d in quiet for i in d.items] == ["dag 1 van 2", "dag 2 van 2"]
    assert len(days) == 35 and days[0].day == date(2026, 3, 30)  # whole weeks: 30 March .. 3 May


def test_a_week_shows_every_audit_and_the_link_keeps_the_auditor() -> None:
    days, shown = lay_out(CROWD, "week", BUSY, BUSY, "Ellen Expert")
    busy = next(d for d in days if d.day == BUSY)
    assert len(busy.items) == MONTH_ITEMS_PER_DAY + 3 and busy.hidden == 0
    assert busy.is_today and shown == MONTH_ITEMS_PER_DAY + 5
    month, _ = lay_out(CROWD, "maand", BUSY, BUSY, "Ellen Expert")
    assert next(d for d in month if d.day == BUSY).more_url.endswith("&auditor=Ellen+Expert")
