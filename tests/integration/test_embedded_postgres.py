"""The embedded Postgres survives a predecessor killed with -9, and the last process stops it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from infrastructure.embedded_postgres import EmbeddedPostgres

HOLDER = """
import sys, time
from pathlib import Path
from infrastructure.embedded_postgres import EmbeddedPostgres
EmbeddedPostgres(Path(sys.argv[1])).start()
print("ready", flush=True)
time.sleep(600)
"""


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Straight under /tmp (pytest's base is 0700: as root the cluster would move to ROOT_CLUSTERS)."""
    path = Path(tempfile.mkdtemp(prefix="cbct-ep-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    if not pid_file.exists():
        return None
    return int(pid_file.read_text().splitlines()[0])


def _wait_until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def _start_holder(data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _server_running(data_dir: Path) -> bool:
    pid = _postmaster_pid(data_dir)
    return pid is not None and psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE


@pytest.mark.skipif(os.name != "posix", reason="kill -9 semantics")
def test_process_killed_with_server_left_running_is_adopted_and_stopped(tmp_path: Path) -> None:
    """A killed holder leaves the server up; the next process joins it and, as last user, stops it."""
    holder = _start_holder(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert _server_running(tmp_path), "the server outlives the killed process"

    server = EmbeddedPostgres(tmp_path)
    url = server.start()
    assert "host=" in url
    server.stop()
    _wait_until(lambda: not _server_running(tmp_path))


@pytest.mark.skipif(os.name != "posix", reason="kill -9 semantics")
def test_server_killed_too_leaves_stale_pid_file_and_start_still_works(tmp_path: Path) -> None:
    """Postgres itself killed with -9 leaves postmaster.pid behind; the next start recovers."""
    holder = _start_holder(tmp_path)
    pid = _postmaster_pid(tmp_path)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    _wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    assert (tmp_path / "pgdata" / "postmaster.pid").exists()

    server = EmbeddedPostgres(tmp_path)
    server.start()
    import asyncio

    import asyncpg

    async def ping() -> int:
        conn = await asyncpg.connect(server.url("postgres"))
        try:
            return int(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    assert asyncio.run(ping()) == 1
    server.stop()
    _wait_until(lambda: not _server_running(tmp_path))


@pytest.mark.skipif(os.name != "posix", reason="kill -9 semantics")
def test_a_server_that_crashed_under_a_user_is_started_by_another_in_the_same_socket_folder(tmp_path: Path) -> None:
    """A comma puts the socket folder in /tmp under a random name. The server dies under a process that
    still uses it (a worker); another process (a CLI command) starts it first: in the same folder, so the
    URL the first process holds reaches the new server."""
    import asyncio

    import asyncpg

    data_dir = tmp_path / "a,b"
    holder = _start_holder(data_dir)
    try:
        pid_file = data_dir / "pgdata" / "postmaster.pid"
        first_socket_dir = pid_file.read_text().splitlines()[4].strip()
        assert first_socket_dir.startswith("/tmp/cbct-pg-")
        held_url = f"postgresql://postgres@/postgres?host={first_socket_dir}"
        pid = _postmaster_pid(data_dir)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)

        server = EmbeddedPostgres(data_dir)
        server.start()
        try:
            assert pid_file.read_text().splitlines()[4].strip() == first_socket_dir

            async def ping() -> int:
                conn = await asyncpg.connect(held_url)
                try:
                    return int(await conn.fetchval("SELECT 1"))
                finally:
                    await conn.close()

            assert asyncio.run(ping()) == 1
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
            server.stop()  # the last user: the server stops
        _wait_until(lambda: not _server_running(data_dir))
    finally:
        if holder.poll() is None:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
