"""An `AuditInvite` as iCalendar text: METHOD, VTIMEZONE Europe/Amsterdam, one VEVENT (see
`application.audit_invite` for the rules). Pure: the same invite, organiser and stamp give the same text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from application.audit_invite import AUDIT_DAY_ENDS, AUDIT_DAY_STARTS, TZID, AuditInvite

AMSTERDAM = ZoneInfo(TZID)
PRODID = "-//CBCT//cbct-trajectories//NL"


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=AMSTERDAM)


def invite_ics(
    invite: AuditInvite, *, organiser_name: str, organiser_email: str, attendee: str, stamp: datetime
) -> str:
    """The invitation as an iCalendar text (CRLF line ends, as RFC 5545 wants)."""
    if not invite.dates:
        raise ValueError("dates: an invitation needs at least one audit day")
    days = sorted(invite.dates)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", invite.method)
    calendar.add_component(
        Timezone.from_tzinfo(
            AMSTERDAM, TZID, first_date=date(days[0].year, 1, 1), last_date=date(days[-1].year + 1, 1, 1)
        )
    )
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", _at(days[0], AUDIT_DAY_STARTS))
    event.add("dtend", _at(days[0], AUDIT_DAY_ENDS))
    if len(days) > 1:
        event.add("rdate", [_at(d, AUDIT_DAY_STARTS) for d in days[1:]])
    event.add("summary", invite.summary)
    if invite.location:
        event.add("location", invite.location)
    if invite.description:
        event.add("description", invite.description)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organiser = vCalAddress(f"mailto:{organiser_email}")
    organiser.params["cn"] = vText(organiser_name)
    event.add("organizer", organiser)
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["rsvp"] = vText("FALSE")
    event.add("attendee", guest)
    calendar.add_component(event)
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")
