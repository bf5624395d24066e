"""A worker's readiness as a file, so a probe in another process (`python -m worker --check`, Docker's
healthcheck) can read it without a port: `CBCT_DATA_DIR/worker-<pid>.ready.json`.

The worker rewrites its file when its readiness changes and at least every `REFRESH_SECONDS`; a file
whose writer is gone (its pid dead or reused) or that was not refreshed for `STALE_SECONDS` (a worker
whose event loop hangs) counts as no worker. Written 0600 by an atomic rename: a probe never reads half
a file, and the reasons (a server address) stay private.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from infrastructure.readiness import Readiness

REFRESH_SECONDS = 10.0
STALE_SECONDS = 30.0
_PATTERN = "worker-*.ready.json"
_MAX_BYTES = 64 * 1024


def path_for(data_dir: Path, pid: int) -> Path:
    return data_dir / f"worker-{pid}.ready.json"


def _started(pid: int) -> float | None:
    """The start time of process `pid`, None when there is none (or only its zombie)."""
    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process.create_time()
    except psutil.Error:
        return None


def write(path: Path, readiness: Readiness, *, now: float | None = None) -> None:
    """Write this process's readiness to `path` (0600, atomically)."""
    pid = os.getpid()
    record = {
        "pid": pid,
        "started": _started(pid),
        "ready": readiness.ready,
        "reasons": dict(readiness.reasons),
        "written_at": time.time() if now is None else now,
    }
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(json.dumps(record).encode())
    os.replace(temporary, path)


async def publish(readiness: Readiness, data_dir: Path, *, every: float = 1.0) -> None:
    """Keep this process's readiness file current until cancelled; remove it then."""
    path = path_for(data_dir, os.getpid())
    written: tuple[bool, Mapping[str, str]] | None = None
    written_at = 0.0
    try:
        while True:
            current = (readiness.ready, readiness.reasons)
            if current != written or time.monotonic() - written_at >= REFRESH_SECONDS:
                write(path, readiness)
                written, written_at = current, time.monotonic()
            await asyncio.sleep(every)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


@dataclass(frozen=True)
class Verdict:
    """What the probe found: its exit code and one line for the operator."""

    code: int
    line: str


def check(data_dir: Path, *, now: float | None = None) -> Verdict:
    """Exit 0 when a live worker of `data_dir` reports ready, else 1; one Dutch line either way."""
    now = time.time() if now is None else now
    problems: list[str] = []
    for path in sorted(data_dir.glob(_PATTERN)):
        record = _read(path)
        started = None if record is None else _started(record["pid"])
        if record is None or started is None or abs(started - record["started"]) > 0.05:
            continue  # torn, foreign, or left by a worker that is gone (its pid may serve another process)
        pid = record["pid"]
        if now - record["written_at"] > STALE_SECONDS:
            problems.append(f"worker {pid} meldt zich al {now - record['written_at']:.0f} s niet")
        elif record["ready"]:
            return Verdict(0, f"Gereed: worker {pid}")
        else:
            reasons = "; ".join(f"{name}: {why}" for name, why in sorted(record["reasons"].items()))
            problems.append(f"worker {pid}: {reasons}")
    if not problems:
        return Verdict(1, f"Niet gereed: geen draaiende worker in {data_dir}")
    return Verdict(1, "Niet gereed: " + " | ".join(problems))


def _read(path: Path) -> dict[str, Any] | None:
    """The record in `path` when it has the shape `write` gives it; None otherwise."""
    try:
        raw = json.loads(path.read_bytes()[:_MAX_BYTES])
    except (OSError, ValueError):
        return None
    if not (
        isinstance(raw, dict)
        and type(raw.get("pid")) is int
        and isinstance(raw.get("started"), float | int)
        and type(raw.get("ready")) is bool
        and isinstance(raw.get("reasons"), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in raw["reasons"].items())
        and isinstance(raw.get("written_at"), float | int)
    ):
        return None
    return raw
