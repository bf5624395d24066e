"""The HTTP server of `cbct serve`: uvicorn in the process's own event loop, beside the worker.

`http_server` is the worker's companion (`worker.run(..., companion=...)`): it gives the process's `App`
its way to the workflows (a `TrajectoryClient` signing with the process's keys, on whatever client the
Temporal supervisor holds now: after the embedded server moved, commands follow it), keeps the event
store's LISTEN connection (`Wakeup.listen`: read models follow appends of other processes, also after a
database restart), and serves the app on a socket bound before anything else started (`listen_socket`:
a port in use is known at once). On the way down it stops accepting, lets requests in flight finish
(at most `shutdown_grace_seconds`), and only then does the worker stop.

uvicorn's own signal handling is off (the process's handlers set the stop event), its access log is off
(the platform middleware logs every request through structlog) and its few lines of its own go through
structlog too, so stdout carries only what `cbct serve` prints for people.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING

import uvicorn
from temporalio.client import Client

from bootstrap import TemporalAccess
from infrastructure.logging import get_logger
from interfaces.following_trajectories import FollowingTrajectories
from interfaces.http.app import create_app
from workflows.client import TrajectoryClient

if TYPE_CHECKING:
    from fastapi import FastAPI

    from application.command_signature import CommandSigner
    from infrastructure.temporal_supervisor import TemporalSupervisor
    from worker import Running

log = get_logger("http")

STOP_MARGIN_SECONDS = 1.0


class PortInUse(OSError):
    """Another process listens on the address `cbct serve` was asked to use."""


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (IPv4 or IPv6), taken now so the port is ours or refused."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise OSError(f"onbekend adres {host!r}: {error.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT of a previous run is no user
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == 98:  # EADDRINUSE
            raise PortInUse(error.errno, f"poort {port} op {host} is al in gebruik") from None
        raise
    sock.set_inheritable(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the process's own stop the whole system in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def uvicorn_server(web: FastAPI, *, grace_seconds: float, trusted_proxies: str = "") -> uvicorn.Server:
    """A uvicorn server for `web` that runs in the caller's loop: no signal handlers, no access log, no
    lifespan, no `server` header; requests in flight get `grace_seconds` when it stops.

    X-Forwarded-For and -Proto count only from `trusted_proxies` (`CBCT_TRUSTED_PROXIES`). uvicorn's own
    default believes them from 127.0.0.1: every account on the machine could then claim any address,
    and spread its password guesses over made-up clients."""
    _route_uvicorn_logs()
    config = uvicorn.Config(
        web,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="httptools",
        server_header=False,
        timeout_graceful_shutdown=max(1, round(grace_seconds)),
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=trusted_proxies or None,
    )
    return _Server(config)


class _SupervisedAccess(TemporalAccess):
    """The `App`'s Temporal access in `cbct serve`: the supervisor's client and Web UI, as they are now."""

    def __init__(self, supervisor: TemporalSupervisor, trajectories: TrajectoryClient) -> None:
        self._supervisor = supervisor
        self.trajectories = trajectories

    @property
    def client(self) -> Client:
        return self._supervisor.client

    @client.setter
    def client(self, value: Client) -> None:
        """Ignored: the supervisor's client is the one."""

    @property
    def ui_address(self) -> str | None:
        return self._supervisor.ui

    @ui_address.setter
    def ui_address(self, value: str | None) -> None:
        """Ignored: the supervisor knows where the Web UI is."""


def supervised_access(supervisor: TemporalSupervisor, signer: CommandSigner) -> TemporalAccess:
    """The `App`'s way to the workflows in `cbct serve`: commands signed with the process's keys, sent on
    the client the supervisor holds at that moment; the Web UI's address as the supervisor knows it."""
    return _SupervisedAccess(supervisor, FollowingTrajectories(supervisor, signer=signer))


class _ToStructlog(logging.Handler):
    """uvicorn's own log lines (start, shutdown, protocol errors) as structlog lines."""

    def emit(self, record: logging.LogRecord) -> None:
        level = record.levelname.lower()
        method = getattr(log, level if level in ("debug", "info", "warning", "error", "critical") else "info")
        method("uvicorn", message=record.getMessage()[:500], logger=record.name)


def _route_uvicorn_logs() -> None:
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [_ToStructlog()] if name == "uvicorn" else []
        logger.setLevel(logging.INFO)
        logger.propagate = name != "uvicorn"
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate, access.disabled = [], False, True


@contextlib.asynccontextmanager
async def http_server(
    running: Running, *, sock: socket.socket, on_started: Callable[[FastAPI], None] | None = None
) -> AsyncIterator[asyncio.Task[None]]:
    """Serve the HTTP app on `sock` while inside; yield the server's task (it ends only when stopped)."""
    from application.command_signature import CommandSigner
    from infrastructure.keyring import signing_keys

    app, settings = running.app, running.settings
    app.temporal_access = supervised_access(running.temporal, CommandSigner(signing_keys(settings)))
    try:
        await app.store.wakeup.listen(app.database.url)
    except Exception as error:  # followers still poll; the supervisor of the listener is not started
        log.warning("wakeup_listen_failed", error=f"{type(error).__name__}: {error}"[:200])
    web = create_app(app)
    web.state.readiness = running.readiness
    grace = settings.shutdown_grace_seconds
    server = uvicorn_server(web, grace_seconds=grace, trusted_proxies=settings.trusted_proxies)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="http-server")
    try:
        while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn sets a flag, not an event
            await asyncio.sleep(0.01)
        if task.done():
            task.result()  # its error, or:
            raise RuntimeError("the HTTP server stopped while starting")
        log.info("http_started", address=_address(sock))
        if on_started is not None:
            on_started(web)
        yield task
    finally:
        server.should_exit = True  # stop accepting; the requests in flight finish
        if not task.done() and (await asyncio.wait([task], timeout=grace + STOP_MARGIN_SECONDS))[1]:
            server.force_exit = True
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        app.temporal_access = None
        log.info("http_stopped")


def _address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
