"""A `flock` that waits a bounded time, on a private lock file.

For locks that processes of one data directory take in turn (the embedded Postgres's start lock): a
holder that never lets go — a hung process, or anyone who could open the file — must not hang every
command. After `timeout` seconds the waiter gets one Dutch line naming the lock file.

The file is the caller's own: created 0600 in a directory of its own (made 0700 when missing), never
through a symbolic link; an older, looser file is tightened to 0600, one of another user is refused.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_TIMEOUT = 60.0
"""Seconds to wait for a lock before giving up (a start of the embedded Postgres takes a few)."""
_POLL = 0.05


class LockTimeout(TimeoutError):
    """Another process held the lock for longer than the caller waits."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__(
            f"{path}: na {timeout:g} s nog steeds vergrendeld door een ander proces; "
            "stop dat proces (fuser -v dit bestand toont het) of probeer het later opnieuw"
        )
        self.path = path


class ForeignLockFile(PermissionError):
    """The lock file (or its directory) is not this user's own private file."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path


def private_directory(path: Path) -> Path:
    """`path` as a directory of this user's own, 0700 (created so, or tightened); refused when it is a
    symbolic link, not a directory, or another user's."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ForeignLockFile(path, "is geen map (of een symbolische koppeling); verwacht een eigen map")
    if info.st_uid != os.geteuid():
        raise ForeignLockFile(path, f"is van een andere gebruiker (uid {info.st_uid}); verwacht een eigen map")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def open_lock_file(path: Path) -> int:
    """A descriptor on the private lock file `path` (0600, ours, not a link)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ForeignLockFile(path, "is een symbolische koppeling, verwacht een eigen bestand") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ForeignLockFile(path, "is geen gewoon bestand")
        if info.st_uid != os.geteuid():
            raise ForeignLockFile(path, f"is van een andere gebruiker (uid {info.st_uid})")
        if stat.S_IMODE(info.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def acquire(fd: int, path: Path, mode: int, timeout: float) -> None:
    """Take `mode` (LOCK_EX or LOCK_SH) on `fd`, waiting at most `timeout` seconds (LockTimeout)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(path, timeout) from None
            time.sleep(_POLL)


@contextlib.contextmanager
def waiting_lock(path: Path, mode: int = fcntl.LOCK_EX, timeout: float = LOCK_TIMEOUT) -> Iterator[int]:
    """Hold `mode` on the private lock file `path` for the block, waiting at most `timeout` seconds."""
    fd = open_lock_file(path)
    try:
        acquire(fd, path, mode, timeout)
        yield fd
    finally:
        os.close(fd)
