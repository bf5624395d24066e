"""CBCT's calendar: terms end on Amsterdam calendar dates, instants are UTC, audits need working days.

A "2 weeks" term is counted on the calendar of the Netherlands, not in 336 hours, so a term that
spans the switch to summer time still ends at midnight in Amsterdam. The clock is always an argument.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def require_aware(now: datetime) -> datetime:
    """Return ``now`` in UTC; a naive datetime is a programming error, not a domain refusal."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (got a naive datetime)")
    return now.astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The calendar date in Amsterdam at ``instant``."""
    return require_aware(instant).astimezone(AMSTERDAM).date()


def local_moment(day: date, at: time) -> datetime:
    """The UTC instant of wall-clock time ``at`` on ``day`` in Amsterdam."""
    return datetime.combine(day, at, tzinfo=AMSTERDAM).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The UTC instant a term ending on ``day`` runs out: the next Amsterdam midnight."""
    return local_moment(day + timedelta(days=1), time(0, 0))


def add_days(day: date, days: int) -> date:
    """Calendar days later (or earlier when negative)."""
    return day + timedelta(days=days)


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """Calendar years later; 29 Feb becomes 28 Feb in a common year."""
    return add_months(day, 12 * years)


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=[year], language="nl").items())


def holiday_name(day: date) -> str | None:
    """The Dutch public holiday on ``day`` (e.g. 'Koningsdag'), or None."""
    return _dutch_holidays(day.year).get(day)


def non_working_reason(day: date) -> str | None:
    """Why no audit can take place on ``day`` (weekday name or holiday), or None for a working day."""
    if day.weekday() >= 5:
        return _WEEKDAYS_NL[day.weekday()]
    name = holiday_name(day)
    return f"{name} (feestdag)" if name else None


def last_working_day(day: date) -> date:
    """``day`` itself when an audit can take place on it, else the working day before it."""
    while non_working_reason(day):
        day = add_days(day, -1)
    return day


_QUARTER_TEXT = re.compile(r"^\s*(\d{4})\s*-?\s*[KkQq]([1-4])\s*$")


class Quarter(BaseModel):
    """A calendar quarter, written the Dutch way: ``2026-K2``; audits are announced per quarter."""

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=2000, le=2100)
    number: int = Field(ge=1, le=4)

    @model_validator(mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        """Accept '2026-K2' (and '2026-Q2') wherever a quarter is expected."""
        if isinstance(value, str):
            match = _QUARTER_TEXT.match(value)
            if not match:
                raise ValueError(f"kwartaal '{value}' heeft niet de vorm JJJJ-K1..K4")
            return {"year": int(match.group(1)), "number": int(match.group(2))}
        return value

    @model_serializer
    def _as_text(self) -> str:
        """Stored and shown as '2026-K2', which is also what the planners type."""
        return str(self)

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter that contains ``day``."""
        return cls(year=day.year, number=(day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter."""
        return add_days(add_months(self.start, 3), -1)

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside this quarter."""
        return self.start <= day <= self.end

    def next(self) -> Quarter:
        """The following quarter."""
        return Quarter.of(add_months(self.start, 3))

    @property
    def key(self) -> tuple[int, int]:
        """Sort key; quarters compare chronologically."""
        return (self.year, self.number)

    def __lt__(self, other: Quarter) -> bool:
        return self.key < other.key

    def __le__(self, other: Quarter) -> bool:
        return self.key <= other.key

    def __str__(self) -> str:
        return f"{self.year}-K{self.number}"

    def describe(self) -> str:
        """'2026-K2 (2026-04-01 t/m 2026-06-30)', for messages."""
        return f"{self} ({self.start.isoformat()} t/m {self.end.isoformat()})"
