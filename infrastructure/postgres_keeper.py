"""Keeping the embedded Postgres alive under the process that owns its life (the worker).

A postmaster killed with -9 (or by the OOM killer) used to stay dead until some CLI command happened to
start it: the worker's store and projections retried against a socket nobody listened on. The keeper
polls the postmaster's pid (cheap: no connection) and, when it is gone, restarts the server on the same
cluster and socket (`EmbeddedPostgres.restart`): the pool's next connection reaches it, so the outage
costs about a second. One warning when the server is lost, one line when it is back; readiness says
`postgres` is down meanwhile. With `CBCT_DATABASE_URL` there is no keeper: the server is someone else's,
and the pool reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess

from infrastructure.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError
from infrastructure.logging import get_logger
from infrastructure.readiness import Readiness

log = get_logger(__name__)

CONDITION = "postgres"
POLL_SECONDS = 0.5
_RETRY_MAX_SECONDS = 5.0


class PostgresKeeper:
    """Restarts `server` whenever its postmaster is gone, until `run`'s stop event is set."""

    def __init__(
        self, server: EmbeddedPostgres, readiness: Readiness | None = None, *, poll_seconds: float = POLL_SECONDS
    ) -> None:
        self._server = server
        self._readiness = readiness
        self._poll = poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Watch until `stop` is set (a restart under way is finished first: it holds the start lock)."""
        while not stop.is_set():
            if not self._server.alive():
                await self._recover(stop)
            await _wait(stop, self._poll)

    async def _recover(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        lost = loop.time()
        log.warning("embedded_postgres_lost", pgdata=str(self._server.pgdata))
        if self._readiness is not None:
            self._readiness.down(CONDITION, "de ingebedde Postgres is gestopt; herstart loopt")
        failures = 0
        while not stop.is_set():
            try:
                started = await asyncio.to_thread(self._server.restart)
            except (EmbeddedPostgresError, OSError, TimeoutError, subprocess.TimeoutExpired) as error:
                failures += 1
                if failures == 1:  # one line per outage, not one per attempt
                    log.warning("embedded_postgres_restart_failed", error=str(error))
                await _wait(stop, min(_RETRY_MAX_SECONDS, 0.25 * 2**failures))
                continue
            log.info(
                "embedded_postgres_recovered",
                seconds=round(loop.time() - lost, 2),
                restarted_here=started,
                attempts=failures + 1,
            )
            if self._readiness is not None:
                self._readiness.up(CONDITION)
            return


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
