"""Replay benchmark: `cbct demo` at --scale 1 and --scale 100, beside the event store's raw append rate.

Run:
    python -m bench.replay [--scales 1,100] [--writers 16] [--batch 1004]

Server: CBCT_DATABASE_URL when set, otherwise the embedded Postgres in CBCT_DATA_DIR (.cbct); every
database is fresh (`cbct_bench_replay_<random>_...`) and dropped at the end, even on failure.

Each scale runs in its own process, exactly as `cbct demo --scale N` replays: the real trajectory
workflows and activities on Temporal's time-skipping test server, the register dealt over
`--processes` share processes (default: one per core, at most four), each with its own world (a fresh
test server per batch of trajectories), every e-mail written to a temporary outbox. Measured per
scale: wall time of the replay (planning and the built-in check against the pure simulation
included), trajectories/s, steps/s, events/s, the largest replaying process's memory (RSS) when 10,
25, 50, 75 and 100 % of the trajectories are done — if memory grew with the finished trajectories,
the later samples would climb — and the test servers' peak RSS (their own processes).

Baseline, in the same run and on the same server: the very events the smallest scale's replay stored,
read back in global order and appended again to a fresh event store — one append per (stream,
command) as the replay did, `--writers` concurrent writers each owning its streams. `append_ratio` =
the replay's events/s at the largest scale ÷ that raw append rate: the share of the store's bare speed
that survives the domain, the workflows, Temporal, the read models and the e-mails.

Progress goes to stderr; the report to stdout, whose last line is one JSON object:
    {"scale1_seconds", "scale100_trajectories_per_s", "events_per_s", "peak_rss_mb", ...}
(`scale100_trajectories_per_s` is null when scale 100 was not run; `largest_scale` says what was.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from application.demo.replay import BATCH
from application.event_store import ExpectedVersion, NewEvent
from infrastructure.database import drop_database, open_pool, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.logging import configure_logging
from infrastructure.migrations import migrate_database
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings
from interfaces.replay_processes import default_processes

MARKS = (0.10, 0.25, 0.50, 0.75, 1.00)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mb() -> float:
    """This process's resident memory now (Linux)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- one scale, in its own process ---------------------------------------------------------------------


async def replay_once(url: str, scale: int, batch: int, processes: int) -> dict[str, Any]:
    """`cbct demo --scale N --processes P` on `url` (a fresh database), measured."""
    import psutil

    from interfaces.replay_processes import replay_in_processes
    from interfaces.skipped_time import open_world

    me = psutil.Process()

    def shares() -> list[psutil.Process]:
        found = []
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "interfaces.replay_processes" in child.cmdline():
                    found.append(child)
        return found

    def replay_rss_mb() -> float:
        """The replaying processes' memory now: this one, or its share processes (the largest)."""
        sizes = []
        for share in shares():
            with contextlib.suppress(psutil.Error):
                sizes.append(share.memory_info().rss / 2**20)
        return max(sizes) if sizes else rss_mb()

    samples: dict[str, float] = {}
    next_mark = iter(MARKS)
    mark = next(next_mark)
    last_report = time.perf_counter()
    server_peak = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal mark, last_report
        while total and done >= mark * total:
            samples[f"{round(mark * 100)}%"] = round(replay_rss_mb(), 1)
            mark = next(next_mark, 2.0)
        if time.perf_counter() - last_report > 30:
            last_report = time.perf_counter()
            log(f"    scale {scale}: {done:,}/{total:,} trajectories, RSS {replay_rss_mb():,.0f} MB")

    share_peak = 0.0

    async def watch_server() -> None:
        """The test servers are child processes the SDK spawns (one per batch and share process), the
        share processes ours: sample their RSS."""
        nonlocal server_peak, share_peak
        while True:
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if "test-server" in child.name() or "test-server" in " ".join(child.cmdline()[:1]):
                        server_peak = max(server_peak, child.memory_info().rss / 2**20)
                    elif "interfaces.replay_processes" in child.cmdline():
                        share_peak = max(share_peak, child.memory_info().rss / 2**20)
            await asyncio.sleep(0.5)

    with tempfile.TemporaryDirectory(prefix="cbct-bench-outbox-") as outbox:
        settings = Settings(log_level="error", pool_max_size=12)
        async with open_world(url, Path(outbox), settings=settings) as world:
            watcher = asyncio.create_task(watch_server())
            try:
                summary = await replay_in_processes(
                    world,
                    url,
                    Path(outbox),
                    scale=scale,
                    processes=processes,
                    progress=progress,
                    batch=batch,
                    log_level="error",
                )
            finally:
                watcher.cancel()
            e_mails = await world.pool.fetchval("SELECT count(*) FROM events WHERE event_type = 'MessageDelivered'")
    seconds = summary.seconds
    return {
        "scale": scale,
        "processes": processes,
        "seconds": seconds,
        "trajectories": summary.trajectories,
        "steps": summary.steps,
        "deadlines_fired": summary.deadlines_fired,
        "e_mails": int(e_mails),
        "events": summary.events_in_store,
        "trajectories_per_s": summary.trajectories / seconds,
        "steps_per_s": summary.steps / seconds,
        "events_per_s": summary.events_in_store / seconds,
        "rss_mb_at": samples,
        "peak_rss_mb": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, share_peak),
        "test_server_peak_rss_mb": round(server_peak, 1),
    }


def run_scale(url: str, scale: int, batch: int, processes: int) -> dict[str, Any]:
    """One scale in a child process (its own memory), returning its measurements."""
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.replay",
            "--child-scale",
            str(scale),
            "--child-url",
            url,
            "--batch",
            str(batch),
            "--processes",
            str(processes),
        ],
        stdout=subprocess.PIPE,
        check=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


# --- the baseline: the same events, appended raw ---------------------------------------------------------


async def appends_of(url: str) -> list[tuple[str, str | None, list[NewEvent]]]:
    """The stored events in global order, grouped as they were appended: (stream, command id, events)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT stream_id, command_id, event_type, schema_version, data::text AS data
               FROM events ORDER BY transaction_id, position"""
        )
    finally:
        await conn.close()
    appends: list[tuple[str, str | None, list[NewEvent]]] = []
    for row in rows:
        event = NewEvent(row["event_type"], json.loads(row["data"]), row["schema_version"])
        if appends and appends[-1][0] == row["stream_id"] and appends[-1][1] == row["command_id"]:
            appends[-1][2].append(event)
        else:
            appends.append((row["stream_id"], row["command_id"], [event]))
    return appends


async def raw_append_rate(url: str, appends: Sequence[tuple[str, str | None, list[NewEvent]]], writers: int) -> float:
    """Events/s appending `appends` to a fresh store at `url`; each writer owns a share of the streams."""
    await migrate_database(url)
    shares: list[list[tuple[str, str | None, list[NewEvent]]]] = [[] for _ in range(writers)]
    for append in appends:
        shares[hash(append[0]) % writers].append(append)
    async with open_pool(url, Settings(log_level="error", pool_max_size=writers + 2)) as pool:
        store = PostgresEventStore(pool)

        async def writer(share: list[tuple[str, str | None, list[NewEvent]]]) -> None:
            versions: dict[str, int] = {}
            for stream_id, command_id, events in share:
                expected = versions.get(stream_id, ExpectedVersion.NO_STREAM)
                result = await store.append(stream_id, events, expected, command_id=command_id)
                versions[stream_id] = result.stream_version

        started = time.perf_counter()
        await asyncio.gather(*(writer(share) for share in shares))
        elapsed = time.perf_counter() - started
        await store.wakeup.close()
    return sum(len(events) for _, _, events in appends) / elapsed


# --- the report ----------------------------------------------------------------------------------------


async def server() -> tuple[str, str, EmbeddedPostgres | None]:
    settings = Settings()
    if settings.database_url:
        base = settings.database_url
        where, embedded = "external", None
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        base = embedded.start()
        where = f"embedded {embedded.pgdata}"
    conn = await asyncpg.connect(with_database(base, "postgres"))
    try:
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return base, f"{where}, PostgreSQL {version}", embedded


def run(scales: Sequence[int], writers: int, batch: int, processes: int) -> tuple[str, list[dict[str, Any]], float]:
    base, where, embedded = asyncio.run(server())
    log(f"server: {where}")
    tag = secrets.token_hex(4)
    urls = {scale: with_database(base, f"cbct_bench_replay_{tag}_s{scale}") for scale in scales}
    raw_url = with_database(base, f"cbct_bench_replay_{tag}_raw")
    try:
        results = []
        for scale in scales:
            log(f"  replaying scale {scale} ...")
            result = run_scale(urls[scale], scale, batch, processes)
            log(
                f"  scale {scale}: {result['seconds']:.1f} s, {result['trajectories_per_s']:.1f} trajectories/s, "
                f"{result['events_per_s']:,.0f} events/s, peak RSS {result['peak_rss_mb']:.0f} MB"
            )
            results.append(result)
        log(f"  baseline: the scale-{scales[0]} events appended again by {writers} writers ...")
        appends = asyncio.run(appends_of(urls[scales[0]]))
        raw = asyncio.run(raw_append_rate(raw_url, appends, writers))
        log(f"  raw append: {raw:,.0f} events/s")
        return where, results, raw
    finally:
        for url in [*urls.values(), raw_url]:
            asyncio.run(drop_database(url))
        if embedded is not None:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,100", help="comma-separated scales, smallest first (default 1,100)")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers of the raw baseline")
    parser.add_argument("--batch", type=int, default=BATCH, help="trajectories per world (test server)")
    parser.add_argument(
        "--processes", type=int, default=default_processes(), help="replaying processes, as `cbct demo --processes`"
    )
    parser.add_argument("--child-scale", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_logging("json", "error")
    if args.child_scale is not None:
        print(json.dumps(asyncio.run(replay_once(args.child_url, args.child_scale, args.batch, args.processes))))
        return

    scales = sorted({int(s) for s in args.scales.split(",")})
    where, results, raw = run(scales, args.writers, args.batch, args.processes)
    print(f"server: {where}   (2 cores; raw = the scale-{scales[0]} events appended again, {args.writers} writers)")
    print(f"replayed by {args.processes} process(es), each with its own world (test server), as `cbct demo` does")
    heads = ("scale", "trajectories", "steps", "events", "seconds", "traj/s", "steps/s", "events/s", "vs raw")
    print("  ".join(f"{h:>12}" for h in heads))
    for r in results:
        print(
            f"{r['scale']:>12}  {r['trajectories']:>12,}  {r['steps']:>12,}  {r['events']:>12,}  "
            f"{r['seconds']:>12.1f}  {r['trajectories_per_s']:>12.1f}  {r['steps_per_s']:>12.1f}  "
            f"{r['events_per_s']:>12,.0f}  {r['events_per_s'] / raw:>12.3f}"
        )
    print(f"raw append of the same events: {raw:,.0f} events/s")
    print("memory (RSS, MB) when this share of the steps was done:")
    for r in results:
        marks = "  ".join(f"{k} {v:,.0f}" for k, v in r["rss_mb_at"].items())
        print(
            f"  scale {r['scale']}: {marks}   peak {r['peak_rss_mb']:,.0f}"
            f"   (test server peak {r['test_server_peak_rss_mb']:,.0f})"
        )
    largest = results[-1]
    by_scale = {r["scale"]: r for r in results}
    print(
        json.dumps(
            {
                "scale1_seconds": round(by_scale[1]["seconds"], 2) if 1 in by_scale else None,
                "scale100_trajectories_per_s": round(by_scale[100]["trajectories_per_s"], 2)
                if 100 in by_scale
                else None,
                "events_per_s": round(largest["events_per_s"], 1),
                "append_ratio": round(largest["events_per_s"] / raw, 3),
                "peak_rss_mb": round(largest["peak_rss_mb"], 1),
                "test_server_peak_rss_mb": largest["test_server_peak_rss_mb"],
                "largest_scale": largest["scale"],
                "processes": largest["processes"],
                "largest_scale_trajectories_per_s": round(largest["trajectories_per_s"], 2),
                "raw_append_events_per_s": round(raw, 1),
                "per_scale": {
                    str(r["scale"]): {
                        "seconds": round(r["seconds"], 2),
                        "trajectories_per_s": round(r["trajectories_per_s"], 2),
                        "events_per_s": round(r["events_per_s"], 1),
                        "rss_mb_at": r["rss_mb_at"],
                        "peak_rss_mb": round(r["peak_rss_mb"], 1),
                        "test_server_peak_rss_mb": r["test_server_peak_rss_mb"],
                    }
                    for r in results
                },
                "server": where,
            }
        )
    )


if __name__ == "__main__":
    main()
