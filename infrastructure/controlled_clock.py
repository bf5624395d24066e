"""The controlled clock, kept in the database so every process reads the same moment."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg


class ClockNotSet(RuntimeError):
    """A controlled clock must be set once (`cbct clock set` / `tick --to`) before use."""


class DatabaseClock:
    """Reads and moves the singleton row of `controlled_clock`; it never moves backwards."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def now(self) -> datetime:
        value = await self._pool.fetchval("SELECT now FROM controlled_clock")
        if value is None:
            raise ClockNotSet("the controlled clock is not set: run `cbct clock tick --to <moment>` first")
        moment: datetime = value.astimezone(UTC)
        return moment

    async def peek(self) -> datetime | None:
        value = await self._pool.fetchval("SELECT now FROM controlled_clock")
        return None if value is None else value.astimezone(UTC)

    async def move_to(self, moment: datetime) -> datetime:
        """Move forward to `moment` (a no-op when already there); refuses to go back."""
        if moment.tzinfo is None:
            raise ValueError("to: must carry a time zone")
        row = await self._pool.fetchrow(
            """INSERT INTO controlled_clock (singleton, now) VALUES (true, $1)
               ON CONFLICT (singleton) DO UPDATE SET now = excluded.now, moved_at = now()
                   WHERE controlled_clock.now <= excluded.now
               RETURNING now""",
            moment,
        )
        if row is None:
            current = await self.now()
            raise ValueError(f"to: the clock does not go back ({moment.isoformat()} is before {current.isoformat()})")
        moved: datetime = row["now"].astimezone(UTC)
        return moved
