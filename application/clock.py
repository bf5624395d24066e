"""Time as a port: the domain never reads a clock; the edges ask one of these.

Production reads the wall clock. Tests, the demo and ops use a controlled clock that only moves when
told to (`cbct clock tick --to ...`), so months of a trajectory pass in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    async def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    async def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """An in-memory clock for unit tests; `move_to` never goes back."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    async def now(self) -> datetime:
        return self._now

    async def move_to(self, moment: datetime) -> datetime:
        moment = _aware(moment)
        if moment < self._now:
            raise ValueError(
                f"to: the clock does not go back ({moment.isoformat()} < {self._now.isoformat()})"
            )
        self._now = moment
        return self._now


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("moment: must carry a time zone")
    return moment.astimezone(UTC)
