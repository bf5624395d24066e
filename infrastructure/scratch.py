"""Scratch resources of a skipped-time run (`cbct scenario run`): its database on the configured server
and its outbox directory, claimed by the process that made them for as long as it lives.

A run cleans up after itself, but a SIGKILL, the OOM killer or a power cut leave both behind (a database
per run, and e-mails with names and addresses in the scratch folder). So each run first removes the
leftovers of runs that are gone, and only those: concurrent runs are not disturbed.

"Gone" is a lock that the server or the kernel releases when its owner dies, not a recorded pid (a pid
is reused, and means nothing on a database server on another host):

- database: the owner holds a session advisory lock keyed by the database's name, in the server's
  `postgres` database, from before the database is created until after it is dropped. A scratch
  database whose lock can be taken has no living owner; it is dropped without FORCE, so a database
  someone is still connected to (a run of an older version, which held no lock) is left alone.
- directory: the owner holds `flock` on `.owner` inside it (locked under another name, then renamed,
  so a marker is never seen unlocked). A directory of ours whose marker can be locked is removed; one
  without a marker is left alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg

from infrastructure.database import database_name, with_database
from infrastructure.logging import get_logger

SCRATCH_PREFIX = "cbct_scratch_"
"""Databases named so are scratch databases; nothing else is ever dropped here."""
_LOCK_SEED = 0x43424353  # 'CBCS': the advisory lock key is hashtextextended(name, this seed)
_MARKER = ".owner"

log = get_logger(__name__)


# --- databases -------------------------------------------------------------------------------------------


@asynccontextmanager
async def scratch_claim(url: str) -> AsyncIterator[None]:
    """Claim the scratch database of `url` (not created yet) while the block runs, after dropping the
    scratch databases on its server whose runs are gone. Drop the database inside the block."""
    name = database_name(url)
    if not name.startswith(SCRATCH_PREFIX):
        raise ValueError(f"not a scratch database: {name!r}")
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        await drop_stale_scratch_databases(admin, keep=name)
        if not await admin.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, $2))", name, _LOCK_SEED):
            raise RuntimeError(f"scratch database {name} is claimed by another run")
        yield
    finally:
        await admin.close()  # releases the claim


async def drop_stale_scratch_databases(admin: asyncpg.Connection, *, keep: str = "") -> list[str]:
    """Drop the scratch databases no living run claims and nobody is connected to; their names."""
    dropped = []
    names = await admin.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", SCRATCH_PREFIX)
    for (name,) in names:
        if name == keep:
            continue
        if not await admin.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, $2))", name, _LOCK_SEED):
            continue  # its run is alive
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name.replace(chr(34), chr(34) * 2)}"')
            dropped.append(name)
        except asyncpg.PostgresError as error:  # in use (no FORCE), or not ours to drop
            log.debug("scratch_database_kept", database=name, reason=str(error))
        finally:
            await admin.fetchval("SELECT pg_advisory_unlock(hashtextextended($1, $2))", name, _LOCK_SEED)
    if dropped:
        log.info("stale_scratch_databases_dropped", databases=dropped)
    return dropped


# --- directories -----------------------------------------------------------------------------------------


@contextmanager
def scratch_directory(prefix: str) -> Iterator[Path]:
    """A new private directory `<scratch_root>/<prefix>…`, claimed while the block runs and removed after it,
    once the directories of this prefix whose runs are gone have been removed."""
    path, fd = claimed_directory(prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if fd >= 0:
            os.close(fd)


def scratch_root() -> Path:
    """Where this user's scratch directories go: `$XDG_CACHE_HOME/cbct/scratch` (else
    `~/.cache/cbct/scratch`), a 0700 directory of this user's own, in a folder no other account can
    write to. The shared temp folder only when that cannot be made (no home, or a read-only one): there
    `mkdtemp`'s unpredictable 0700 names still keep each run's directory private."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    try:
        base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
        root = base / "cbct" / "scratch"
        root.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            root.mkdir(mode=0o700)
        info = root.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
            if stat.S_IMODE(info.st_mode) != 0o700:
                root.chmod(0o700)
            return root
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        pass
    return Path(tempfile.gettempdir())  # only ever mkdtemp's parent (`claimed_directory`): no fixed name in it


def claimed_directory(prefix: str) -> tuple[Path, int]:
    """A new private directory `<scratch_root>/<prefix>…` (mkdtemp: an unpredictable name, 0700) and the
    descriptor that claims it, after removing this prefix's directories whose runs are gone."""
    root = scratch_root()
    remove_stale_directories(root, prefix)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    try:
        return path, claim(path)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise


def claim(directory: Path) -> int:
    """Claim `directory` (a new, empty one of ours) while the returned descriptor stays open."""
    pending = directory / f"{_MARKER}.new"
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people; the lock is what counts
        os.rename(pending, directory / _MARKER)
    except BaseException:
        os.close(fd)
        raise
    return fd


def remove_stale_directories(root: Path, prefix: str) -> list[Path]:
    """Remove this user's directories `root/<prefix>…` whose owner's claim is gone; the removed ones."""
    removed = []
    try:
        entries = [e for e in os.scandir(root) if e.name.startswith(prefix)]
    except OSError:
        return []
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            continue
        try:
            fd = os.open(Path(entry.path) / _MARKER, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue  # no marker: being created, or made by an older version
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its run is alive
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
    if removed:
        log.info("stale_scratch_directories_removed", directories=[str(p) for p in removed])
    return removed
