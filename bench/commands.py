"""Command benchmark: commands through their durable workflows, against a bare DBOS workflow.

Run:
    python -m bench.commands [--quick] [--seconds N]

Each client drives its own trajectories: `OpenTrajectory`, then nine `DeclareConflictOfInterest`
commands (ten commands a trajectory, so streams stay as short as real ones), each submitted exactly as
the CLI does (`workflows.commands.submit`: one workflow per command, id = command id; it loads
the stream, decides, appends). The baseline, measured in the same run and process, is a bare DBOS
workflow with the same number of steps (none) that does a single raw INSERT of a comparable row:
the ratio is what our load → decide → append costs on top of the engine. Rates and p50/p99 latency
for 1, 4 and 16 concurrent clients; the last line of stdout is one JSON object.

Server: CBCT_DATABASE_URL when set, otherwise the embedded Postgres; a fresh database, dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from dbos import DBOS, SetWorkflowID

from bootstrap import App, bootstrap
from domain import DeclareConflictOfInterest, OpenTrajectory
from infrastructure.database import drop_database, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.logging import configure_logging
from infrastructure.settings import Settings
from workflows.commands import PORTABLE, submit
from workflows.engine import runtime

CLIENTS = (1, 4, 16)
COMMANDS_PER_TRAJECTORY = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@DBOS.workflow(name="bench.bare", serialization_type=PORTABLE)
async def bare_workflow(n: str) -> int:
    """Like ours, a workflow without steps: it does a single raw INSERT of a comparable row."""
    app = runtime()
    await app.pool.execute(
        "INSERT INTO bench_bare (stream_id, payload) VALUES ($1, $2::jsonb)",
        n,
        json.dumps({"trajectory_id": n, "auditor": "Ellen Expert", "relation": "oud-collega"}),
    )
    return 1


class Client:
    """One client's stream of commands over its own trajectories."""

    def __init__(self, tag: str, n: int) -> None:
        self.tag, self.n, self.i = tag, n, 0

    def next_command(self) -> Any:
        trajectory = f"{self.tag}-c{self.n}-t{self.i // COMMANDS_PER_TRAJECTORY}"
        k = self.i % COMMANDS_PER_TRAJECTORY
        command_id = f"{trajectory}-k{k}"
        self.i += 1
        if k == 0:
            return OpenTrajectory(
                command_id=command_id,
                trajectory_id=trajectory,
                actor="bench",
                organisation="Bibliotheek Hengelo",
                certificate_number=trajectory,
                association="VOB",
                framework_version="kib-ii-2023",
                previous_certificate_expiry=date(2027, 6, 30),
            )
        return DeclareConflictOfInterest(
            command_id=command_id,
            trajectory_id=trajectory,
            actor="bench",
            auditor=f"Auditor {k}",
            relation="oud-collega",
        )


async def drive(op: Callable[[int], Awaitable[None]], clients: int, seconds: float) -> tuple[float, list[float]]:
    """Run `op(client)` in a loop on `clients` tasks for `seconds`; return ops/s and latencies (ms)."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def loop(c: int) -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await op(c)
            latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in range(clients)))
    return len(latencies) / (time.perf_counter() - t0), latencies


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else 0.0)


async def measure(app: App, seconds: float, warmup: float) -> dict[str, dict[str, Any]]:
    await app.pool.execute(
        "CREATE TABLE IF NOT EXISTS bench_bare (id bigint GENERATED ALWAYS AS IDENTITY, stream_id text, payload jsonb)"
    )
    results: dict[str, dict[str, Any]] = {}
    run_tag = secrets.token_hex(3)
    for clients in CLIENTS:
        tag = f"b{run_tag}x{clients}"
        ours_clients = [Client(tag, n) for n in range(clients)]
        counter = iter(range(10**9))

        async def ours(c: int, ours_clients: list[Client] = ours_clients) -> None:
            outcome = await submit(app, ours_clients[c].next_command())
            if not outcome["accepted"]:
                raise RuntimeError(f"benchmark command refused: {outcome}")

        async def bare(c: int, tag: str = tag, counter: Any = counter) -> None:
            workflow_id = f"{tag}-bare-{next(counter)}"
            with SetWorkflowID(workflow_id):
                handle = await DBOS.start_workflow_async(bare_workflow, workflow_id)
            await handle.get_result()

        await drive(bare, clients, warmup)
        await drive(ours, clients, warmup)
        bare_rate, bare_lat = await drive(bare, clients, seconds)
        ours_rate, ours_lat = await drive(ours, clients, seconds)
        results[str(clients)] = {
            "bare_per_s": bare_rate,
            "ours_per_s": ours_rate,
            "ratio": ours_rate / bare_rate if bare_rate else 0.0,
            "bare_p50_ms": pct(bare_lat, 50),
            "bare_p99_ms": pct(bare_lat, 99),
            "ours_p50_ms": pct(ours_lat, 50),
            "ours_p99_ms": pct(ours_lat, 99),
        }
        r = results[str(clients)]
        log(f"  {clients} clients: ours {ours_rate:,.0f}/s vs bare {bare_rate:,.0f}/s (ratio {r['ratio']:.2f})")
    return results


async def run(seconds: float, warmup: float) -> tuple[str, dict[str, dict[str, Any]]]:
    settings = Settings()
    embedded: EmbeddedPostgres | None = None
    if settings.database_url:
        base, where = settings.database_url, "external"
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        base, where = embedded.start(), f"embedded {embedded.pgdata}"
    url = with_database(base, f"cbct_bench_commands_{secrets.token_hex(4)}")
    try:
        run_settings = Settings(database_url=None, pool_max_size=max(CLIENTS) + 4, log_level="error")
        async with bootstrap(run_settings, launch_workflows=True, url=url) as app:
            version = await app.pool.fetchval("SHOW server_version")
            log(f"server: {where}, PostgreSQL {version}")
            return f"{where}, PostgreSQL {version}", await measure(app, seconds, warmup)
    finally:
        await drop_database(url)
        if embedded is not None:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short phases (about 15 s in all)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per measured phase")
    args = parser.parse_args()
    configure_logging("json", "error")
    seconds = args.seconds or (1.5 if args.quick else 4.0)
    server, results = asyncio.run(run(seconds, warmup=0.5 if args.quick else 1.0))
    print(f"server: {server}   (one command = one workflow, no steps)")
    heads = ("clients", "bare/s", "ours/s", "ratio", "bare p50", "bare p99", "ours p50", "ours p99")
    print("  ".join(f"{h:>8}" for h in heads))
    for clients, r in results.items():
        print(
            f"{clients:>8}  {r['bare_per_s']:>8,.0f}  {r['ours_per_s']:>8,.0f}  {r['ratio']:>8.2f}  "
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
                "server": server,
            }
        )
    )


if __name__ == "__main__":
    main()
