"""Issue 19, case 5: the time-skipping test server cannot be reached from another address than loopback.

`temporal-test-server PORT` listens on `*:PORT`. The test gives itself a machine of its own: a fresh
network namespace (made by this test, so no traffic leaves it) whose loopback also carries a
non-loopback address, 10.200.0.1 — the address another machine would use. There it starts the server as
the SDK does, once as the plain binary (before: reachable on 10.200.0.1) and once through
`loopback_test_server.launcher()` (after: refused there, while the SDK still works on 127.0.0.1), and
reports what it saw as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infrastructure import temporal_binaries
from infrastructure.loopback_test_server import launcher, namespace_command
from infrastructure.process_end import end_process

REPO = Path(__file__).resolve().parents[2]
OUTSIDE_ADDRESS = "10.200.0.1"
"""Put on the loopback of the test's own namespace only: the address "another machine" knocks on."""


def _reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=5):
            return True
    except OSError:
        return False


async def _probe_server(path: Path) -> dict[str, Any]:
    from temporalio.testing import WorkflowEnvironment

    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(path))
    try:
        port = int(env.client.service_client.config.target_host.rsplit(":", 1)[1])
        await env.get_current_time()  # the SDK works through 127.0.0.1
        return {"loopback": _reachable("127.0.0.1", port), "outside": _reachable(OUTSIDE_ADDRESS, port)}
    finally:
        await env.shutdown()


def probe() -> None:
    """Run inside the test's namespace: bring loopback up with the outside address, start both servers."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{OUTSIDE_ADDRESS}/32", "dev", "lo"], check=True)

    async def both() -> dict[str, Any]:
        return {
            "plain": await _probe_server(temporal_binaries.test_server_path()),
            "confined": await _probe_server(launcher()),
            "confined_by_namespace": launcher() != temporal_binaries.test_server_path(),
        }

    print(json.dumps(asyncio.run(both())), flush=True)  # the result, for the test in the host's namespace
    end_process(0)  # not the interpreter's finalization: the SDK's runtime can crash tearing down (-11 seen)


@pytest.mark.skipif(namespace_command() is None, reason="no network namespace can be made here")
@pytest.mark.skipif(shutil.which("ip") is None, reason="iproute2 (ip) puts the outside address in place")
def test_the_test_server_refuses_connections_to_a_non_loopback_address() -> None:
    unshare = namespace_command()
    assert unshare is not None
    code = "from tests.integration.test_test_server_loopback import probe; probe()"
    result = subprocess.run(
        [*unshare, sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    print(seen)  # the before/after figure (pytest -s)
    assert seen["plain"] == {"loopback": True, "outside": True}, "the probe cannot see the plain server's exposure"
    assert seen["confined_by_namespace"]
    assert seen["confined"] == {"loopback": True, "outside": False}


def test_without_namespaces_the_plain_server_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no `unshare` can make a namespace, the SDK gets the plain binary (and a warning says so)."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert namespace_command() is None
    assert launcher.__wrapped__() == temporal_binaries.test_server_path()


def test_the_confined_launcher_is_a_private_script() -> None:
    """The SDK runs the script it is given: only its owner may change it (0700 folder and file)."""
    if namespace_command() is None:
        pytest.skip("no network namespace can be made here")
    script = launcher()
    assert script != temporal_binaries.test_server_path()
    assert script.stat().st_mode & 0o077 == 0 and script.parent.stat().st_mode & 0o077 == 0


def test_a_killed_runs_launcher_folder_is_removed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed before its `atexit` leaves its launcher folder behind; the next run removes it, and
    leaves a folder whose run is alive (its claim is held) alone."""
    import os

    from infrastructure import loopback_test_server
    from infrastructure.scratch import claim

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root = tmp_path / "cbct" / "scratch"  # the scratch root (infrastructure/scratch.py)
    root.mkdir(parents=True, mode=0o700)
    dead = root / f"{loopback_test_server.LAUNCHER_PREFIX}dead"
    alive = root / f"{loopback_test_server.LAUNCHER_PREFIX}alive"
    dead.mkdir(mode=0o700)
    alive.mkdir(mode=0o700)
    os.close(claim(dead))  # its owner died: nothing holds the claim
    held = claim(alive)
    try:
        made = loopback_test_server._claimed_directory()
        assert not dead.exists()
        assert alive.exists()
        assert made.parent == root and made.name.startswith(loopback_test_server.LAUNCHER_PREFIX)
        assert (made.stat().st_mode & 0o777) == 0o700
    finally:
        os.close(held)
