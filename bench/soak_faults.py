"""The soak test's faults: kill -9 of the Temporal dev server, of the embedded postmaster and of the worker.

The servers are found through the files the product itself keeps (`temporal/server.json`,
`pgdata/postmaster.pid`) and checked to be ours (the dev server runs in our `temporal/` folder, the
postmaster on our `pgdata`) before the signal: other runs on this machine are never touched. The
bench restarts the worker as a supervisor would; the servers are left to whoever needs them next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import asyncpg
import psutil

T = TypeVar("T")
DATABASE = "cbct"
"""The database the processes use inside the embedded server (`CBCT_DATABASE_NAME`'s default)."""
FAULT_KINDS = ("temporal", "postgres", "worker", "temporal_alone", "postgres_alone", "temporal_mid_command")
"""`temporal` and `postgres`: killed amid the operators' commands (a `cbct` process under way, or the
next, brings the server back). `..._alone`: the operators hold back and the commands under way finish
first, so only the worker runs when the server is killed: it alone must bring it back (issue 19 §1, §3).
`temporal_mid_command`: Temporal is killed the moment a command's events are in the store while its
`cbct` still waits for the answer, between the append and the update's completion (issue 19 §2)."""


def plan_faults(rng: random.Random, seconds: float, kinds: Sequence[str], per_kind: int) -> list[tuple[float, str]]:
    """`per_kind` faults of each kind at random moments, sorted; none in the first 10 % (let the run
    warm up) or the last 15 % (let the last one's recovery be seen). The window is cut into one slot per
    fault and each falls in the middle half of its slot, so faults lie at least half a slot apart and
    each one's recovery can be told apart; the kinds are dealt over the slots at random."""
    count = per_kind * len(kinds)
    if count == 0:
        return []
    low, high = seconds * 0.10, seconds * 0.85
    slot = (high - low) / count
    moments = [low + slot * (i + rng.uniform(0.25, 0.75)) for i in range(count)]
    order = [kind for kind in kinds for _ in range(per_kind)]
    rng.shuffle(order)
    return list(zip(moments, order, strict=True))


def temporal_server_pid(data_dir: Path) -> int | None:
    """The live embedded Temporal dev server of `data_dir`, per its `server.json`, if it is ours."""
    directory = data_dir / "temporal"
    try:
        state = json.loads((directory / "server.json").read_text())
        pid = int(state["server"]["pid"])
        process = psutil.Process(pid)
        if "start-dev" in process.cmdline() and Path(process.cwd()) == directory.resolve():
            return pid
    except (OSError, ValueError, KeyError, TypeError, psutil.Error):
        pass
    return None


def temporal_port(data_dir: Path) -> int | None:
    """The gRPC port `server.json` records for the embedded Temporal server."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return int(json.loads((data_dir / "temporal" / "server.json").read_text())["port"])
    return None


def postmaster_pid(data_dir: Path) -> int | None:
    """The live embedded postmaster of `data_dir`, per `pgdata/postmaster.pid`, if it runs our cluster."""
    pgdata = (data_dir / "pgdata").resolve()
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        process = psutil.Process(pid)
        if process.name().startswith("postgres") and Path(process.cwd()) == pgdata:
            return pid
    except (OSError, ValueError, IndexError, psutil.Error):
        pass
    return None


def kill_9(pid: int) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
        return True
    return False


@dataclass
class WorkerSupervisor:
    """Runs `python -m worker` and starts it again whenever it exits, as systemd or Kubernetes would."""

    env: Mapping[str, str]
    log_dir: Path
    restart_delay: float = 1.0
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    unexpected_exits: list[int | None] = field(default_factory=list)
    _killing: bool = False
    _stopping: bool = False
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name="worker-supervisor")
        await self._until_started()

    async def _until_started(self) -> None:
        for _ in range(100):
            if self.process is not None:
                return
            await asyncio.sleep(0.05)

    async def _supervise(self) -> None:
        while not self._stopping:
            self.starts += 1
            log = os.open(self.log_dir / f"worker-{self.starts}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "worker",
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(self.env),
                    cwd=self.log_dir,
                )
            finally:
                os.close(log)
            code = await self.process.wait()
            if not self._killing and not self._stopping:
                self.unexpected_exits.append(code)
            self._killing = False
            if not self._stopping:
                await asyncio.sleep(self.restart_delay)

    def pid(self) -> int | None:
        """The running worker's pid (None between a death and its restart)."""
        return self.process.pid if self.process is not None and self.process.returncode is None else None

    def kill(self) -> bool:
        """kill -9 the worker; the supervisor starts the next one."""
        if self.process is None or self.process.returncode is not None:
            return False
        self._killing = True
        return kill_9(self.process.pid)

    async def stop(self, within: float) -> bool:
        """SIGTERM and wait up to `within` seconds (then kill -9). True when it stopped in time."""
        self._stopping = True
        graceful = True
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), within)
            except TimeoutError:
                graceful = False
                kill_9(self.process.pid)
                await self.process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return graceful


@dataclass
class FaultInjector:
    """Injects the planned faults at their moments; a server that is down when its fault is due (nobody
    needed it since the last kill) is waited for up to `patience` seconds, else the fault is skipped.

    Before an `..._alone` kill the operators hold back (`gate` is cleared: no new `cbct` process starts)
    until the `cbct` processes under way have ended (or were interrupted after `drain` seconds), so only
    the worker runs; after the kill they wait
    up to `quiet` seconds more. `healed_s` records per kind how long the server took to come back in
    that window, None when it had not (the worker owns the embedded servers' life). For Temporal the
    port is recorded before and after, to see whether it came back on its recorded port."""

    data_dir: Path
    worker: WorkerSupervisor
    embedded_postgres: bool
    quiet: float = 15.0
    patience: float = 30.0
    drain: float = 30.0
    """How long an `..._alone` fault waits for the commands under way to end; then their operators
    press Ctrl-C (and retry them after the quiet window)."""
    late: float = 60.0
    """A fault delayed this long past the run's end (earlier faults took long) is skipped."""
    watch: float = 20.0
    """After the last fault the commands go on this long, so its recovery is seen."""
    finished_at: float | None = None
    database_url: str | None = None
    """The store's server when not the embedded one (`temporal_mid_command` watches the events)."""
    under_way: dict[str, int] = field(default_factory=dict)
    """Command id → attempt number of every `cbct` process running now (kept by the clients)."""
    caught_mid_command: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    done: list[tuple[float, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    healed_s: dict[str, list[float | None]] = field(default_factory=lambda: {"temporal": [], "postgres": []})
    temporal_ports: list[tuple[int | None, int | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gate.set()

    async def run(self, plan: Sequence[tuple[float, str]], t0: float, end: float, say: Callable[[str], None]) -> None:
        """Inject `plan` (moments relative to `t0`); a fault delayed past `end + late` is skipped."""
        try:
            for at, fault in plan:
                await self._at(at, fault, t0, end, say)
        finally:
            self.finished_at = time.monotonic()

    def over(self, end: float) -> bool:
        """The commands may stop: the run's time is up, every fault is done and its recovery was watched."""
        now = time.monotonic()
        return now >= end and self.finished_at is not None and now >= self.finished_at + self.watch

    async def _at(self, at: float, fault: str, t0: float, end: float, say: Callable[[str], None]) -> None:
        await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
        kind, alone = fault.removesuffix("_alone"), fault.endswith("_alone")
        if kind == "postgres" and not self.embedded_postgres:
            self.skipped.append(fault)
            return
        if time.monotonic() > end + self.late:
            self.skipped.append(fault)
            say(f"fault {fault}: skipped, {self.late:.0f} s past the run's end (earlier faults took long)")
            return
        if fault == "temporal_mid_command":
            await self._mid_command(fault, t0, say)
            return
        try:
            if alone:
                self.gate.clear()
                if not await _until(lambda: not cli_processes(), self.drain):
                    interrupted = interrupt(cli_processes())
                    say(f"fault {fault}: {interrupted} commands still under way after {self.drain:.0f} s: Ctrl-C")
                    await _until(lambda: not cli_processes(), 10)
                if self._server_pid(kind) is None and kind != "worker":
                    # Down since an earlier kill, with nobody but the worker (and commands under way) around.
                    self.healed_s[kind].append(None)
                    self.skipped.append(fault)
                    say(f"fault {fault}: the server is still down from an earlier kill; not healed")
                    return
            await self._one(fault, kind, alone, t0, say)
        finally:
            self.gate.set()

    async def _one(self, fault: str, kind: str, alone: bool, t0: float, say: Callable[[str], None]) -> None:
        port = temporal_port(self.data_dir)
        killed = await _until(lambda: self._inject(kind), self.patience)
        if killed is None:
            self.skipped.append(fault)
            say(f"fault {fault}: nothing to kill for {self.patience:.0f} s, skipped")
            return
        moment = time.monotonic()
        self.done.append((moment, fault))
        say(f"fault {fault}: kill -9 of pid {killed} at t={moment - t0:.0f}s")
        if not alone:
            return
        back = await _until(lambda: (pid := self._server_pid(kind)) is not None and pid != killed, self.quiet)
        if back:
            self.healed_s[kind].append(round(time.monotonic() - moment, 1))
            say(f"fault {fault}: back after {time.monotonic() - moment:.1f} s, with only the worker running")
        else:
            self.healed_s[kind].append(None)
            say(f"fault {fault}: still down after {self.quiet:.0f} s with only the worker running")
        if kind == "temporal":
            self.temporal_ports.append((port, temporal_port(self.data_dir)))

    async def _mid_command(self, fault: str, t0: float, say: Callable[[str], None]) -> None:
        """Watch the store for the events of a command whose first attempt is still waiting for its
        answer, and kill Temporal at once when they appear (within `patience` × 2 seconds, else skip)."""
        give_up = time.monotonic() + self.patience * 2
        connection: asyncpg.Connection | None = None
        try:
            while time.monotonic() < give_up:
                waiting = [command_id for command_id, attempt in self.under_way.items() if attempt == 1]
                if waiting:
                    try:
                        connection = connection or await asyncpg.connect(self._store_url(), timeout=5)
                        rows = await connection.fetch(
                            "SELECT DISTINCT command_id FROM events WHERE command_id = ANY($1::text[])", waiting
                        )
                    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError, ValueError):
                        connection = None  # the store is away (an earlier fault): look again
                        rows = []
                    landed = [r["command_id"] for r in rows if self.under_way.get(r["command_id"]) == 1]
                    pid = temporal_server_pid(self.data_dir)
                    if landed and pid is not None and kill_9(pid):
                        moment = time.monotonic()
                        self.done.append((moment, fault))
                        self.caught_mid_command.append(landed[0])
                        at = moment - t0
                        say(f"fault {fault}: kill -9 of pid {pid} at t={at:.0f}s; {landed[0]} stored, unanswered")
                        return
                await asyncio.sleep(0.02)
            self.skipped.append(fault)
            say(f"fault {fault}: no command caught between its append and its answer, skipped")
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()

    def _store_url(self) -> str:
        """The store's database: `database_url`, else the embedded server's socket per its postmaster.pid."""
        if self.database_url is not None:
            return self.database_url
        lines = ((self.data_dir / "pgdata").resolve() / "postmaster.pid").read_text().splitlines()
        port, socket_dir = lines[3].strip(), lines[4].strip()
        return f"postgresql://postgres@/{DATABASE}?host={quote(socket_dir, safe='/')}&port={port}"

    def _server_pid(self, kind: str) -> int | None:
        return temporal_server_pid(self.data_dir) if kind == "temporal" else postmaster_pid(self.data_dir)

    def _inject(self, kind: str) -> int | None:
        """kill -9 the process of `kind`; its pid, or None when none runs."""
        if kind == "worker":
            pid = self.worker.pid()
            return pid if pid is not None and self.worker.kill() else None
        pid = self._server_pid(kind)
        return pid if pid is not None and kill_9(pid) else None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(FAULT_KINDS, 0)
        for _, fault in self.done:
            counts[fault] += 1
        return counts


async def _until(condition: Callable[[], T | bool | None], within: float) -> T | bool | None:
    """Poll `condition` until it gives something truthy or `within` seconds passed; its last value."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        await asyncio.sleep(0.25)


def interrupt(pids: Sequence[int]) -> int:
    """SIGINT (an operator's Ctrl-C) to each process; how many got it."""
    count = 0
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
            count += 1
    return count


def cli_processes() -> list[int]:
    """This process's `cbct` children still running (the operators' commands under way)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "interfaces.cli.app" in child.cmdline():
                found.append(child.pid)
    return found


def survivors(data_dir: Path) -> list[psutil.Process]:
    """Every process that still runs on `data_dir` (servers orphaned by a kill, CLI processes), found by
    its working directory or command line: its cwd lies inside the data directory or the cluster, or
    its command line names one of them. Never this process or its ancestors (whose command line may
    name the data directory: `--data-dir`)."""
    roots = {str(data_dir.resolve())}
    with contextlib.suppress(OSError):
        roots.add(str((data_dir / "pgdata").resolve()))
    me = psutil.Process()
    exempt = {me.pid, *(p.pid for p in me.parents())}
    found: list[psutil.Process] = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cwd = process.info["cwd"] or ""
            cmdline = " ".join(process.info["cmdline"] or [])
        except psutil.Error:
            continue
        if process.pid not in exempt and any(cwd.startswith(r) or r in cmdline for r in roots):
            found.append(process)
    return found


def reap(data_dir: Path) -> list[str]:
    """kill -9 every survivor of the run; returns their names and pids."""
    killed: list[str] = []
    for process in survivors(data_dir):
        with contextlib.suppress(psutil.Error):
            name = process.name()
            if kill_9(process.pid):
                killed.append(f"{name}[{process.pid}]")
    return killed
