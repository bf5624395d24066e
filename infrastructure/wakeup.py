"""Waking followers when events arrive, without taxing appends.

A NOTIFY inside every append transaction serialises commits (measured: about half the appends/s at
4-16 writers). Instead an append only pokes this object: local followers wake at once, and at most one
NOTIFY per `interval` goes out on its own connection for followers in other processes. A lost
notification costs latency, never events: followers poll as well.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

CHANNEL = "cbct_events"


class Wakeup:
    """A generation counter followers wait on; `poke()` bumps it and schedules one coalesced NOTIFY."""

    def __init__(self, pool: asyncpg.Pool | None = None, interval: float = 0.02) -> None:
        self._pool = pool
        self._interval = interval
        self._generation = 0
        self._pokes = 0
        self._changed = asyncio.Event()
        self._notify_task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None

    @property
    def generation(self) -> int:
        return self._generation

    def _bump(self) -> None:
        self._generation += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def poke(self) -> None:
        """Called after a committed append."""
        self._bump()
        self._pokes += 1
        if self._pool is not None and (self._notify_task is None or self._notify_task.done()):
            self._notify_task = asyncio.get_running_loop().create_task(self._notify_soon())

    async def _notify_soon(self) -> None:
        assert self._pool is not None
        sent = -1
        while sent != self._pokes:  # pokes during a send get a NOTIFY of their own
            await asyncio.sleep(self._interval)
            sent = self._pokes
            with contextlib.suppress(Exception):  # a lost NOTIFY only delays remote followers
                await self._pool.execute("SELECT pg_notify($1, '')", CHANNEL)

    async def wait(self, seen_generation: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bounded wait is the API
        """Wait until the generation moves past `seen_generation` or `timeout`; True when it moved."""
        if self._generation != seen_generation:
            return True
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)
        return self._generation != seen_generation

    async def listen(self, url: str) -> None:
        """Also wake on NOTIFYs from other processes (dedicated connection)."""
        if self._listener is not None:
            return
        self._listener = await asyncpg.connect(url)
        await self._listener.add_listener(CHANNEL, lambda *_: self._bump())

    async def close(self) -> None:
        if self._notify_task is not None and not self._notify_task.done():
            with contextlib.suppress(Exception):
                await self._notify_task
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
