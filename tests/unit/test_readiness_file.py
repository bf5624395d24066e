"""The worker's readiness file and the probe that reads it (`python -m worker --check`)."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infrastructure import readiness_file
from infrastructure.readiness import Readiness
from tests.workflows.support import wait_until

REPO = Path(__file__).resolve().parents[2]


def test_a_ready_worker_passes_the_check(tmp_path: Path) -> None:
    """A live process whose file says ready: exit 0, naming it."""
    readiness_file.write(readiness_file.path_for(tmp_path, os.getpid()), Readiness())
    verdict = readiness_file.check(tmp_path)
    assert verdict.code == 0 and str(os.getpid()) in verdict.line


def test_a_worker_cut_off_fails_the_check_with_its_reason(tmp_path: Path) -> None:
    """A condition down: exit 1, and the line says which and why."""
    readiness = Readiness()
    readiness.down("temporal", "Temporal-server 127.0.0.1:7233 onbereikbaar")
    readiness_file.write(readiness_file.path_for(tmp_path, os.getpid()), readiness)
    verdict = readiness_file.check(tmp_path)
    assert verdict.code == 1
    assert verdict.line.startswith("Niet gereed") and "temporal: Temporal-server 127.0.0.1:7233" in verdict.line


def test_no_worker_and_a_dead_workers_file_fail_the_check(tmp_path: Path) -> None:
    """No file, or the file of a process that is gone (its pid unused or reused): no live worker."""
    assert readiness_file.check(tmp_path).code == 1
    script = (
        "import os, sys; from pathlib import Path; from infrastructure import readiness_file as r;"
        "from infrastructure.readiness import Readiness;"
        "r.write(r.path_for(Path(sys.argv[1]), os.getpid()), Readiness())"
    )
    child = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, check=True)
    assert child.returncode == 0 and len(list(tmp_path.glob("worker-*.ready.json"))) == 1
    verdict = readiness_file.check(tmp_path)
    assert verdict.code == 1 and "geen draaiende worker" in verdict.line


def test_a_worker_that_stopped_refreshing_fails_the_check(tmp_path: Path) -> None:
    """Ready, but not rewritten for longer than STALE_SECONDS: its loop hangs, so it is not ready."""
    path = readiness_file.path_for(tmp_path, os.getpid())
    readiness_file.write(path, Readiness(), now=time.time() - readiness_file.STALE_SECONDS - 5)
    verdict = readiness_file.check(tmp_path)
    assert verdict.code == 1 and "meldt zich" in verdict.line


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"pid": "1"}', b"\xff" * 10])
def test_a_torn_or_foreign_file_counts_as_no_worker(tmp_path: Path, content: bytes) -> None:
    """Whatever lies in the directory under the pattern, the probe answers one line and never raises."""
    readiness_file.path_for(tmp_path, os.getpid()).write_bytes(content)
    assert readiness_file.check(tmp_path).code == 1


def test_the_file_is_private_and_replaced_whole(tmp_path: Path) -> None:
    """0600 (the reasons name addresses), no temporary file left beside it, the last state wins."""
    path = readiness_file.path_for(tmp_path / "data", os.getpid())
    readiness = Readiness()
    readiness_file.write(path, readiness)
    readiness.down("temporal", "weg")
    readiness_file.write(path, readiness)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    record = json.loads(path.read_text())
    assert record["ready"] is False and record["reasons"] == {"temporal": "weg"}


async def test_publish_follows_the_readiness_and_removes_its_file_when_stopped(tmp_path: Path) -> None:
    """The published file follows a change within a second and is gone once the publisher stops."""
    readiness = Readiness()
    task = asyncio.create_task(readiness_file.publish(readiness, tmp_path, every=0.05))
    path = readiness_file.path_for(tmp_path, os.getpid())

    def published(ready: bool) -> bool:
        return path.exists() and json.loads(path.read_text())["ready"] is ready

    await wait_until(lambda: published(True), "the file to say ready", 5)
    readiness.down("temporal", "weg")
    await wait_until(lambda: published(False), "the file to follow the change", 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not path.exists()
