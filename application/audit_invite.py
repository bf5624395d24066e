"""An audit's dates as the e-mails about them carry them, for an iCalendar invitation (RFC 5545/5546).

One VEVENT per audit (a trajectory's round), with the UID the calendar feeds use too
(`application.calendar_ids.audit_uid`), so a calendar that imported it from the e-mail or the feed
keeps one entry: METHOD:REQUEST when the audit is scheduled or moved, METHOD:CANCEL with
STATUS:CANCELLED when it is cancelled; SEQUENCE is the number of times that round's dates changed
after it was first scheduled (a cancellation counts as one), so each later version replaces the one
before. An audit day runs 09:00-17:00 Europe/Amsterdam *(assumed: CBCT publishes no hours)*; a
second day is an RDATE of the same event. Pure: the same invite, organiser and stamp give the same
bytes (`application.invite_ics` writes it; this module stays free of icalendar, since the model travels
in workflow data and the workflow sandbox imports it).
"""

from __future__ import annotations

from datetime import date, time

from pydantic import BaseModel, ConfigDict

from application.dutch import dag

TZID = "Europe/Amsterdam"
AUDIT_DAY_STARTS = time(9, 0)
AUDIT_DAY_ENDS = time(17, 0)


class AuditInvite(BaseModel):
    """The calendar entry of one audit as an e-mail carries it (JSON-safe: it travels in workflow data)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uid: str
    sequence: int = 0
    dates: tuple[date, ...]
    cancelled: bool = False
    summary: str
    location: str = ""
    description: str = ""

    @property
    def method(self) -> str:
        return "CANCEL" if self.cancelled else "REQUEST"

    def when(self) -> str:
        """The dates and hours in Dutch: 'dinsdag 21-04-2026, 09:00-17:00'."""
        hours = f"{AUDIT_DAY_STARTS:%H:%M}-{AUDIT_DAY_ENDS:%H:%M}"
        return "; ".join(f"{dag(d)}, {hours}" for d in self.dates)
