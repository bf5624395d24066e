"""Waking followers when events arrive, without taxing appends.

A NOTIFY inside every append transaction serialises commits (measured: about half the appends/s at
4-16 writers). Instead an append only pokes this object: local followers wake at once, and at most one
NOTIFY per `interval` goes out on its own connection for followers in other processes. A lost
notification costs latency, never events: followers poll as well.

The LISTEN connection (`listen`) is kept: when the database restarts it is lost, and it is made again
(with backoff, for as long as it takes); followers are woken once it is back, for what arrived meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from infrastructure.logging import get_logger

CHANNEL = "cbct_events"
CHECK_SECONDS = 5.0
"""How often the LISTEN connection is pinged: a connection the kernel has not yet seen die is found."""
MAX_BACKOFF_SECONDS = 5.0

log = get_logger(__name__)


class Wakeup:
    """A generation counter followers wait on; `poke()` bumps it and schedules one coalesced NOTIFY."""

    def __init__(
        self, pool: asyncpg.Pool | None = None, interval: float = 0.02, *, check_seconds: float = CHECK_SECONDS
    ) -> None:
        self._pool = pool
        self._interval = interval
        self._check_seconds = check_seconds
        self._generation = 0
        self._pokes = 0
        self._changed = asyncio.Event()
        self._notify_task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._keeping: asyncio.Task[None] | None = None

    @property
    def generation(self) -> int:
        return self._generation

    def _bump(self) -> None:
        self._generation += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def wake(self) -> None:
        """Wake every local follower now, without a NOTIFY (they look at what else changed: a stop)."""
        self._bump()

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
        """Also wake on NOTIFYs from other processes (a dedicated connection, made again when lost).

        The first connection is made here (its error is raised); later losses are healed in the background.
        """
        if self._keeping is not None:
            return
        await self._connect(url)
        self._keeping = asyncio.get_running_loop().create_task(self._keep(url), name="wakeup-listener")

    @property
    def listening(self) -> bool:
        """The LISTEN connection is up (False while it is being made again)."""
        return self._listener is not None and not self._listener.is_closed() and not self._lost.is_set()

    async def _connect(self, url: str) -> None:
        connection = await asyncpg.connect(url)
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, lambda *_: self._bump())
        except BaseException:
            connection.terminate()
            raise
        self._listener, self._lost = connection, lost

    async def _keep(self, url: str) -> None:
        """Until cancelled: notice a lost connection (closed, or not answering a ping), make it again."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._check_seconds)
            if not self._lost.is_set() and await self._answers():
                continue
            await self._reconnect(url)

    async def _answers(self) -> bool:
        listener = self._listener
        if listener is None or listener.is_closed():
            return False
        try:
            await asyncio.wait_for(listener.fetchval("SELECT 1"), self._check_seconds)
        except Exception:  # lost, refused, timed out: every way of not answering
            return False
        return True

    async def _reconnect(self, url: str) -> None:
        if self._listener is not None:
            self._listener.terminate()
            self._listener = None
        log.warning("wakeup_listener_lost")
        delay = 0.1
        while True:
            try:
                await self._connect(url)
                break
            except Exception as error:  # the server is still away: try again, one line per loss only
                log.debug("wakeup_listener_retry", error=f"{type(error).__name__}: {error}"[:200])
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        log.info("wakeup_listener_back")
        self._bump()  # what was appended while no NOTIFY could reach us

    async def close(self) -> None:
        if self._notify_task is not None and not self._notify_task.done():
            with contextlib.suppress(Exception):
                await self._notify_task
        if self._keeping is not None:
            self._keeping.cancel()
            await asyncio.gather(self._keeping, return_exceptions=True)
            self._keeping = None
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
