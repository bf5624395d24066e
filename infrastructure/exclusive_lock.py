"""One run at a time: an exclusive, non-blocking `flock` on a private lock file.

For work that must not run twice at once on the same target (two `cbct demo` runs on one database
replay the same trajectories against each other). The second run does not wait: it is told at once
that another one is busy. The lock dies with its process, so a killed run never leaves it taken.

The file is the caller's own: created 0600 (in a directory created 0700 if missing), never through
a symbolic link, and refused when another user owns it (who could otherwise hold it for ever).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path


class AlreadyLocked(RuntimeError):
    """Another process holds the lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: in gebruik door een ander proces")
        self.path = path


class ForeignLockFile(RuntimeError):
    """The lock file is not this user's own private file."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[Path]:
    """Hold an exclusive lock on `path` for the block; AlreadyLocked at once when another process has it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyLocked(path) from None
        yield path
    finally:
        os.close(fd)
