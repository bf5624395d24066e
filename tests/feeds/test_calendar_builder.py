"""The iCalendar builder on its own (pure): audit days as all-day events, deadlines by their moment in
Amsterdam, the VTIMEZONE, and a calendar that parses back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar, Event

from application.calendar_feed import AuditEntry, DeadlineEntry, build_calendar, deadline_uid
from application.calendar_ids import audit_uid
from domain.calendar import AMSTERDAM, end_of_day, local_moment

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def audit(*days: date, cancelled: bool = False, sequence: int = 0) -> AuditEntry:
    return AuditEntry(
        trajectory_id="kib-1036",
        round_number=1,
        round_kind="heraudit",
        organisation="Bibliotheek Helmond-Peel",
        certificate_number="1036",
        audit_dates=days,
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
        cancelled=cancelled,
        sequence=sequence,
        changed_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )


def parsed(body: bytes) -> list[Event]:
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if isinstance(e, Event)]


def test_consecutive_audit_days_are_one_all_day_span() -> None:
    [event] = parsed(build_calendar("t", [audit(date(2026, 4, 13), date(2026, 4, 14))], now=NOW))
    assert str(event["UID"]) == audit_uid("kib-1036", 1)
    assert event.decoded("DTSTART") == date(2026, 4, 13) and event.decoded("DTEND") == date(2026, 4, 15)
    assert "RDATE" not in event and str(event["SUMMARY"]) == "Heraudit Bibliotheek Helmond-Peel"
    assert event.decoded("DTSTAMP") == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_audit_days_apart_are_the_first_day_and_the_others_as_rdate() -> None:
    [event] = parsed(build_calendar("t", [audit(date(2026, 4, 16), date(2026, 4, 13))], now=NOW))
    assert event.decoded("DTSTART") == date(2026, 4, 13) and event.decoded("DTEND") == date(2026, 4, 14)
    assert event.rdates == [(date(2026, 4, 16), None)]


def test_a_cancelled_audit_says_so() -> None:
    [event] = parsed(build_calendar("t", [audit(date(2026, 4, 13), cancelled=True, sequence=2)], now=NOW))
    assert str(event["STATUS"]) == "CANCELLED" and int(event.decoded("SEQUENCE")) == 2
    assert str(event["TRANSP"]) == "TRANSPARENT" and str(event["SUMMARY"]).startswith("Geannuleerd: ")


def test_deadlines_fall_on_their_amsterdam_day_or_at_their_moment_there() -> None:
    end_of_day_one = DeadlineEntry(
        "kib-1036:self_evaluation:2026-03-29:0",
        "kib-1036",
        "Bibliotheek Helmond-Peel",
        "zelfevaluatie",
        date(2026, 3, 29),
        end_of_day(date(2026, 3, 29)),  # the night summer time starts
    )
    at_nine = DeadlineEntry(
        "kib-1036:survey_reminder:2026-03-30:0",
        "kib-1036",
        "Bibliotheek Helmond-Peel",
        "herinnering enquête",
        date(2026, 3, 30),
        local_moment(date(2026, 3, 30), datetime.min.time().replace(hour=9)),
    )
    body = build_calendar("t", [], [at_nine, end_of_day_one], now=NOW)
    calendar = Calendar.from_ical(body)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Amsterdam"
    first, second = parsed(body)
    assert str(first["UID"]) == deadline_uid(end_of_day_one.deadline_id)
    assert first.decoded("DTSTART") == date(2026, 3, 29) and first.decoded("DTEND") == date(2026, 3, 30)
    start = second.decoded("DTSTART")
    assert isinstance(start, datetime) and start.tzinfo is not None and str(start.tzinfo) == "Europe/Amsterdam"
    assert start == datetime(2026, 3, 30, 9, 0, tzinfo=AMSTERDAM) and start.utcoffset() is not None
    assert start.astimezone(UTC).hour == 7  # CEST
    assert b"TZID=Europe/Amsterdam:20260330T090000" in body
    assert build_calendar("t", [], [at_nine], now=NOW) == build_calendar(
        "t", [], [at_nine], now=NOW.replace(hour=23)
    )  # the same bytes all day while nothing changes
