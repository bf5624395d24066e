"""`EmbeddedTemporal.revive`: a handle whose server died gets it back on the same ports, still as one handle."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from infrastructure.temporal_server import EmbeddedTemporal
from tests.workflows.support import wait_until

pytestmark = pytest.mark.skipif(os.name != "posix", reason="kill -9")


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory of the test's own; no server outlives the test."""
    yield tmp_path
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if "start-dev" in (proc.info["cmdline"] or []) and proc.info["cwd"] == str(tmp_path / "temporal"):
                proc.kill()
        except psutil.Error:
            pass


async def test_a_killed_server_is_revived_on_its_ports_under_the_same_single_handle(data_dir: Path) -> None:
    server = EmbeddedTemporal(data_dir)
    first = await server.start()
    assert server.running
    os.kill(first.pid, signal.SIGKILL)
    await wait_until(lambda: not server.running, "the handle to see its server gone", 10)

    again = await server.revive()
    assert server.running and again.pid != first.pid
    assert (again.address, again.ui_address) == (first.address, first.ui_address)
    state = json.loads((server.directory / "server.json").read_text())
    assert [h["pid"] for h in state["handles"]] == [os.getpid()]  # one handle, not one per revival

    server.stop()  # the last handle: the revived server stops
    assert not psutil.pid_exists(again.pid) or psutil.Process(again.pid).status() == psutil.STATUS_ZOMBIE
