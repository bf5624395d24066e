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
