"""Issue 18, case 5: `cbct demo` within what the machine carries, one at a time per database, and without
its database URL on any command line."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
import pytest_asyncio

from application.demo import load_register
from infrastructure.database import drop_database, with_database
from infrastructure.settings import Settings
from interfaces.cli.demo import MAX_SCALE, max_processes
from interfaces.replay_processes import replay_in_processes
from interfaces.skipped_time import SkippedTimeWorld, open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")

REPO = Path(__file__).resolve().parents[2]


def cbct(*args: str, data_dir: Path, **env: str) -> subprocess.Popen[str]:
    """`cbct ARGS` in a process (and session) of its own, with its own data dir."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    return subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli.app", *args],
        cwd=data_dir.parent,
        env={**base, "PYTHONPATH": str(REPO), "CBCT_DATA_DIR": str(data_dir), **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("--processes", "1000", f"moet tussen 1 en {max_processes()} liggen"),
        ("--processes", "0", f"moet tussen 1 en {max_processes()} liggen"),
        ("--scale", "100000", f"moet tussen 1 en {MAX_SCALE} liggen"),
        ("--scale", "0", f"moet tussen 1 en {MAX_SCALE} liggen"),
    ],
)
def test_scale_and_processes_are_capped_with_one_line_and_exit_2(
    option: str, value: str, rule: str, tmp_path: Path
) -> None:
    """`--processes 1000` and `--scale 100000` exhausted the machine; now they are refused before anything
    starts: one Dutch line naming the option, the bound and why."""
    data_dir = tmp_path / "data"
    started = time.monotonic()

    child = cbct("demo", option, value, data_dir=data_dir)
    out, err = child.communicate(timeout=60)

    assert child.returncode == 2, err
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"{option} {value}: {rule}")
    assert "Temporal-testserver" in err or "benchmark" in err  # it says why
    assert not data_dir.exists(), "nothing started, nothing written"
    assert time.monotonic() - started < 60


def test_the_caps_leave_the_documented_runs_alone() -> None:
    assert max_processes() >= 4 and MAX_SCALE == 100


def _held(lock: Path) -> bool:
    """Whether another process holds an exclusive flock on `lock` (tried without waiting)."""
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


async def test_a_second_demo_on_the_same_database_says_al_bezig_and_exits_at_once(
    server_url: str, tmp_path: Path
) -> None:
    """Two real `cbct demo` processes on one data dir and database: the second one says in one line that
    a demo is busy there, naming the database and the data dir, and exits 1 at once; the first goes on."""
    data_dir = tmp_path / "data"
    name = f"cbct_demo_lock_{uuid.uuid4().hex[:8]}"
    env = {"CBCT_DATABASE_URL": server_url, "CBCT_LOG_LEVEL": "error"}
    first = cbct("demo", "--json", "--database", name, data_dir=data_dir, **env)
    try:
        async with asyncio.timeout(60):
            while not (locks := sorted(data_dir.glob(".demo-*.lock"))) or not _held(locks[0]):
                assert first.poll() is None, first.communicate()
                await asyncio.sleep(0.05)
        assert stat.S_IMODE(locks[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700

        started = time.monotonic()
        second = cbct("demo", "--json", "--database", name, data_dir=data_dir, **env)
        out, err = await asyncio.to_thread(second.communicate, timeout=60)

        assert second.returncode == 1, err
        assert out == "" and len(err.strip().splitlines()) == 1, err
        assert err.startswith(f"Demo al bezig op database {name} (gegevensmap {data_dir.resolve()})")
        assert "Traceback" not in err
        assert time.monotonic() - started < 30
        assert first.poll() is None, "the first demo goes on"
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the demo, its share processes and their test servers
        first.communicate()
        await drop_database(with_database(server_url, name))


# --- the database URL is not on a command line ---------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[SkippedTimeWorld]:
    async with open_world(database_url, tmp_path / "outbox", settings=Settings(log_level="warning")) as the_world:
        yield the_world


async def test_the_share_processes_get_the_database_url_off_their_command_line(
    world: SkippedTimeWorld, database_url: str, tmp_path: Path
) -> None:
    """`demo --processes` put the URL (and its password) on each share's command line, where anyone's `ps`
    reads it; now it goes through the child's stdin: neither its cmdline nor its environment holds it."""
    only = {r.certificate_number for r in load_register()[:4]}
    seen: dict[int, tuple[bytes, bytes]] = {}
    parents: dict[int, int] = {}

    def look() -> None:
        for child in psutil.Process().children(recursive=True):
            if child.pid not in seen:
                try:
                    cmdline = Path(f"/proc/{child.pid}/cmdline").read_bytes()
                    environ = Path(f"/proc/{child.pid}/environ").read_bytes()
                except (FileNotFoundError, ProcessLookupError, PermissionError):
                    continue
                if b"interfaces.replay_processes" in cmdline:
                    seen[child.pid] = (cmdline, environ)
                    with contextlib.suppress(psutil.Error):
                        parents[child.pid] = child.ppid()

    async def watch() -> None:
        while True:
            look()
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        summary = await replay_in_processes(world, database_url, tmp_path / "outbox", processes=2, only=only)
    finally:
        watcher.cancel()

    assert summary.trajectories == len(only)
    # a share's own child caught between its fork and its exec still shows the share's command line
    shares = {pid for pid in seen if parents.get(pid) not in seen}
    assert len(shares) == 2, "both share processes were seen"
    secret = database_url.encode()
    database = database_url.rsplit("/", 1)[1].encode()
    for cmdline, environ in seen.values():
        assert secret not in cmdline and database not in cmdline
        assert secret not in environ and database not in environ
        assert b"-P" in cmdline.split(b"\0")  # the installed modules, not the working directory's
