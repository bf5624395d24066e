"""The demo replay spread over processes: each replays its share of the register in a world of its own.

One world — one time-skipping test server, one worker, one Python process — replays the register in
about 33 s on two cores, and neither core is busy: the test server hands out its tasks one world at a
time, and the one process's event loop waits on it. Two worlds in two processes keep both cores busy
(about 26 s). Each process takes every n-th certificate number of the register (all copies of a row
and every trajectory of one number stay together, so an opening sees its number's earlier holders),
replays exactly as `replay` does — gates, the check against the pure simulation, resumability — and
reports its progress and summary as JSON lines on stdout. The parent adds them up and brings the read
models up to date once at the end (not each process on its own, at the same time).

Each process dies with its parent (`PR_SET_PDEATHSIG`, and all share the parent's process group), so a
killed demo leaves no half of itself running; the next run resumes every share where it stood.

Child: `python -P -m interfaces.replay_processes --outbox DIR --only N,N,... [...]`, the database URL as
the first line of its stdin (a command line is world-readable in `ps`; the URL may hold a password).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from collections.abc import Collection, Sequence
from dataclasses import fields
from pathlib import Path

from application.demo.period import DEFAULT_SEED
from application.demo.register import RegisterRow, load_register
from application.demo.replay import BATCH, Progress, ReplayError, ReplaySummary, replay
from interfaces.skipped_time import SkippedTimeWorld, open_world


def default_processes() -> int:
    """One world per core, at most four (beyond that the processes only take turns)."""
    return max(1, min(4, os.cpu_count() or 1))


def shares(rows: Sequence[RegisterRow], parts: int, only: Collection[str] | None = None) -> list[list[str]]:
    """The certificate numbers of `rows` (those in `only`, when given) dealt round-robin over `parts`."""
    numbers = sorted({r.certificate_number for r in rows if only is None or r.certificate_number in only})
    return [share for share in (numbers[i::parts] for i in range(parts)) if share]


async def replay_in_processes(
    world: SkippedTimeWorld,
    url: str,
    outbox: Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    processes: int = 1,
    only: Collection[str] | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
    log_level: str = "warning",
) -> ReplaySummary:
    """`replay` in `processes` worlds at once (one: in `world` itself); the read models of `world`'s
    store are brought up to date at the end. Raises `ReplayError` when any share fails (the others are
    stopped; a rerun resumes them all)."""
    if processes < 1:
        raise ValueError("processes: must be positive")
    if processes == 1:
        return await replay(world, seed=seed, scale=scale, only=only, progress=progress, batch=batch)
    started = time.perf_counter()
    dealt = shares(load_register(), processes, only)
    done = [0] * len(dealt)
    totals = [0] * len(dealt)
    summaries: list[ReplaySummary] = []
    children: list[asyncio.subprocess.Process] = []

    async def run_share(index: int, share: list[str]) -> None:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-P",  # the installed modules, never an `interfaces/` of whatever directory the demo runs in
            "-m",
            "interfaces.replay_processes",
            "--outbox",
            str(outbox),
            "--seed",
            str(seed),
            "--scale",
            str(scale),
            "--only",
            ",".join(share),
            "--batch",
            str(batch),
            "--log-level",
            log_level,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        children.append(child)
        assert child.stdin is not None and child.stdout is not None
        # The URL (and any password in it) on stdin: a command line is anyone's to read in `ps`.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # it died at once: its code says why
            child.stdin.write(url.encode() + b"\n")
            await child.stdin.drain()
        child.stdin.close()
        failure: dict[str, str] | None = None
        async for line in child.stdout:
            message = json.loads(line)
            if "done" in message:
                done[index], totals[index] = message["done"], message["total"]
                if progress is not None:
                    progress(sum(done), sum(totals))
            elif "summary" in message:
                summaries.append(ReplaySummary(**message["summary"]))
            elif "error" in message:
                failure = message["error"]
        code = await child.wait()
        if failure is not None:
            raise ReplayError.relayed(failure["trajectory_id"], failure["where"], failure["message"])
        if code != 0:
            raise ReplayError.relayed("", f"deel {index + 1} van {len(dealt)}", f"proces eindigde met code {code}")

    try:
        async with asyncio.TaskGroup() as group:
            for index, share in enumerate(dealt):
                group.create_task(run_share(index, share))
    except* ReplayError as failed:
        raise failed.exceptions[0] from None
    finally:
        for child in children:
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
    await world.settle()
    return ReplaySummary(
        trajectories=sum(s.trajectories for s in summaries),
        steps=sum(s.steps for s in summaries),
        accepted=sum(s.accepted for s in summaries),
        refused_as_expected=sum(s.refused_as_expected for s in summaries),
        skipped=sum(s.skipped for s in summaries),
        deadlines_fired=sum(s.deadlines_fired for s in summaries),
        events_in_store=await world.event_count(),
        seconds=round(time.perf_counter() - started, 2),
    )


# --- one share, in its own process --------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (PR_SET_PDEATHSIG); elsewhere, nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def _emit(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _replay_share(url: str, outbox: Path, seed: int, scale: int, only: set[str], batch: int) -> None:
    from infrastructure.settings import Settings

    async with open_world(url, outbox, settings=Settings()) as world:
        summary = await replay(
            world,
            seed=seed,
            scale=scale,
            only=only,
            progress=lambda done, total: _emit({"done": done, "total": total}),
            batch=batch,
            settle=False,
        )
    _emit({"summary": {f.name: getattr(summary, f.name) for f in fields(summary)}})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interfaces.replay_processes", description=__doc__)
    parser.add_argument("--outbox", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--only", required=True, help="certificate numbers, comma-separated")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    _die_with_parent()
    from infrastructure.logging import configure_logging
    from infrastructure.settings_errors import settings_or_exit

    configure_logging(settings_or_exit().log_format, args.log_level, stream=sys.stderr)
    url = sys.stdin.readline().strip()
    if not url:
        _emit({"error": {"trajectory_id": "", "where": "start", "message": "geen database-URL op stdin"}})
        return 2
    try:
        asyncio.run(_replay_share(url, args.outbox, args.seed, args.scale, set(args.only.split(",")), args.batch))
    except ReplayError as error:
        _emit({"error": {"trajectory_id": error.trajectory_id, "where": error.where, "message": error.message}})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
