"""`cbct serve`: the whole system in one process on one machine.

The embedded Postgres and Temporal (unless `CBCT_DATABASE_URL` / `CBCT_TEMPORAL_ADDRESS` point
elsewhere), the worker and the projections (the worker process's own machinery, `worker.run`), and the
HTTP server (`interfaces/http/server.py`) on `--host`/`--port`. It prints where to go, in Dutch, and runs
until SIGTERM or SIGINT: the HTTP server stops accepting and finishes its requests, then the worker
stops as `python -m worker` does. A port in use is one line and exit 1, before anything is started.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer

from infrastructure.logging import bind_operation, configure_logging
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_REJECTED, fail

if TYPE_CHECKING:
    from fastapi import FastAPI

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}  # shown, not bound


def public_url(settings: Settings, host: str, port: int) -> str:
    """Where people reach the server: `CBCT_PUBLIC_URL`, else `http://host:port` (loopback for a wildcard)."""
    if settings.public_url:
        return settings.public_url
    shown = _WILDCARDS.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


def register_serve(app: typer.Typer) -> None:
    """Add `cbct serve` to the CLI."""

    @app.command("serve")
    def serve(
        host: Annotated[
            str | None,
            typer.Option("--host", help="Adres om op te luisteren (standaard 127.0.0.1).", show_default=False),
        ] = None,
        port: Annotated[
            int | None,
            typer.Option(
                "--port", min=1, max=65535, help="Poort (standaard 8470, of CBCT_HTTP_PORT).", show_default=False
            ),
        ] = None,
    ) -> None:
        """Start het hele systeem: database, procesmotor, worker, leesmodellen en de HTTP-API."""
        from interfaces.http.server import PortInUse, listen_socket

        settings = Settings()
        host = host if host is not None else settings.http_host
        port = port if port is not None else settings.http_port
        try:
            sock = listen_socket(host, port)
        except PortInUse:
            fail(f"Poort {port} op {host} is al in gebruik. Stop wat daar draait, of kies een andere met --port.")
            raise typer.Exit(EXIT_REJECTED) from None
        except OSError as error:
            fail(f"Kan niet luisteren op {host}:{port}: {error.strerror or error}.")
            raise typer.Exit(EXIT_REJECTED) from None
        configure_logging(settings.log_format, settings.log_level)  # a server's log, not a command's
        asyncio.run(_serve(settings, sock, public_url(settings, host, port)))


async def _serve(settings: Settings, sock: socket.socket, public: str) -> None:
    from interfaces.http.server import http_server
    from worker import run

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    companion = partial(http_server, sock=sock, on_started=partial(_print_addresses, public))
    with bind_operation(process="serve"):
        await run(settings, stop, companion=companion, name="serve", ui_codec_endpoint=f"{public}/codec")
    typer.echo("CBCT is gestopt.")


def _print_addresses(public: str, web: FastAPI) -> None:
    access = web.state.cbct.temporal_access
    ui = access.ui_address if access is not None else None
    lines = [
        "CBCT draait.",
        f"  Startpagina:        {public}/",
        f"  API-documentatie:   {public}/api/docs",
        f"  Temporal Web UI:    {ui or 'onbekend (zet CBCT_TEMPORAL_UI_URL)'}",
        "Stoppen: Ctrl-C (of SIGTERM).",
    ]
    typer.echo("\n".join(lines))
