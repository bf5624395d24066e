"""A real Temporal dev server (`temporal server start-dev` from the wheel) for the tests that need one:
a worker process killed mid-activity, reconcile after Temporal's data is wiped, the CLI.

Each use gets free loopback ports and its own SQLite file; the process is stopped (by its pid) afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.client import Client

from infrastructure import temporal_binaries
from infrastructure.loopback_port import free_port
from tests.payload_keys import TEST_PAYLOAD_KEYS, converter_for_tests
from workflows.contracts import NEXT_DEADLINE_ATTRIBUTE, ORGANISATION_ATTRIBUTE, PHASE_ATTRIBUTE

if TYPE_CHECKING:
    from tests.workflows.support import Env

NAMESPACE = "cbct"


@dataclass
class DevServer:
    address: str
    db_file: Path
    process: subprocess.Popen[bytes]

    async def client(self) -> Client:
        return await Client.connect(self.address, namespace=NAMESPACE, data_converter=converter_for_tests())


@contextlib.asynccontextmanager
async def dev_server(directory: Path, port: int | None = None) -> AsyncIterator[DevServer]:
    """Start a dev server on `directory/dev.db` (on `port`, else a free one: a restart passes the port it
    had); yield once it answers; stop it afterwards."""
    directory.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    port = port or free_port()
    db_file = directory / "dev.db"
    argv = [
        str(temporal_binaries.temporal_cli_path()), "server", "start-dev", "--headless",
        "--ip", "127.0.0.1", "--port", str(port), "--namespace", NAMESPACE, "--log-level", "error",
        "--db-filename", str(db_file),
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        "--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
        "--dynamic-config-value", "history.timerProcessorMaxPollRPS=1000",
        "--dynamic-config-value", "history.visibilityProcessorMaxPollRPS=1000",
        "--search-attribute", f"{PHASE_ATTRIBUTE}=Keyword",
        "--search-attribute", f"{ORGANISATION_ATTRIBUTE}=Keyword",
        "--search-attribute", f"{NEXT_DEADLINE_ATTRIBUTE}=Datetime",
    ]  # fmt: skip
    log = (directory / "server.log").open("ab")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220
    server = DevServer(f"127.0.0.1:{port}", db_file, process)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            try:
                client = await server.client()
                await client.count_workflows()
                break
            except Exception:
                if process.poll() is not None or loop.time() > deadline:
                    raise RuntimeError(f"dev server did not start: {(directory / 'server.log').read_text()}") from None
                await asyncio.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.asynccontextmanager
async def worker_cluster(database_url: str, root: Path) -> AsyncIterator[tuple[DevServer, Env]]:
    """A dev server of the test's own, and what its worker processes share: the environment (database,
    Temporal address, outbox under `root`); every process still running at the end is killed."""
    import os

    from tests.workflows.conftest import settings_url
    from tests.workflows.support import Env, signing_setting

    async with dev_server(root / "temporal") as server:
        base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
        base.update(
            CBCT_DATABASE_URL=settings_url(database_url),
            CBCT_TEMPORAL_ADDRESS=server.address,
            CBCT_TEMPORAL_NAMESPACE="cbct",
            CBCT_DATA_DIR=str(root / "data"),
            CBCT_OUTBOX_DIR=str(root / "outbox"),
            CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
            CBCT_LOG_FORMAT="json",
            CBCT_SHUTDOWN_GRACE_SECONDS="1",
            CBCT_SIGNING_KEYS=signing_setting(),
        )
        env = Env(database_url, root, base)
        try:
            yield server, env
        finally:
            env.kill_all()
            for proc in env.procs:
                if proc.process.returncode is None:
                    await proc.process.wait()
