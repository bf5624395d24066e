"""Issue 9, item 6: the embedded Postgres starts in any situation a user creates.

Paths with spaces, quotes and non-ASCII; three processes starting at once on a fresh data directory
and six concurrent migrations of a fresh database (10 trials each); an empty or garbage
postmaster.pid; SIGTERM during the start; and, as root, no folder outside the data directory changed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from infrastructure.database import drop_database, with_database
from infrastructure.embedded_postgres import ROOT_CLUSTERS, EmbeddedPostgres
from infrastructure.migrations import load_migrations, migrate_database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix sockets, signals and flock")

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 10

USER = """
import asyncio, sys, time
from pathlib import Path
import asyncpg
from infrastructure.embedded_postgres import EmbeddedPostgres
server = EmbeddedPostgres(Path(sys.argv[1]))
url = server.start()
print("started", flush=True)
async def ping():
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT 1")
    finally:
        await conn.close()
assert asyncio.run(ping()) == 1
time.sleep(float(sys.argv[2]))
server.stop()
print("ok", flush=True)
"""


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A temporary directory straight under /tmp: pytest's own base is 0700, which (as root) would send
    every cluster to ROOT_CLUSTERS; that case has a test of its own."""
    path = Path(tempfile.mkdtemp(prefix="cbct-ep-"))
    path.chmod(0o711)
    yield path
    for pgdata in path.rglob("pgdata"):
        for process in _servers(pgdata.resolve()):
            process.terminate()
    shutil.rmtree(path, ignore_errors=True)


def _user(data_dir: Path, hold: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", USER, str(data_dir), str(hold)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )


def _servers(pgdata: Path) -> list[psutil.Process]:
    """Live postgres processes serving `pgdata`."""
    from infrastructure.embedded_postgres import _postmasters

    return [p for p in _postmasters(pgdata) if _alive(p)]


def _alive(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)  # psutil ships no type information
    except psutil.Error:
        return False


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what}")
        time.sleep(0.05)


def _ping(url: str) -> int:
    async def go() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    return asyncio.run(go())


def test_a_data_directory_with_spaces_quotes_and_non_ascii_characters_works(tmp_path: Path) -> None:
    data_dir = tmp_path / "My Projects" / "café 'x' \"y\"" / ".cbct"
    server = EmbeddedPostgres(data_dir)
    url = server.start()
    try:
        assert _ping(url) == 1 and _ping(server.url("postgres")) == 1
    finally:
        server.stop()
    _wait_until(lambda: not _servers(server.pgdata), "the last user stopped the server")


@pytest.mark.slow
def test_three_processes_starting_at_once_on_a_fresh_data_directory_all_succeed(tmp_path: Path) -> None:
    for trial in range(TRIALS):
        data_dir = tmp_path / f"trial {trial}"
        users = [_user(data_dir) for _ in range(3)]
        outputs = [u.communicate(timeout=180)[0] for u in users]
        assert [u.returncode for u in users] == [0, 0, 0], (trial, outputs)
        assert all(out.strip().endswith("ok") for out in outputs), outputs

        def stopped(d: Path = data_dir) -> bool:
            return not _servers((d / "pgdata").resolve())

        _wait_until(stopped, f"trial {trial}: server stopped")


def test_an_empty_or_garbage_postmaster_pid_left_behind_does_not_block_the_start(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path)
    server.start()
    server.stop()
    _wait_until(lambda: not _servers(server.pgdata), "stopped")
    for contents in ["", "garbage\n12ab\n/x\n", "999999999\n/tmp\n1\n5432\n/tmp\n\n\nready\n"]:
        (server.pgdata / "postmaster.pid").write_text(contents)
        first, second = EmbeddedPostgres(tmp_path), EmbeddedPostgres(tmp_path)
        try:
            url = first.start()
            assert _ping(url) == 1, contents
            assert second.start() == url  # a second handle joins the same server
            second.stop()
            assert _servers(server.pgdata) and _ping(url) == 1  # still used by the first
        finally:
            second.stop()
            first.stop()
        _wait_until(lambda: not _servers(server.pgdata), "the last handle stopped the server")


@pytest.mark.parametrize("moment", ["initdb", "pg_ctl"])
def test_sigterm_during_the_start_leaves_no_server_running_and_the_next_start_works(
    tmp_path: Path, moment: str
) -> None:
    data_dir = tmp_path / "data"
    if moment == "pg_ctl":  # a cluster exists: the signal comes while the server is starting
        warm = EmbeddedPostgres(data_dir)
        warm.start()
        warm.stop()
        _wait_until(lambda: not _servers(warm.pgdata), "stopped")
    user = _user(data_dir, hold=30)
    pgdata = (data_dir / "pgdata").resolve()

    def in_progress() -> bool:
        if moment == "initdb":
            return any(data_dir.glob(".pgdata-init-*/*")) if data_dir.exists() else False
        return (pgdata / "postmaster.pid").exists() or bool(_servers(pgdata))

    _wait_until(in_progress, f"{moment} running", timeout=60)
    user.send_signal(signal.SIGTERM)
    user.communicate(timeout=60)
    assert user.returncode != 0
    _wait_until(lambda: not _servers(pgdata), "no server left running after SIGTERM", timeout=30)
    server = EmbeddedPostgres(data_dir)
    try:
        assert _ping(server.start()) == 1
    finally:
        server.stop()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root switches users")
@pytest.mark.parametrize("reachable", [True, False])
def test_as_root_no_folder_outside_the_data_directory_is_changed(tmp_path: Path, reachable: bool) -> None:
    """Before: every ancestor became world-readable. Now nothing above the data directory changes; a
    data directory the service user cannot reach gets its cluster in ROOT_CLUSTERS, linked."""
    outer = tmp_path / "home"
    inner = outer / "project"
    inner.mkdir(parents=True)
    outer.chmod(0o711)
    inner.chmod(0o751 if reachable else 0o700)
    folders = [*tmp_path.parents, tmp_path, outer, inner]
    before = {p: p.stat().st_mode for p in folders}
    server = EmbeddedPostgres(inner / ".cbct")
    try:
        assert _ping(server.start()) == 1
        link = inner / ".cbct" / "pgdata"
        assert link.is_symlink() is not reachable
        if not reachable:
            assert server.pgdata.parent == ROOT_CLUSTERS
        assert stat.S_IMODE(server.pgdata.stat().st_mode) == 0o700
        assert server.pgdata.owner() == "pgserver"
    finally:
        server.stop()
        _wait_until(lambda: not _servers(server.pgdata), "stopped")
        if not reachable:
            shutil.rmtree(server.pgdata, ignore_errors=True)
    assert {p: p.stat().st_mode for p in folders} == before


@pytest.mark.asyncio(loop_scope="session")
async def test_six_concurrent_migrations_of_a_fresh_database_all_succeed(server_url: str) -> None:
    """Six `db migrate` at once on a database that does not exist yet: all succeed, each migration once."""
    for _trial in range(TRIALS):
        url = with_database(server_url, f"cbct_race_{uuid.uuid4().hex[:10]}")
        try:
            results = await asyncio.gather(*(migrate_database(url) for _ in range(6)), return_exceptions=True)
            assert not [r for r in results if isinstance(r, BaseException)], results
            assert sum(len(r) for r in results if isinstance(r, list)) == len(load_migrations())
        finally:
            await drop_database(url)
