"""The upload folder: uploaded documents kept on disk under their SHA-256, never under a user's name.

The folder is made 0700 (and narrowed to it when it exists wider); every file in it is 0600. An upload
is written to a fresh temporary file in the same folder (`Incoming`), hashed and counted as it streams
in, and refused the moment it passes the size limit (what came in is deleted). Only when the caller
accepts it is it renamed to its checksum (`keep`): atomic, so a file under a checksum is always
complete. The same bytes uploaded twice are one file. A process that dies mid-way leaves at most a
temporary `.incoming-*` file, never a half-written document under a checksum name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import uuid
import zipfile
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_ZIP_ENTRIES = 10_000
"""An Office document lists a few dozen parts; a ZIP with more is not one we accept (nor read further)."""


class TooLarge(Exception):
    """The upload passed the size limit; nothing of it is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class DocumentFiles:
    """The upload folder at `root`, for files of at most `max_bytes` each."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def ensure(self) -> None:
        """Make the folder (0700), or narrow an existing one to 0700."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(self.root.stat().st_mode) != 0o700:
            os.chmod(self.root, 0o700)

    def incoming(self) -> Incoming:
        """A new temporary file (0600) for an upload that is still arriving."""
        self.ensure()
        return Incoming(self, self.root / f".incoming-{uuid.uuid4().hex}")

    def path_of(self, sha256: str) -> Path:
        """Where the document with this checksum lies (a checksum only: never a path of the user's)."""
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 checksum")
        return self.root / sha256

    def has(self, sha256: str) -> bool:
        return _SHA256.match(sha256) is not None and self.path_of(sha256).is_file()

    def read(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()


class Incoming:
    """One upload as it arrives: written, hashed and counted; refused past the limit."""

    def __init__(self, files: DocumentFiles, path: Path) -> None:
        self.files = files
        self.path = path
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)

    def write(self, chunk: bytes) -> None:
        """Add `chunk`; `TooLarge` (and the partial file deleted) once the upload passes the limit."""
        if self._fd is None:
            raise ValueError("the upload is closed")
        self.size += len(chunk)
        if self.size > self.files.max_bytes:
            self.discard()
            raise TooLarge(self.files.max_bytes)
        if len(self.head) < 16:
            self.head += chunk[: 16 - len(self.head)]
        self._hash.update(chunk)
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def zip_names(self) -> frozenset[str] | None:
        """The part names of a ZIP upload (an Office document); None when it is no readable ZIP."""
        self.close()
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
                if len(infos) > MAX_ZIP_ENTRIES:
                    return None
                return frozenset(info.filename for info in infos)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None

    def keep(self) -> str:
        """Move the complete upload to its checksum's name (the same bytes kept once); its checksum."""
        self.close()
        target = self.files.path_of(self.sha256)
        if target.is_file():
            self.path.unlink(missing_ok=True)
        else:
            os.replace(self.path, target)
            dir_fd = os.open(self.files.root, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return self.sha256

    def discard(self) -> None:
        """Forget the upload: close and delete what came in."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)
