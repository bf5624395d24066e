"""HTTP benchmark: reads and commands over loopback HTTP against `cbct serve`, beside the same work in-process.

Run:
    python -m bench.http [--quick] [--seconds N] [--trajectories N]
    python -m bench.http --pages [...]    (the planner's pages instead: bench/http_pages.py)

Server: a `cbct serve` subprocess (`python -m interfaces.cli.app serve`, production settings: JSON logs of
every request, the default pool) on 127.0.0.1 and a free port, on a fresh database of the Postgres at
CBCT_DATABASE_URL (otherwise the embedded one), dropped afterwards; Temporal is an embedded dev server
this process starts (loopback, SQLite in a temporary directory) and hands to `cbct serve` as
CBCT_TEMPORAL_ADDRESS, so both sides reach the same workflows through the same worker (serve's).

Seeded first with `--trajectories` trajectories (opened, announced, two in three with their intake in)
through `TrajectoryService`. Nothing is measured before serve's read models hold them all and serve has
settled (it starts a workflow for each as it comes up: three quiet seconds of serve and Temporal); its
periodic reconcile is set to an hour, its round at start being all a run needs.

This process is the client: one `httpx.AsyncClient` per concurrent client (HTTP/1.1, its own keep-alive
connection; so as many connections as clients), an API token of a planner (made with the account
service, as `cbct tokens create` does). Not one client with 64 connections: httpx's connection pool
spends more CPU per request the more connections share it (measured here: 7-8 ms a request at 64,
against 1.3 ms for a client of its own), and the client, not the server, would be measured.

- reads: `GET /api/trajectories` (the first page of 50), `GET /api/trajectories/{id}` (one of the seeded,
  in turn), `GET /api/register`;
- commands: `POST /api/trajectories/{id}/trajectory/open` of fresh ids (each a new trajectory and its
  workflow), with an Idempotency-Key.

In-process, the same run: the read models' query functions the endpoints call (`page_trajectories`;
`get_trajectory`, `list_deadlines`, `list_postponements`, `get_timeline` in one snapshot; `list_register`)
on a pool with the same settings, and `TrajectoryClient.submit` of the same `OpenTrajectory` (signed with
the same keys, to serve's worker). The ratio HTTP/in-process of requests per second is what HTTP, sign-in,
validation and JSON cost. At 1, 16 and 64 concurrent clients; each phase bounded in time (--seconds) and
in count (--max-requests), HTTP and in-process in alternating rounds so a change in the machine's load
hits both alike. Each phase also records the CPU time of serve, of this process and of Temporal
(psutil), per request: on a shared machine the rates move with everyone's load, the CPU a request
costs much less. The last line of stdout is one JSON object (`http_ratio`: the lowest HTTP/in-process
ratio of the commands).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from application.access import Principal, Role
from application.command_signature import CommandSigner
from bootstrap import App, bootstrap
from domain import OpenTrajectory, RecordIntake, SendAnnouncement
from domain.calendar import local_date
from domain.commands import Contact
from infrastructure.database import drop_database, ensure_database, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.keyring import signing_keys
from infrastructure.logging import configure_logging
from infrastructure.loopback_port import free_port
from infrastructure.migrations import migrate_database
from infrastructure.settings import Settings
from infrastructure.startup_heap import freeze_startup_heap
from infrastructure.temporal_client import connect_client
from infrastructure.temporal_server import EmbeddedTemporal
from interfaces.http.auth import account_service
from projections.deadlines import list_deadlines
from projections.overview import TrajectoryFilter, get_trajectory, page_trajectories
from projections.page import snapshot
from projections.postponements import list_postponements
from projections.register import list_register
from projections.scope import scope_of
from projections.timeline import get_timeline
from workflows.client import TrajectoryClient

CLIENTS = (1, 16, 64)
ROUNDS = 2
READS = ("trajectory_list", "trajectory", "register")
COMMANDS = ("open_trajectory",)
PAGE = 50
NAMESPACE = "cbct-bench-http"
PLANNER = Principal("bench-planner", "Bea Bench", Role.PLANNER, via="token")
REPO = Path(__file__).resolve().parents[1]
EXPIRY = date(2027, 6, 30)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Phase:
    """One side of one operation at one level: latencies and the time they took (rounds pooled)."""

    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds (user + system) each watched process spent meanwhile: `serve`, `bench`, `temporal`."""

    def add(self, other: Phase) -> None:
        self.latencies_ms += other.latencies_ms
        self.seconds += other.seconds
        self.errors += other.errors
        for name, seconds in other.cpu_s.items():
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + seconds

    def cpu_ms(self, *names: str) -> float:
        """CPU milliseconds per request of the named processes (all watched ones without names)."""
        spent = sum(v for k, v in self.cpu_s.items() if not names or k in names)
        return 1000 * spent / len(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, q: int) -> float:
        values = self.latencies_ms
        return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else 0.0)


async def drive(op: Callable[[int], Awaitable[None]], clients: int, seconds: float, max_ops: int) -> Phase:
    """Run `op(client)` in a loop on `clients` tasks for `seconds` or `max_ops` operations in all."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    started = 0

    async def loop(c: int) -> None:
        nonlocal started, errors
        while time.perf_counter() < stop and started < max_ops:
            started += 1
            t0 = time.perf_counter()
            try:
                await op(c)
            except Exception as error:
                errors += 1
                if errors <= 3:
                    log(f"    error: {type(error).__name__}: {str(error)[:300]}")
                continue
            latencies.append((time.perf_counter() - t0) * 1000)

    cpu0 = _cpu()
    t0 = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in range(clients)))
    elapsed = time.perf_counter() - t0
    cpu1 = _cpu()
    return Phase(latencies, elapsed, errors, {name: cpu1[name] - cpu0[name] for name in cpu0 if name in cpu1})


LOAD: dict[str, float] = {}
WATCHED: dict[str, psutil.Process] = {}
"""The processes whose CPU time each phase records (set once they run)."""


def _cpu() -> dict[str, float]:
    spent = {}
    for name, process in WATCHED.items():
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            spent[name] = times.user + times.system
    return spent


# --- the seeded store -------------------------------------------------------------------------------------


async def seed(app: App, count: int) -> list[str]:
    """`count` trajectories (opened, announced, two in three with their intake), now; their ids."""
    now = datetime.now(UTC)
    ids = []
    for n in range(count):
        tid = f"bench-{n:04d}"
        number = f"{5000 + n}"
        for command in (
            OpenTrajectory(
                command_id=f"{tid}-open",
                trajectory_id=tid,
                actor="planner:bench",
                organisation=f"Openbare Bibliotheek Plaats {n}",
                certificate_number=number,
                association="VOB" if n % 5 else "Cultuurconnectie",
                framework_version="kib-ii-2023",
                previous_certificate_expiry=EXPIRY,
                contact_email=f"contact{n}@bibliotheek.example",
            ),
            SendAnnouncement(command_id=f"{tid}-announce", trajectory_id=tid, actor="planner:bench"),
            *(
                [
                    RecordIntake(
                        command_id=f"{tid}-intake",
                        trajectory_id=tid,
                        actor="planner:bench",
                        contacts=(Contact(name=f"Contact {n}", email=f"contact{n}@bibliotheek.example"),),
                        locations=("Centrale", "Filiaal Noord"),
                        employees=20 + n % 40,
                    )
                ]
                if n % 3
                else []
            ),
        ):
            outcome = await app.service.handle(command, now)
            if not getattr(outcome, "accepted", False):
                raise RuntimeError(f"seeding refused: {outcome}")
        ids.append(tid)
    return ids


def open_command(trajectory_id: str, key: str) -> OpenTrajectory:
    return OpenTrajectory(
        command_id=key,
        trajectory_id=trajectory_id,
        actor=PLANNER.actor,
        organisation="Bibliotheek Benchdorp",
        certificate_number=trajectory_id,
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=EXPIRY,
    )


def open_body(trajectory_id: str) -> dict[str, Any]:
    return {
        "organisation": "Bibliotheek Benchdorp",
        "certificate_number": trajectory_id,
        "association": "VOB",
        "framework_version": "kib-ii-2023",
        "previous_certificate_expiry": EXPIRY.isoformat(),
    }


# --- the two sides ----------------------------------------------------------------------------------------


class Sides:
    """Each operation as an HTTP request and as the in-process call it stands for."""

    def __init__(
        self, clients: list[httpx.AsyncClient], app: App, trajectories: TrajectoryClient, ids: list[str]
    ) -> None:
        self.clients, self.app, self.trajectories, self.ids = clients, app, trajectories, ids
        self._turn = itertools.count()
        self._fresh = itertools.count()
        self._tag = secrets.token_hex(3)

    def _one(self) -> str:
        return self.ids[next(self._turn) % len(self.ids)]

    def _new(self, side: str) -> str:
        return f"b{self._tag}{side}{next(self._fresh)}"

    async def http_op(self, name: str, client: int) -> None:
        http = self.clients[client]
        if name == "trajectory_list":
            response = await http.get("/api/trajectories", params={"limit": PAGE})
        elif name == "trajectory":
            response = await http.get(f"/api/trajectories/{self._one()}")
        elif name == "register":
            response = await http.get("/api/register")
        else:
            tid = self._new("h")
            response = await http.post(
                f"/api/trajectories/{tid}/trajectory/open", json=open_body(tid), headers={"Idempotency-Key": tid}
            )
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")

    async def inprocess_op(self, name: str, client: int) -> None:
        pool = self.app.pool
        if name == "trajectory_list":
            await page_trajectories(pool, TrajectoryFilter(), scope=scope_of(PLANNER), limit=PAGE, after=None)
        elif name == "trajectory":
            tid = self._one()
            now = await self.app.clock.now()
            async with snapshot(pool) as conn:
                found = await get_trajectory(conn, tid, scope=scope_of(PLANNER))
                assert found is not None, tid
                await list_deadlines(conn, now, trajectory_id=tid)
                await list_postponements(conn, tid)
                await get_timeline(conn, tid)
        elif name == "register":
            await list_register(pool, on=local_date(await self.app.clock.now()))
        else:
            tid = self._new("i")
            verdict = await self.trajectories.submit(open_command(tid, tid))
            if not verdict.accepted:
                raise RuntimeError(f"refused: {verdict}")


async def measure(
    sides: Sides, levels: tuple[int, ...], seconds: float, max_requests: int
) -> dict[str, dict[int, dict[str, Phase]]]:
    results: dict[str, dict[int, dict[str, Phase]]] = {}
    for name in (*READS, *COMMANDS):
        results[name] = {}
        for clients in levels:
            phases = {"http": Phase(), "inprocess": Phase()}
            ops: dict[str, Callable[[int], Awaitable[None]]] = {
                "http": functools.partial(_call, sides.http_op, name),
                "inprocess": functools.partial(_call, sides.inprocess_op, name),
            }
            for op in ops.values():  # warm-up: connections, caches, the first requests' imports
                await drive(op, clients, min(0.5, seconds / 4), max(clients, 8))
            for _ in range(ROUNDS):
                for side, op in ops.items():
                    phases[side].add(await drive(op, clients, seconds / ROUNDS, max_requests // ROUNDS))
            results[name][clients] = phases
            h, i = phases["http"], phases["inprocess"]
            log(
                f"  {name:<16} {clients:>2} clients: http {h.per_s:8.1f}/s p99 {h.pct(99):7.1f} ms | "
                f"in-process {i.per_s:8.1f}/s p99 {i.pct(99):7.1f} ms | ratio {ratio(h, i):.2f} | "
                f"serve CPU {h.cpu_ms('serve'):.1f} ms/request"
            )
    return results


async def _call(op: Callable[[str, int], Awaitable[None]], name: str, client: int) -> None:
    await op(name, client)


def ratio(http: Phase, inprocess: Phase) -> float:
    return http.per_s / inprocess.per_s if inprocess.per_s else 0.0


# --- the server -------------------------------------------------------------------------------------------


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str, within: float, server: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"cbct serve exited ({server.returncode}) while waiting for {what}")
        with contextlib.suppress(httpx.HTTPError):
            if await check():
                return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{what}: not within {within:.0f} s")


async def settle(pids: list[int], *, within: float, busy_percent: float = 15.0) -> bool:
    """Wait until the processes are quiet (`cbct serve` starts a workflow for every seeded trajectory as
    it comes up; their first steps are no part of what is measured): three quiet seconds in a row."""
    processes = [psutil.Process(pid) for pid in pids]
    for process in processes:
        process.cpu_percent(None)
    quiet_in_a_row = 0
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        if sum(p.cpu_percent(None) for p in processes) < busy_percent:
            quiet_in_a_row += 1
            if quiet_in_a_row == 3:
                return True
        else:
            quiet_in_a_row = 0
    return False


@contextlib.contextmanager
def serve(env: dict[str, str], port: int, output: Path) -> Any:
    """`cbct serve` as a subprocess, its output in `output`; SIGTERM (then SIGKILL) when done."""
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "interfaces.cli.app", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def run(
    levels: tuple[int, ...], seconds: float, max_requests: int, count: int
) -> tuple[str, dict[str, dict[int, dict[str, Phase]]]]:
    base_settings = Settings()
    scratch = Path(tempfile.mkdtemp(prefix="cbct-bench-http-"))  # 0700
    embedded_pg: EmbeddedPostgres | None = None
    if base_settings.database_url:
        base, where = base_settings.database_url, "Postgres at CBCT_DATABASE_URL"
    else:
        embedded_pg = EmbeddedPostgres(scratch / "postgres")
        base, where = embedded_pg.start(), "embedded Postgres"
    url = with_database(base, f"cbct_bench_http_{secrets.token_hex(4)}")
    temporal = EmbeddedTemporal(scratch / "temporal-server", namespace=NAMESPACE, ui=False)
    try:
        info = await temporal.start()
        await ensure_database(url)
        await migrate_database(url)
        settings = Settings(
            database_url=url,
            data_dir=scratch / "data",
            outbox_dir=scratch / "outbox",
            temporal_address=info.address,
            temporal_namespace=NAMESPACE,
            log_level="error",
        )
        keys = signing_keys(settings)  # made now in the data directory; serve reads the same file
        env = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
        env.update(
            CBCT_DATABASE_URL=url,
            CBCT_DATA_DIR=str(settings.data_dir),
            CBCT_OUTBOX_DIR=str(settings.outbox_dir),
            CBCT_TEMPORAL_ADDRESS=info.address,
            CBCT_TEMPORAL_NAMESPACE=NAMESPACE,
            CBCT_LOG_FORMAT="json",
            CBCT_RECONCILE_INTERVAL_SECONDS="3600",  # its first round, at start, is all this run needs
            PYTHONPATH=str(REPO),
        )
        async with bootstrap(settings, url=url) as app:
            t0 = time.perf_counter()
            ids = await seed(app, count)
            log(f"seeded {count} trajectories in {time.perf_counter() - t0:.1f} s")
            accounts = account_service(app)
            await accounts.add_user(
                PLANNER.account_id, Role.PLANNER, actor="cli:bench", display_name=PLANNER.display_name
            )
            _, token = await accounts.create_token(PLANNER.account_id, "bench", actor="cli:bench")
            port = free_port()
            with serve(env, port, scratch / "serve.log") as server:
                async with contextlib.AsyncExitStack() as clients:
                    https = [
                        await clients.enter_async_context(
                            httpx.AsyncClient(
                                base_url=f"http://127.0.0.1:{port}",
                                headers={"Authorization": f"Bearer {token}"},
                                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                                timeout=60,
                            )
                        )
                        for _ in range(max(levels))
                    ]
                    http = https[0]

                    async def up() -> bool:
                        return (await http.get("/healthz")).status_code == 200

                    async def caught_up() -> bool:
                        page = await http.get("/api/trajectories", params={"limit": 1})
                        return page.status_code == 200 and page.json()["total"] >= count

                    try:
                        await wait_for(up, "cbct serve to answer", 120, server)
                        await wait_for(caught_up, "the read models to hold the seeded trajectories", 120, server)
                    except Exception:
                        log((scratch / "serve.log").read_text(errors="replace")[-3000:])
                        raise
                    quiet = await settle([server.pid, info.pid], within=90)
                    WATCHED.update(
                        serve=psutil.Process(server.pid), bench=psutil.Process(), temporal=psutil.Process(info.pid)
                    )
                    log(f"serve {'settled' if quiet else 'still busy after 90 s'} (its workflows started)")
                    client = await connect_client(settings, address=info.address, namespace=NAMESPACE)
                    trajectories = TrajectoryClient(client, signer=CommandSigner(keys))
                    version = await app.pool.fetchval("SHOW server_version")
                    described = (
                        f"cbct serve on 127.0.0.1:{port}; Temporal dev server (SQLite) at {info.address}; "
                        f"{where} {version}; {count} trajectories; {os.cpu_count()} CPUs"
                    )
                    log(f"server: {described}")
                    freeze_startup_heap()  # this side's process as serve's: no full collection walks the seeding
                    results = await measure(Sides(https, app, trajectories, ids), levels, seconds, max_requests)
        return described, results
    finally:
        await asyncio.to_thread(temporal.stop)
        await drop_database(url)
        if embedded_pg is not None:
            embedded_pg.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    if "--pages" in sys.argv[1:]:
        from bench import http_pages

        sys.argv.remove("--pages")
        http_pages.main()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke test: short phases, a small store")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per phase and side (default 6)")
    parser.add_argument("--max-requests", type=int, default=3000, help="requests per phase and side at most")
    parser.add_argument("--trajectories", type=int, default=None, help="trajectories seeded (default 300)")
    args = parser.parse_args()
    configure_logging("json", "error")
    seconds = args.seconds or (1.0 if args.quick else 6.0)
    count = args.trajectories or (60 if args.quick else 300)
    max_requests = min(args.max_requests, 200) if args.quick else args.max_requests
    LOAD["before"] = round(os.getloadavg()[0], 1)
    server, results = asyncio.run(run(CLIENTS, seconds, max_requests, count))
    print(f"server: {server}")
    print(f"load average before and after: {LOAD['before']} / {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print("requests/s and latency per operation and number of concurrent clients; ratio = HTTP / in-process;")
    print("cpu = CPU ms per request of cbct serve (serve) and of serve + this client + Temporal (all)")
    heads = ("operation", "clients", "http/s", "in-proc/s", "ratio", "http p50", "http p99", "in p50", "in p99")
    cpu_heads = ("cpu serve", "cpu all", "in: all")
    print(f"{heads[0]:<16}" + "".join(f"{h:>11}" for h in heads[1:] + cpu_heads))
    for name, levels in results.items():
        for clients, sides in levels.items():
            h, i = sides["http"], sides["inprocess"]
            print(
                f"{name:<16}{clients:>11}{h.per_s:>11.1f}{i.per_s:>11.1f}{ratio(h, i):>11.2f}"
                + "".join(f"{v:>9.1f}ms" for v in (h.pct(50), h.pct(99), i.pct(50), i.pct(99)))
                + "".join(f"{v:>9.1f}ms" for v in (h.cpu_ms("serve"), h.cpu_ms(), i.cpu_ms()))
            )
    errors = {f"{n}@{c}": s["http"].errors + s["inprocess"].errors for n, lv in results.items() for c, s in lv.items()}

    def per_op(value: Callable[[dict[str, Phase]], float], names: tuple[str, ...]) -> dict[str, dict[str, float]]:
        return {n: {str(c): round(value(s), 1) for c, s in results[n].items()} for n in names}

    command_ratios = [ratio(s["http"], s["inprocess"]) for n in COMMANDS for s in results[n].values()]
    print(
        json.dumps(
            {
                "http_ratio": round(min(command_ratios), 3),
                "reads_per_s": per_op(lambda s: s["http"].per_s, READS),
                "commands_per_s": per_op(lambda s: s["http"].per_s, COMMANDS),
                "p99_ms": per_op(lambda s: s["http"].pct(99), (*READS, *COMMANDS)),
                "p50_ms": per_op(lambda s: s["http"].pct(50), (*READS, *COMMANDS)),
                "ratios": {
                    n: {str(c): round(ratio(s["http"], s["inprocess"]), 3) for c, s in lv.items()}
                    for n, lv in results.items()
                },
                "inprocess_per_s": per_op(lambda s: s["inprocess"].per_s, (*READS, *COMMANDS)),
                "inprocess_p99_ms": per_op(lambda s: s["inprocess"].pct(99), (*READS, *COMMANDS)),
                "serve_cpu_ms_per_request": per_op(lambda s: s["http"].cpu_ms("serve"), (*READS, *COMMANDS)),
                "cpu_ms_per_request": {
                    "http": per_op(lambda s: s["http"].cpu_ms(), (*READS, *COMMANDS)),
                    "inprocess": per_op(lambda s: s["inprocess"].cpu_ms(), (*READS, *COMMANDS)),
                },
                "load_average": [LOAD["before"], round(os.getloadavg()[0], 1)],
                "errors": sum(errors.values()),
                "server": server,
            }
        )
    )


if __name__ == "__main__":
    main()
