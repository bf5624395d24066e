"""Keeping a worker on its Temporal server when that server crashes or goes away.

The SDK retries a lost server's address for ever. That heals a cluster that comes back on its address,
but not the embedded server: nobody starts it again, and a successor may answer elsewhere, so timers
and retries reach no worker. The supervisor watches the server (its process, a health check):

- embedded: it starts or joins the server again at once (`EmbeddedTemporal.revive`, on the recorded
  ports); when the address moved all the same, it connects a new client and gives it to the worker
  (`Worker.client`: the polls move to it);
- a configured cluster: it checks again with backoff until the cluster answers (the SDK reconnects).

While cut off the `temporal` condition of the process's `Readiness` is down. One line is logged when the
server is lost and one when it is back, not one per attempt.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from infrastructure.logging import get_logger
from infrastructure.readiness import Readiness
from infrastructure.settings import Settings
from infrastructure.temporal_client import connect_client, connect_embedded
from infrastructure.temporal_server import EmbeddedTemporal

TEMPORAL = "temporal"
"""The readiness condition: this process reaches its Temporal server."""

log = get_logger(__name__)


class TemporalSupervisor:
    """The worker's client on its server, kept: `keep(worker)` heals until cancelled."""

    def __init__(
        self,
        settings: Settings,
        readiness: Readiness,
        client: Client,
        ui: str | None,
        *,
        embedded: EmbeddedTemporal | None,
        identity: str | None = None,
        interval: float = 0.5,
        max_backoff: float = 10.0,
        health_timeout: float = 3.0,
    ) -> None:
        self.client = client
        self.ui = ui
        self._settings = settings
        self._readiness = readiness
        self._embedded = embedded
        self._identity = identity
        self._interval = interval
        self._max_backoff = max_backoff if embedded is None else min(max_backoff, 5.0)
        self._health_timeout = timedelta(seconds=health_timeout)

    @property
    def address(self) -> str:
        return self.client.service_client.config.target_host

    async def keep(self, worker: Worker) -> None:
        """Watch the server and heal the worker's connection, until cancelled."""
        lost_at: float | None = None
        revived = moved = False
        attempts = 0
        while True:
            problem = await self._problem()
            if problem is None:
                if lost_at is not None:
                    log.info(
                        "temporal_back",
                        address=self.address,
                        after_seconds=round(time.monotonic() - lost_at, 2),
                        revived=revived,
                        moved=moved,
                    )
                    self._readiness.up(TEMPORAL)
                    lost_at, revived, moved, attempts = None, False, False, 0
                await asyncio.sleep(self._interval)
                continue
            if lost_at is None:
                lost_at = time.monotonic()
                log.warning("temporal_lost", address=self.address, problem=problem)
            self._readiness.down(TEMPORAL, f"Temporal-server {self.address} onbereikbaar: {problem}")
            if self._embedded is not None:
                try:
                    moved = await self._revive(worker) or moved
                    revived = True
                    if attempts == 0:
                        attempts += 1
                        continue  # check the revived server at once
                except Exception as error:  # the next attempt may do; the reason says why meanwhile
                    self._readiness.down(TEMPORAL, f"Temporal-server niet opnieuw te starten: {error}")
                    if attempts == 0:
                        log.warning("temporal_revive_failed", error=str(error).splitlines()[0])
            await asyncio.sleep(min(self._max_backoff, self._interval * 2**attempts))
            attempts += 1

    async def _problem(self) -> str | None:
        """Why the server cannot be used now; None when it answers."""
        if self._embedded is not None and not self._embedded.running:
            return "proces gestopt"
        try:
            serving = await self.client.service_client.check_health(timeout=self._health_timeout)
        except Exception as error:  # refused, timed out, TLS: every way of not answering
            return f"{type(error).__name__}: {error}".splitlines()[0][:200]
        return None if serving else "dienst niet beschikbaar"

    async def _revive(self, worker: Worker) -> bool:
        """Start or join the embedded server again; move the worker to it when its address moved."""
        assert self._embedded is not None
        info = await self._embedded.revive()
        self.ui = info.ui_address
        if info.address == self.address:
            return False
        client = await connect_embedded(self._settings, info, identity=self._identity)
        worker.client = client  # polls from now on go to the new address
        self.client = client
        return True


@asynccontextmanager
async def supervised_temporal(
    settings: Settings, readiness: Readiness, *, identity: str | None = None, ui_codec_endpoint: str | None = None
) -> AsyncIterator[TemporalSupervisor]:
    """A connected supervisor: on `CBCT_TEMPORAL_ADDRESS`, else on the embedded server of `CBCT_DATA_DIR`
    (started or joined here, released on exit without waiting for its graceful stop; a server started
    here gives its Web UI `ui_codec_endpoint`)."""
    if settings.temporal_address is not None:
        client = await connect_client(settings, identity=identity)
        yield TemporalSupervisor(
            settings, readiness, client, settings.temporal_ui_url, embedded=None, identity=identity
        )
        return
    server = EmbeddedTemporal(settings.data_dir, settings.temporal_namespace, ui_codec_endpoint=ui_codec_endpoint)
    info = await server.start()
    try:
        client = await connect_embedded(settings, info, identity=identity)
        yield TemporalSupervisor(settings, readiness, client, info.ui_address, embedded=server, identity=identity)
    finally:
        server.stop(wait=False)
