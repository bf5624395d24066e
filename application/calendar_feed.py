"""An iCalendar feed (RFC 5545) of audits and deadlines: what a planner, auditor or auditee subscribes to.

Pure: the read models hand in the entries, this builds the VCALENDAR. Audit days are calendar dates in
Amsterdam and the domain gives them no hours (only *dagdelen*), so an audit is an all-day event: one
VEVENT per audit (`calendar_ids.audit_uid`, whatever moves it), its SEQUENCE raised each time its dates
or status changed, STATUS:CANCELLED once cancelled. A deadline falls due at an instant in Amsterdam
(the end of its day, or the reminder hour): the end of a day is shown as an all-day event on that day,
any other moment as a short event at that time in Europe/Amsterdam. The calendar carries the
Europe/Amsterdam VTIMEZONE and names it as the calendar's zone, so every client shows Dutch time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from application.calendar_ids import UID_DOMAIN, audit_uid
from domain.calendar import AMSTERDAM, end_of_day
from domain.dutch import ROUND_NAMES, dag, opsomming
from domain.vocabulary import RoundKind

TZID = "Europe/Amsterdam"
PRODID = "-//CBCT//Kwaliteit in Beeld trajecten//NL"
REFRESH = timedelta(hours=1)
"""How often a subscribed client should fetch the feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL)."""
TIMED_DEADLINE = timedelta(minutes=30)


@dataclass(frozen=True)
class AuditEntry:
    """One audit (a trajectory's round) as the calendar read model keeps it."""

    trajectory_id: str
    round_number: int
    round_kind: str
    organisation: str
    certificate_number: str
    audit_dates: tuple[date, ...]
    expert_auditor: str
    peer_auditor: str
    cancelled: bool
    sequence: int
    changed_at: datetime


@dataclass(frozen=True)
class DeadlineEntry:
    """A pending deadline of an auditee's trajectory (`projections.deadlines`)."""

    deadline_id: str
    trajectory_id: str
    organisation: str
    label: str
    due_on: date
    due_at: datetime


def deadline_uid(deadline_id: str) -> str:
    """A deadline's own UID; a deadline that moves is a new deadline (its id names its date)."""
    return f"deadline.{deadline_id.replace(':', '.')}@{UID_DOMAIN}"


def build_calendar(
    name: str,
    audits: Iterable[AuditEntry],
    deadlines: Iterable[DeadlineEntry] = (),
    *,
    now: datetime,
) -> bytes:
    """The feed as iCalendar bytes (UTF-8, CRLF lines); audits first, then deadlines, each by date."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(amsterdam_timezone())
    for audit in sorted(audits, key=lambda a: (a.audit_dates[0], a.trajectory_id, a.round_number)):
        calendar.add_component(audit_event(audit))
    for deadline in sorted(deadlines, key=lambda d: (d.due_at, d.deadline_id)):
        calendar.add_component(deadline_event(deadline, now=now))
    body: bytes = calendar.to_ical()
    return body


def amsterdam_timezone() -> Timezone:
    """Europe/Amsterdam as a VTIMEZONE with the EU summer-time rules (as since 1996): compact, timeless."""
    timezone = Timezone()
    timezone.add("tzid", TZID)
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 10, 25, 3, 0))
    standard.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("tzname", "CET")
    daylight = TimezoneDaylight()
    daylight.add("dtstart", datetime(1970, 3, 29, 2, 0))
    daylight.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    daylight.add("tzname", "CEST")
    timezone.add_component(standard)
    timezone.add_component(daylight)
    return timezone


def audit_event(audit: AuditEntry) -> Event:
    """The audit's VEVENT: all day, over consecutive audit days, or its first day with the others as RDATE."""
    days = tuple(sorted(audit.audit_dates))
    if not days:
        raise ValueError(f"audit {audit.trajectory_id} round {audit.round_number} has no audit dates")
    kind = _round_name(audit.round_kind)
    event = Event()
    event.add("uid", audit_uid(audit.trajectory_id, audit.round_number))
    event.add("dtstamp", audit.changed_at.astimezone(UTC))
    event.add("last-modified", audit.changed_at.astimezone(UTC))
    event.add("sequence", audit.sequence)
    event.add("status", "CANCELLED" if audit.cancelled else "CONFIRMED")
    prefix = "Geannuleerd: " if audit.cancelled else ""
    event.add("summary", f"{prefix}{kind} {audit.organisation}")
    consecutive = all(b - a == timedelta(days=1) for a, b in pairwise(days))
    event.add("dtstart", days[0])
    event.add("dtend", (days[-1] if consecutive else days[0]) + timedelta(days=1))
    if not consecutive:
        event.add("rdate", list(days[1:]))
    event.add("transp", "TRANSPARENT" if audit.cancelled else "OPAQUE")
    event.add("categories", ["Audit"])
    event.add("description", _audit_description(audit, kind, days))
    return event


def _round_name(round_kind: str) -> str:
    try:
        return ROUND_NAMES[RoundKind(round_kind)]
    except ValueError:
        return "Audit"


def _audit_description(audit: AuditEntry, kind: str, days: Sequence[date]) -> str:
    lines = [
        f"{kind} in het kader van Kwaliteit in Beeld bij {audit.organisation} "
        f"(certificaatnummer {audit.certificate_number}).",
        f"Auditdag{'en' if len(days) > 1 else ''}: {opsomming(dag(d) for d in days)}.",
        f"Deskundige auditor: {audit.expert_auditor}. Collega-auditor: {audit.peer_auditor}.",
        f"Traject: {audit.trajectory_id}.",
    ]
    if audit.cancelled:
        lines.insert(0, "Deze audit gaat niet door op deze datum (geannuleerd of uitgesteld).")
    return "\n".join(lines)


def _day_start(now: datetime) -> datetime:
    """A deadline's DTSTAMP: the start of the (UTC) day, so an unchanged feed is the same bytes all day
    (its ETag holds) while a deadline's row keeps no time of change of its own."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def deadline_event(deadline: DeadlineEntry, *, now: datetime) -> Event:
    """A deadline's VEVENT: all day when it falls due at the end of its day, else at its moment."""
    event = Event()
    event.add("uid", deadline_uid(deadline.deadline_id))
    event.add("dtstamp", _day_start(now))
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    event.add("summary", f"Uiterlijk: {deadline.label} ({deadline.organisation})")
    if deadline.due_at == end_of_day(deadline.due_on):
        event.add("dtstart", deadline.due_on)
        event.add("dtend", deadline.due_on + timedelta(days=1))
        when = f"uiterlijk {dag(deadline.due_on)}"
    else:
        start = deadline.due_at.astimezone(AMSTERDAM)
        event.add("dtstart", start)  # TZID=Europe/Amsterdam (zoneinfo key)
        event.add("dtend", start + TIMED_DEADLINE)
        when = f"{dag(deadline.due_on)} om {start:%H:%M}"
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Deadline"])
    event.add(
        "description",
        f"{deadline.label[:1].upper()}{deadline.label[1:]}: {when}.\n"
        f"{deadline.organisation}, traject {deadline.trajectory_id}.",
    )
    return event
