"""Reading a file a user names (`cbct scenario run FILE`, `cbct event correct --data @FILE`), bounded.

A named path may be anything: `/dev/zero`, a FIFO that never answers, a 2 GB file, a directory. Only a
regular file of at most `max_bytes` is read, opened without blocking, and decoded as UTF-8; every other
case is one Dutch line naming the file and the rule, before anything else happens.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class InputFileError(ValueError):
    """The named file cannot be used as input; the message names it and says why (in Dutch)."""


def read_text_file(path: str | Path, *, max_bytes: int) -> str:
    """The UTF-8 text of the regular file at `path`, refusing anything else or anything larger."""
    file = Path(path)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise InputFileError(f"{file}: bestand bestaat niet") from None
    except IsADirectoryError:
        raise InputFileError(f"{file}: is een map, verwacht een bestand") from None
    except PermissionError:
        raise InputFileError(f"{file}: geen toegang") from None
    except OSError as error:
        raise InputFileError(f"{file}: kan het bestand niet openen ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(f"{file}: is een map, verwacht een bestand")
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{file}: is geen gewoon bestand (een apparaat, pipe of socket wordt niet gelezen)")
        if info.st_size > max_bytes:
            raise InputFileError(f"{file}: te groot ({info.st_size} bytes; ten hoogste {max_bytes})")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, 65536):
            total += len(chunk)
            if total > max_bytes:  # grew while we read
                raise InputFileError(f"{file}: te groot (meer dan {max_bytes} bytes)")
            chunks.append(chunk)
    except OSError as error:
        raise InputFileError(f"{file}: kan het bestand niet lezen ({error.strerror or error})") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(f"{file}: is geen UTF-8-tekst ({error.reason} op positie {error.start})") from None
