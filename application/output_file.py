"""Writing a file a user names (`cbct report period -o FILE`, `--charts DIR`): whole or not at all.

The bytes are made in memory first, so a failing write never leaves a half-made document. A regular
path gets them through a temporary file in the same folder, renamed over the target only when
complete; a device or pipe that already exists (`/dev/full`, `/dev/stdout`) is written directly. Any
failure becomes one Dutch line naming the file and the cause (the disk is full, no access, a folder),
instead of an OSError that reads like a database error further up.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

# Causes in the user's words; anything else shows the system's own text.
CAUSES = {
    errno.ENOSPC: "de schijf is vol",
    errno.EDQUOT: "het schijfquotum is op",
    errno.EFBIG: "het bestand wordt te groot",
    errno.EIO: "invoer-/uitvoerfout van de schijf",
    errno.EACCES: "geen toegang",
    errno.EPERM: "geen toegang",
    errno.EROFS: "alleen-lezen bestandssysteem",
    errno.EISDIR: "is een map, verwacht een bestand",
    errno.ENOTDIR: "een deel van dit pad is geen map",
    errno.ENOENT: "de map bestaat niet",
    errno.ENAMETOOLONG: "de naam is te lang",
    errno.EEXIST: "bestaat al en is geen map",
}
# What the system cannot do now (exit 1); every other cause is a path the user should change (exit 2).
SYSTEM_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


class OutputFileError(OSError):
    """The named file could not be written; the message names it and the cause (in Dutch)."""

    def __init__(self, path: Path | str, cause: OSError | str) -> None:
        code = cause.errno if isinstance(cause, OSError) else None
        text = cause if isinstance(cause, str) else CAUSES.get(code or 0, cause.strerror or str(cause))
        super().__init__(code, f"{path}: kan niet schrijven — {text}")
        self.path = str(path)
        self.system_fault = code in SYSTEM_FAULTS

    def __str__(self) -> str:
        return str(self.strerror)


def check_target(path: Path | str, *, directory: bool = False) -> None:
    """Refuse up front a target that cannot be what is asked: a folder for a file, or a file for a folder."""
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputFileError(target, error) from None
    if directory and not stat.S_ISDIR(info.st_mode):
        raise OutputFileError(target, "bestaat al en is geen map")
    if not directory and stat.S_ISDIR(info.st_mode):
        raise OutputFileError(target, "is een map, verwacht een bestand")


def write_file(path: Path | str, data: bytes) -> Path:
    """Write `data` to `path` completely, or raise `OutputFileError` and leave no partial file behind."""
    target = Path(path)
    check_target(target)
    try:
        if target.exists() and not target.is_file():  # a device or pipe: there is nothing to rename over
            with open(target, "wb") as out:
                out.write(data)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputFileError(target, error) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(scratch, 0o666 & ~_umask())
        os.replace(scratch, target)
    except OSError as error:
        Path(scratch).unlink(missing_ok=True)
        raise OutputFileError(target, error) from None
    return target


def make_directory(path: Path | str) -> Path:
    """The folder `path`, created if needed; a one-line `OutputFileError` when that is impossible."""
    target = Path(path)
    check_target(target, directory=True)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputFileError(target, error) from None
    return target


def _umask() -> int:
    """The process's umask (a new file gets the mode an ordinary `open` would give it, not mkstemp's 0600).

    Read from /proc where it can be: setting it to 0 and back, even briefly, would give a file another
    thread creates meanwhile (the HTTP server renders reports in worker threads) mode 0666."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask
