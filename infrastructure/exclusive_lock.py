"""One run at a time: an exclusive, non-blocking `flock` on a private lock file.

For work that must not run twice at once on the same target (two `cbct demo` runs on one database
replay the same trajectories against each other). The second run does not wait: it is told at once
that another one is busy. The lock dies with its process, so a killed run never leaves it taken.

The file is the caller's own: created 0600 (in a directory created 0700 if missing), never through
a symbolic link, and refused when another user owns it (who could otherwise hold it for ever).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from infrastructure.waiting_lock import ForeignLockFile, open_lock_file

__all__ = ["AlreadyLocked", "ForeignLockFile", "exclusive_lock"]


class AlreadyLocked(RuntimeError):
    """Another process holds the lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: in gebruik door een ander proces")
        self.path = path


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[Path]:
    """Hold an exclusive lock on `path` for the block; AlreadyLocked at once when another process has it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = open_lock_file(path)  # 0600, ours, not a link: the same checks as every lock of ours
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyLocked(path) from None
        yield path
    finally:
        os.close(fd)
