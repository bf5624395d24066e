"""Working days as the domain's calendar knows them (no weekend, no Dutch public holiday), cached."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from domain.calendar import non_working_reason


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """No weekend and no Dutch public holiday (the domain's calendar)."""
    return non_working_reason(day) is None
