"""A second, unprivileged account on this machine: the attacker of DESIGN.md's security model.

Tests that prove the data directory, the embedded servers and the key file are private run commands
as this user (created once with `useradd` when missing; CI runs as root). Without root they skip.

    def test_x(intruder: Intruder) -> None:
        result = intruder.run(["cat", str(path)])
        assert result.returncode != 0
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

INTRUDER = "cbct-intruder"


@dataclass(frozen=True)
class Intruder:
    name: str
    uid: int
    gid: int
    home: Path
    """A 0700 directory of the intruder's own (for the files it makes, e.g. a copied `temporal` binary)."""

    def run(
        self, argv: Sequence[str], *, timeout: float = 60, input: bytes | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` as the intruder, with a bare environment; never raises on a non-zero exit."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8"}
        return subprocess.run(
            list(argv),
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            env=env,
            cwd=cwd or self.home,
            input=input.decode() if input is not None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def own_copy(self, path: Path) -> Path:
        """A copy of `path` (e.g. the world-readable `temporal` binary) that the intruder can execute."""
        target = self.home / path.name
        if not target.exists():
            shutil.copy2(path, target)
            os.chown(target, self.uid, self.gid)
            target.chmod(0o755)
        return target


def ensure_intruder() -> Intruder | None:
    """The intruder account, created when missing; None when we are not root (or cannot create it)."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(INTRUDER)
    except KeyError:
        created = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", INTRUDER],
            capture_output=True,
            check=False,
        )
        if created.returncode != 0:
            return None
        entry = pwd.getpwnam(INTRUDER)
    home = Path(tempfile.mkdtemp(prefix="cbct-intruder-"))
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    return Intruder(name=INTRUDER, uid=entry.pw_uid, gid=entry.pw_gid, home=home)


@pytest.fixture(scope="session")
def intruder() -> Iterator[Intruder]:
    found = ensure_intruder()
    if found is None:
        pytest.skip("needs root to create a second, unprivileged user")
    try:
        yield found
    finally:
        shutil.rmtree(found.home, ignore_errors=True)
