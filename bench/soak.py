"""Soak test (issue 19): real commands from several operators while the servers and the worker are killed.

Run (not part of the default test run; bounded by a hard wall-clock limit, every process killed at exit):
    python -m bench.soak --minutes 10 --clients 4 [--seed N] [--database-url URL] [--keep-data]

What runs: a real `python -m worker` (restarted by the bench whenever it exits, as a supervisor would)
on the embedded Postgres and the embedded Temporal dev server of a fresh data directory (or a fresh
database at `--database-url`); `--clients` operators send `cbct` commands as separate processes, each
with its `--command-id`, retrying a failed one with the same id (bench/soak_clients.py). At random
moments (seeded) the bench kills -9 the Temporal dev server, the embedded postmaster and the worker
(bench/soak_faults.py); the servers come back when a process needs them. Each server is killed twice
per round: amid the commands (`temporal`, `postgres`), and `..._alone`: the operators hold back until
the commands under way have ended, so that only the worker runs, and wait `--quiet` seconds for it to
bring the server back: `healed_without_cli_s` says how fast that happened, `not_healed` how often not.
`temporal_mid_command` kills Temporal the moment a command's events are stored while its `cbct` still
waits for the answer (`caught_mid_command` names it).

Then, once the run has settled (at most `--settle` seconds), it checks (bench/soak_checks.py):
- every accepted command stored exactly once (by command id in the event store; deadlines' and
  deliveries' ids too);
- every e-mail sent once: an `.eml` per message the store's events cause, no Message-ID twice;
- every open trajectory's workflow waits for the store's next deadline (the `NextDeadline` search
  attribute and the `status` query against the event store's fold).

Progress goes to stderr; the last line of stdout is one JSON object:
    {"commands": N, "faults": {...}, "lost": 0, "doubled": 0, "stale_workflows": 0, ...}
Exit 0 when nothing was lost, doubled, stale, missing or left unhealed; 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import psutil

from activities.outbox import emails_of
from activities.sender import message_id_header
from bench.soak_checks import (
    CommandLog,
    StoredCommand,
    WorkflowView,
    attempt_findings,
    command_findings,
    deadline_findings,
    email_findings,
    passed,
    recovery_seconds,
    summary,
)
from bench.soak_clients import SoakClient
from bench.soak_faults import FAULT_KINDS, FaultInjector, WorkerSupervisor, plan_faults, reap, survivors
from bootstrap import App, bootstrap
from infrastructure.database import drop_database, ensure_database, with_database
from infrastructure.settings import Settings
from infrastructure.temporal_client import temporal_connection
from interfaces.workflow_ops import list_workflows
from workflows.contracts import trajectory_workflow_id
from workflows.trajectory import TrajectoryWorkflow

FAULTS_LATE = 60.0 + 20.0
"""Faults may run late (an `..._alone` one waits for the commands under way) by up to 60 s, then 20 s of
commands show the last one's recovery."""
STARTUP_SECONDS = 180.0
"""A fresh data directory: the cluster is made and the Temporal server started before the worker answers."""


def say(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def child_env(data_dir: Path, database_url: str | None, log_level: str) -> dict[str, str]:
    """The environment of every process of the run: our data dir and outbox, nothing of the caller's CBCT_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    env.update(
        CBCT_DATA_DIR=str(data_dir),
        CBCT_OUTBOX_DIR=str(data_dir / "outbox"),
        CBCT_LOG_FORMAT="json",
        CBCT_LOG_LEVEL=log_level,
        CBCT_SHUTDOWN_GRACE_SECONDS="5",
        COLUMNS="200",
    )
    if database_url is not None:
        env["CBCT_DATABASE_URL"] = database_url
    return env


async def until_logged(path_glob: tuple[Path, str], event: str, within: float) -> bool:
    """Wait (bounded) until a worker log names `event`."""
    directory, pattern = path_glob
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for path in directory.glob(pattern):
            with contextlib.suppress(OSError):
                if f'"{event}"' in path.read_text(errors="replace"):
                    return True
        await asyncio.sleep(0.5)
    return False


async def until_alone(data_dir: Path, within: float) -> list[str]:
    """Wait (bounded) until no process runs on the data directory any more: with the worker gone, the
    last user stops the servers. Returns those still running at the end."""
    deadline = time.monotonic() + within
    while True:
        names = []
        for process in survivors(data_dir):
            with contextlib.suppress(psutil.Error):
                names.append(f"{process.name()}[{process.pid}]")
        if not names or time.monotonic() > deadline:
            return names
        await asyncio.sleep(0.5)


def outbox_files(outbox: Path) -> dict[str, str]:
    """Each written e-mail's file name → its Message-ID header."""
    files: dict[str, str] = {}
    if not outbox.is_dir():
        return files
    parser = BytesHeaderParser()
    for path in sorted(outbox.glob("*.eml")):
        with path.open("rb") as handle:
            files[path.name] = str(parser.parse(handle).get("Message-ID", ""))
    return files


async def observe(app: App, client: Any, logs: Sequence[CommandLog], outbox: Path) -> dict[str, dict[str, Any]]:
    """What the store, the outbox and Temporal hold, judged."""
    rows = await app.pool.fetch(
        "SELECT command_id, count(*) AS events, count(DISTINCT transaction_id) AS transactions"
        " FROM events WHERE command_id IS NOT NULL GROUP BY command_id"
    )
    stored = {r["command_id"]: StoredCommand(r["events"], r["transactions"]) for r in rows}
    streams = [
        r["stream_id"]
        for r in await app.pool.fetch(
            "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'trajectory-%' ORDER BY stream_id"
        )
    ]
    expected: list[str] = []
    store_next: dict[str, datetime | None] = {}
    for stream in streams:
        trajectory_id = stream.removeprefix("trajectory-")
        expected += [email.message_id for email in emails_of(await app.store.read_stream(stream))]
        state, pending, *_ = await app.service.outlook(trajectory_id)
        if state is not None and state.is_open:
            store_next[trajectory_id] = next((d.due_at for d in pending if not d.fired), None)
    running = {
        row.trajectory_id: row.next_deadline
        for row in await list_workflows(client, status="Running", limit=100_000)
        if row.trajectory_id is not None
    }
    views: dict[str, WorkflowView] = {}
    for trajectory_id in store_next:
        if trajectory_id not in running:
            views[trajectory_id] = WorkflowView(running=False)
            continue
        handle = client.get_workflow_handle(trajectory_workflow_id(trajectory_id))
        try:
            status = await handle.query(TrajectoryWorkflow.status, rpc_timeout=timedelta(seconds=5))
            queried, answered = (status.next_deadline.due_at if status.next_deadline else None), True
        except Exception:
            queried, answered = None, False
        views[trajectory_id] = WorkflowView(
            running=True, attribute=running[trajectory_id], queried=queried, answered=answered
        )
    read_model = {
        r["trajectory_id"]: r["due_at"]
        for r in await app.pool.fetch(
            "SELECT trajectory_id, min(due_at) AS due_at FROM deadlines WHERE NOT fired GROUP BY trajectory_id"
        )
    }
    addressed = "SELECT message_id FROM messages WHERE status <> 'unaddressed'"
    outbox_rows = [r["message_id"] for r in await app.pool.fetch(addressed)]
    return {
        "commands": command_findings(logs, stored),
        "emails": email_findings(expected, outbox_files(outbox), message_id_header, outbox_rows),
        "deadlines": deadline_findings(store_next, views, datetime.now(UTC), read_model),
    }


async def settle_and_check(
    settings: Settings, logs: Sequence[CommandLog], outbox: Path, within: float
) -> tuple[dict[str, dict[str, Any]], float]:
    """Observe until the e-mails and workflows have caught up (or for `within` seconds); the last
    observation counts."""
    started = time.monotonic()
    async with bootstrap(settings) as app, temporal_connection(settings, identity="soak-check") as (client, _):
        while True:
            try:
                found = await observe(app, client, logs, outbox)
            except Exception as error:  # a server still coming back: look again
                if time.monotonic() - started > within:
                    raise
                say(f"settling: could not look yet ({type(error).__name__}: {error})")
                await asyncio.sleep(5)
                continue
            e, d = found["emails"], found["deadlines"]
            settled = (
                e["emails_missing"] == 0
                and e["outbox_mismatch"] == 0
                and d["stale_workflows"] == 0
                and d["missing_workflows"] == 0
                and d["unanswered_queries"] == 0
                and d["stale_read_model"] == 0
            )
            elapsed = time.monotonic() - started
            if settled or elapsed > within:
                return found, elapsed
            say(
                f"settling ({elapsed:.0f} s): {e['emails_missing']} e-mails missing, {d['stale_workflows']} "
                f"stale, {d['missing_workflows']} without workflow, {d['unanswered_queries']} unanswered, "
                f"{d['stale_read_model']} behind in the read model"
            )
            await asyncio.sleep(5)


def worker_log_findings(log_dir: Path) -> dict[str, int]:
    """The worker's warnings and errors by event name, over all its runs (the most frequent first)."""
    counts: Counter[str] = Counter()
    for path in log_dir.glob("worker-*.log"):
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
                    counts[f"{entry['level']}:{entry.get('event')}"] += 1
    return dict(counts.most_common(8))


async def progress(logs: Sequence[CommandLog], injector: FaultInjector, worker: WorkerSupervisor, t0: float) -> None:
    while True:
        await asyncio.sleep(15)
        outcomes = Counter(log.outcome for log in logs)
        failed = sum(1 for log in logs for a in log.attempts if a.verdict in ("failed", "timeout"))
        faults = ",".join(f"{k}:{n}" for k, n in injector.counts().items() if n)
        say(
            f"t={time.monotonic() - t0:.0f}s commands={len(logs)} accepted={outcomes['accepted']} "
            f"refused={outcomes['refused']} failed_attempts={failed} faults={faults or '-'} "
            f"worker_starts={worker.starts}"
        )


async def soak(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> dict[str, Any]:
    log_dir = data_dir / "soak-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    seconds = args.minutes * 60
    per_kind = args.faults_per_kind if args.faults_per_kind is not None else max(1, round(args.minutes / 4))
    plan = plan_faults(rng, seconds, FAULT_KINDS, per_kind)
    say(f"data dir {data_dir}; seed {args.seed}; faults at " + ", ".join(f"{k}@{t:.0f}s" for t, k in plan))

    worker = WorkerSupervisor(child_env(data_dir, database_url, "info"), log_dir)
    await worker.start()
    if not await until_logged((log_dir, "worker-*.log"), "worker_started", STARTUP_SECONDS):
        raise RuntimeError(f"the worker did not start within {STARTUP_SECONDS:.0f} s (see {log_dir})")
    say("worker started; clients begin")

    logs: list[CommandLog] = []
    injector = FaultInjector(
        data_dir, worker, embedded_postgres=database_url is None, quiet=args.quiet, database_url=database_url
    )
    cli_env = child_env(data_dir, database_url, "warning")
    clients = [
        SoakClient(
            name=f"s{args.seed}c{n}",
            rng=random.Random(rng.random()),
            env=cli_env,
            cwd=data_dir,
            logs=logs,
            say=say,
            attempt_timeout=args.attempt_timeout,
            gate=injector.gate,
            under_way=injector.under_way,
        )
        for n in range(args.clients)
    ]
    t0 = time.monotonic()
    stop_at = t0 + seconds
    background = [
        asyncio.create_task(injector.run(plan, t0, stop_at, say), name="faults"),
        asyncio.create_task(progress(logs, injector, worker, t0), name="progress"),
    ]
    client_tasks = [asyncio.create_task(c.run(lambda: injector.over(stop_at)), name=c.name) for c in clients]
    _, pending = await asyncio.wait(client_tasks, timeout=seconds + FAULTS_LATE + args.drain)
    for task in [*pending, *background]:
        task.cancel()
    await asyncio.gather(*client_tasks, *background, return_exceptions=True)
    for task in client_tasks:
        if not task.cancelled() and task.exception() is not None:
            say(f"client {task.get_name()} crashed: {task.exception()!r}")
    ran = time.monotonic() - t0
    say(f"commands done after {ran:.0f} s ({len(pending)} clients cut off); settling")

    settings = Settings(data_dir=data_dir, outbox_dir=data_dir / "outbox", database_url=database_url, log_level="error")
    found, settle_s = await settle_and_check(settings, logs, data_dir / "outbox", args.settle)
    stop_started = time.monotonic()
    graceful = await worker.stop(within=30)
    worker_exit_s = time.monotonic() - stop_started
    left = await until_alone(data_dir, within=15)
    if left:
        say(f"still running 15 s after the worker stopped: {', '.join(left)}")

    result = summary(
        logs=logs,
        commands=found["commands"],
        emails=found["emails"],
        deadlines=found["deadlines"],
        faults=injector.counts(),
        seconds=ran,
    )
    recoveries: dict[str, list[float | None]] = {kind: [] for kind in FAULT_KINDS}
    for moment, kind in injector.done:
        recoveries[kind].append(recovery_seconds(moment, logs))
    result["not_healed"] = sum(1 for seconds in injector.healed_s.values() for s in seconds if s is None)
    result.update(
        passed=passed(result),
        seed=args.seed,
        clients=args.clients,
        minutes=args.minutes,
        faults_skipped=injector.skipped,
        recovery_s=recoveries,
        healed_without_cli_s=injector.healed_s,
        temporal_ports=injector.temporal_ports,
        caught_mid_command=[
            {
                "command_id": log.command_id,
                "outcome": log.outcome,
                "attempts": [f"{a.verdict} {a.seconds:.1f}s" for a in log.attempts],
            }
            for log in logs
            if log.command_id in injector.caught_mid_command
        ],
        worker_starts=worker.starts,
        worker_unexpected_exits=worker.unexpected_exits,
        worker_exit_s=round(worker_exit_s, 1),
        worker_exit_graceful=graceful,
        left_running=left,
        settle_s=round(settle_s, 1),
        **attempt_findings(logs),
        examples={k: v for part in found.values() for k, v in part["examples"].items() if v},
        worker_log=worker_log_findings(log_dir),
    )
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long commands are sent")
    parser.add_argument("--clients", type=int, default=4, help="concurrent operators")
    parser.add_argument("--seed", type=int, default=None, help="seed of the commands and fault moments")
    parser.add_argument(
        "--faults-per-kind", type=int, default=None, help="default: one per 4 minutes, at least 1; 0: no faults"
    )
    parser.add_argument("--quiet", type=float, default=15.0, help="seconds operators hold back after an ..._alone kill")
    parser.add_argument("--database-url", default=None, help="a Postgres server (a fresh database is made on it)")
    parser.add_argument("--attempt-timeout", type=float, default=120.0, help="a cbct process is cut off after this")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to finish commands under way")
    parser.add_argument("--settle", type=float, default=120.0, help="seconds to wait for e-mails and workflows")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary directory")
    parser.add_argument("--keep-data", action="store_true", help="keep the data directory (and database)")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = secrets.randbelow(1_000_000)
    if args.minutes <= 0 or args.clients < 1:
        parser.error("--minutes must be positive and --clients at least 1")
    return args


async def _main(args: argparse.Namespace) -> int:
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="cbct-soak-"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = None
    if args.database_url:
        database_url = with_database(args.database_url, f"cbct_soak_{secrets.token_hex(4)}")
        await ensure_database(database_url)
    hard_limit = args.minutes * 60 + FAULTS_LATE + args.drain + args.settle + STARTUP_SECONDS + 120
    task = asyncio.create_task(soak(args, data_dir, database_url))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        result = await asyncio.wait_for(task, hard_limit)
    except (TimeoutError, asyncio.CancelledError):
        say(f"stopped: the hard limit of {hard_limit:.0f} s passed, or a signal came")
        return 2
    except Exception as error:  # the run itself broke (e.g. the worker never started): say so in one line
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
        return 2
    finally:
        killed = reap(data_dir)
        if killed:
            say(f"killed {len(killed)} leftover processes of the run: {', '.join(killed)}")
        if database_url is not None and not args.keep_data:
            with contextlib.suppress(Exception):
                await drop_database(database_url)
        if args.keep_data:
            say(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(result, default=str), flush=True)
    return 0 if result["passed"] else 1


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(asyncio.run(_main(parse_args(argv))))


if __name__ == "__main__":
    main()
