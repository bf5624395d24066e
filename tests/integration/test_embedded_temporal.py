"""The embedded Temporal dev server: shared per data directory, durable on its SQLite file, and it
recovers from whatever a killed predecessor leaves behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from infrastructure.settings import Settings
from infrastructure.temporal_client import temporal_connection
from infrastructure.temporal_server import (
    SEARCH_ATTRIBUTES,
    EmbeddedTemporal,
    EmbeddedTemporalError,
    TemporalServerInfo,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="kill -9 and flock semantics")

REPO = Path(__file__).resolve().parents[2]
TASK_QUEUE = "embedded-temporal-test"

HOLDER = """
import asyncio, dataclasses, json, sys
from pathlib import Path
from infrastructure.temporal_server import EmbeddedTemporal

async def main() -> None:
    server = EmbeddedTemporal(Path(sys.argv[1]))
    info = await server.start()
    print(json.dumps(dataclasses.asdict(info)), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # hold the handle until told to go
    server.stop()

asyncio.run(main())
"""


@workflow.defn(name="HeldWorkflow")
class HeldWorkflow:
    """Runs until released: a workflow that must survive server restarts while it waits."""

    def __init__(self) -> None:
        self.released = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.released)
        return "released"

    @workflow.signal
    def release(self) -> None:
        self.released = True


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose path has spaces and non-ASCII characters; no server outlives the test."""
    path = tmp_path / "data dir ø é"
    yield path
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            if "start-dev" in (proc.info["cmdline"] or []) and proc.info["cwd"] == str(path / "temporal"):
                proc.kill()
        except psutil.Error:
            pass


def _wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _state(data_dir: Path) -> dict[str, Any]:
    return dict(json.loads((data_dir / "temporal" / "server.json").read_text()))


async def _client(info: TemporalServerInfo) -> Client:
    return await Client.connect(info.address, namespace=info.namespace)


async def _start_held(client: Client) -> str:
    workflow_id = f"held-{uuid.uuid4().hex[:8]}"
    await client.start_workflow(HeldWorkflow.run, id=workflow_id, task_queue=TASK_QUEUE)
    return workflow_id


async def _release_and_finish(client: Client, workflow_id: str) -> None:
    """The workflow is still Running on the server; a worker then carries it to its end."""
    handle = client.get_workflow_handle(workflow_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    async with Worker(
        client, task_queue=TASK_QUEUE, workflows=[HeldWorkflow], workflow_runner=UnsandboxedWorkflowRunner()
    ):
        await handle.signal(HeldWorkflow.release)
        assert await asyncio.wait_for(handle.result(), 30) == "released"


def _holder(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _holder_info(holder: subprocess.Popen[str]) -> dict[str, Any]:
    assert holder.stdout is not None
    line = holder.stdout.readline()
    assert line, f"holder exited with {holder.wait()}"
    return dict(json.loads(line))


def _http_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as page:
        return int(page.status)


def _server_pid(data_dir: Path) -> int:
    return int(_state(data_dir)["server"]["pid"])


async def test_start_serves_namespace_search_attributes_and_ui_then_stop_ends_it(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir, temporal_address=None)
    async with temporal_connection(settings) as (client, ui_address):
        pid = _server_pid(data_dir)
        assert client.namespace == "cbct"
        assert ui_address is not None and ui_address.startswith("http://127.0.0.1:")
        assert await asyncio.to_thread(_http_status, ui_address) == 200  # the Web UI answers
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="cbct"))
        assert {name: listed.custom_attributes[name] for name in SEARCH_ATTRIBUTES} == dict(SEARCH_ATTRIBUTES)
        assert listed.custom_attributes["NextDeadline"] == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
        listening = [c for c in psutil.Process(pid).net_connections("tcp") if c.status == psutil.CONN_LISTEN]
        assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening), "loopback only"
        assert (data_dir / "temporal" / "dev.db").exists()
    _wait_until(lambda: not _alive(pid))  # the last handle stops the server
    assert _state(data_dir)["server"] is None and _state(data_dir)["handles"] == []


async def test_another_namespace_joins_the_same_server_with_its_search_attributes(data_dir: Path) -> None:
    async with EmbeddedTemporal(data_dir) as first, EmbeddedTemporal(data_dir, namespace="cbct-rehearsal") as second:
        assert (second.pid, second.address) == (first.pid, first.address)
        client = await Client.connect(second.address, namespace="cbct-rehearsal")
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="cbct-rehearsal")
        )
        assert set(SEARCH_ATTRIBUTES) <= set(listed.custom_attributes)
        await client.count_workflows()


async def test_external_address_is_used_as_given(data_dir: Path) -> None:
    """With CBCT_TEMPORAL_ADDRESS nothing is started: the client goes there, the UI is the configured one."""
    async with EmbeddedTemporal(data_dir) as info:
        settings = Settings(
            data_dir=data_dir / "unused", temporal_address=info.address, temporal_ui_url="http://ui.example:8080"
        )
        async with temporal_connection(settings) as (client, ui_address):
            assert ui_address == "http://ui.example:8080"
            await client.count_workflows()
        assert not (data_dir / "unused" / "temporal").exists()  # (only the payload key file is made there)


async def test_workflow_survives_restart_on_the_same_file(data_dir: Path) -> None:
    server = EmbeddedTemporal(data_dir)
    info = await server.start()
    workflow_id = await _start_held(await _client(info))
    await asyncio.to_thread(server.stop)
    assert not _alive(info.pid), "stop() waits for the graceful stop"

    again = await server.start()
    try:
        assert again.pid != info.pid
        assert again.address == info.address, "the last ports are reused when free"
        await _release_and_finish(await _client(again), workflow_id)
    finally:
        await asyncio.to_thread(server.stop)


async def test_start_right_after_a_stop_without_wait_waits_for_the_old_server(data_dir: Path) -> None:
    """A CLI command releases without waiting; the next one must not open the file beside a stopping server."""
    server = EmbeddedTemporal(data_dir)
    info = await server.start()
    workflow_id = await _start_held(await _client(info))
    server.stop(wait=False)
    assert _alive(info.pid), "still stopping gracefully"

    again = await server.start()
    try:
        assert not _alive(info.pid) and again.pid != info.pid
        await _release_and_finish(await _client(again), workflow_id)
    finally:
        await asyncio.to_thread(server.stop)


async def test_server_killed_with_9_restarts_on_its_data(data_dir: Path) -> None:
    """The server dies under a live process; the next start finds the dead record and starts afresh."""
    first = EmbeddedTemporal(data_dir)
    info = await first.start()
    workflow_id = await _start_held(await _client(info))
    os.kill(info.pid, signal.SIGKILL)
    _wait_until(lambda: not _alive(info.pid))

    second = EmbeddedTemporal(data_dir)
    again = await second.start()
    try:
        assert again.pid != info.pid
        await _release_and_finish(await _client(again), workflow_id)
    finally:
        await asyncio.to_thread(second.stop)
        await asyncio.to_thread(first.stop)
    _wait_until(lambda: not _alive(again.pid))


async def test_killed_predecessor_leaves_its_server_which_is_adopted_and_stopped(data_dir: Path) -> None:
    holder = _holder(data_dir)
    held = _holder_info(holder)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert _alive(int(held["pid"])), "the server outlives the killed process"

    server = EmbeddedTemporal(data_dir)
    info = await server.start()
    assert info.pid == held["pid"] and info.address == held["address"]
    assert _state(data_dir)["handles"] == [{"pid": os.getpid(), "created": psutil.Process().create_time()}]
    await asyncio.to_thread(server.stop)
    _wait_until(lambda: not _alive(info.pid))


async def test_stale_record_torn_state_and_unrecorded_server_are_recovered(data_dir: Path) -> None:
    """Both killed, then the state file lost: the stray server on our file is replaced, not joined twice."""
    holder = _holder(data_dir)
    held = _holder_info(holder)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    stray = int(held["pid"])
    (data_dir / "temporal" / "server.json").write_text('{"server": {"pid": 1, "crea')  # torn write

    server = EmbeddedTemporal(data_dir)
    info = await server.start()
    try:
        assert not _alive(stray), "a server nobody recorded must not keep the SQLite file open"
        assert info.pid != stray
        await (await _client(info)).count_workflows()
    finally:
        await asyncio.to_thread(server.stop)

    _wait_until(lambda: not _alive(info.pid))
    (data_dir / "temporal" / "server.json").write_text(
        json.dumps({"server": {"pid": info.pid, "created": 1.0}, "handles": [{"pid": 999_999, "created": 1.0}]})
    )
    again = await server.start()  # a dead server and a dead handle on record
    try:
        assert again.pid != info.pid
        assert _state(data_dir)["handles"] == [{"pid": os.getpid(), "created": psutil.Process().create_time()}]
    finally:
        await asyncio.to_thread(server.stop)


def test_three_processes_starting_at_once_share_one_server(data_dir: Path) -> None:
    holders = [_holder(data_dir) for _ in range(3)]
    try:
        infos = [_holder_info(h) for h in holders]
        assert len({(i["pid"], i["address"], i["ui_address"]) for i in infos}) == 1, infos
        pid = int(infos[0]["pid"])
        assert len(_state(data_dir)["handles"]) == 3
        for leaving in holders[:2]:
            leaving.communicate("\n", timeout=30)
        assert _alive(pid), "one holder is left"
        holders[2].communicate("\n", timeout=30)
        _wait_until(lambda: not _alive(pid))
    finally:
        for holder in holders:
            if holder.poll() is None:
                holder.kill()


_PANIC_ON_A_TAKEN_PORT = """
import sys
print("panic: listen tcp 127.0.0.1:7239: bind: address already in use", flush=True)
for frame in range(40):
    print(f"go.temporal.io/server/frame{frame}(...)\\n\\t/home/runner/work/cli/server.go:{frame} +0x1f")
sys.exit(2)
"""


async def test_a_start_whose_port_was_taken_panics_and_is_retried_on_other_ports(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Go panic's message lies above a trace longer than the log's tail: it is still seen, the start
    is retried on fresh ports, and when every try fails the error says why."""
    real_command = EmbeddedTemporal._command
    ports: list[int] = []

    def panics_first(self: EmbeddedTemporal, port: int, ui_port: int | None) -> list[str]:
        ports.append(port)
        if len(ports) == 1:
            return [sys.executable, "-c", _PANIC_ON_A_TAKEN_PORT]
        return real_command(self, port, ui_port)

    monkeypatch.setattr(EmbeddedTemporal, "_command", panics_first)
    server = EmbeddedTemporal(data_dir)
    info = await server.start()
    try:
        assert len(ports) == 2 and info.address == f"127.0.0.1:{ports[1]}"
        await (await _client(info)).count_workflows()
    finally:
        await asyncio.to_thread(server.stop)

    monkeypatch.setattr(EmbeddedTemporal, "_command", lambda *_: [sys.executable, "-c", _PANIC_ON_A_TAKEN_PORT])
    with pytest.raises(EmbeddedTemporalError) as raised:
        await EmbeddedTemporal(data_dir / "always").start()
    assert "panic: listen tcp 127.0.0.1:7239: bind: address already in use" in str(raised.value)
