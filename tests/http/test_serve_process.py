"""`cbct serve` as a person runs it: a real process with the embedded Temporal server (and its Web UI) on
a fresh database, on a free port. It prints where to go, answers `/healthz` at once and `/readyz` once
ready, hands the Web UI its codec endpoint, and stops cleanly on SIGTERM; a port in use is one line."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psutil
import pytest
import pytest_asyncio

from infrastructure.database import drop_database
from infrastructure.loopback_port import free_port
from tests.conftest import fresh_database
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.workflows.conftest import settings_url
from tests.workflows.support import Env, Proc, signing_setting, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")

STARTED_WITHIN = 120.0
"""The embedded Temporal server and its Web UI start in a few seconds; a loaded CI machine may take longer."""
STOPPED_WITHIN = 30.0


@pytest_asyncio.fixture(loop_scope="session")
async def env(server_urls: dict[str, str], tmp_path: Path) -> AsyncIterator[Env]:
    """A fresh database, a data directory of the test's own (the embedded Temporal lives there), keys."""
    url = await fresh_database(next(iter(server_urls.values())))
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    base.update(
        CBCT_DATABASE_URL=settings_url(url),
        CBCT_DATA_DIR=str(tmp_path / "data"),
        CBCT_OUTBOX_DIR=str(tmp_path / "outbox"),
        CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
        CBCT_SIGNING_KEYS=signing_setting(),
        CBCT_LOG_FORMAT="json",
        CBCT_SHUTDOWN_GRACE_SECONDS="2",
    )
    the_env = Env(url, tmp_path, base)
    try:
        yield the_env
    finally:
        for proc in the_env.procs:  # SIGTERM first: it releases the embedded Temporal server it started
            if proc.process.returncode is None:
                proc.terminate()
                with contextlib.suppress(AssertionError):
                    await proc.exit_code(STOPPED_WITHIN)
        the_env.kill_all()
        for proc in the_env.procs:
            if proc.process.returncode is None:
                await proc.process.wait()
        await drop_database(url)


def printed(proc: Proc) -> str:
    return proc.out.read_text(encoding="utf-8") if proc.out.exists() else ""


def logged(proc: Proc) -> list[str]:
    return [str(e.get("event")) for e in proc.log_events()]


async def serve(env: Env, port: int) -> Proc:
    return await env.start("serve", "-m", "interfaces.cli.app", "serve", "--port", str(port))


async def test_serve_runs_the_whole_system_and_stops_on_sigterm(env: Env) -> None:
    port = free_port()
    proc = await serve(env, port)
    await wait_until(
        lambda: "CBCT draait." in printed(proc) or proc.process.returncode is not None,
        "serve to print its addresses",
        STARTED_WITHIN,
    )
    out = printed(proc)
    assert "CBCT draait." in out, f"{out}\n{proc.stderr()[-3000:]}"
    base = f"http://127.0.0.1:{port}"
    assert f"Startpagina:        {base}/" in out
    assert f"API-documentatie:   {base}/api/docs" in out
    ui = re.search(r"Temporal Web UI:\s+(http://127\.0\.0\.1:\d+)", out)
    assert ui is not None, out

    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200 and health.headers["x-request-id"]
        assert health.headers["x-frame-options"] == "DENY"

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await wait_until(ready, "/readyz to say ready", 60)
        home = await client.get("/")
        assert home.status_code == 200 and "/api/docs" in home.text
        docs = await client.get("/api/openapi.json")
        assert docs.status_code == 200 and docs.json()["info"]["title"] == "CBCT trajecten"

    # The embedded Web UI was started with the codec endpoint of this server.
    state = json.loads((env.root / "data" / "temporal" / "server.json").read_text())
    cmdline = psutil.Process(state["server"]["pid"]).cmdline()
    assert cmdline[cmdline.index("--ui-codec-endpoint") + 1] == f"{base}/codec"

    stopped_at = time.monotonic()
    proc.terminate()
    assert await proc.exit_code(STOPPED_WITHIN) == 0, proc.stderr()[-3000:]
    print(f"serve stopped {time.monotonic() - stopped_at:.1f} s after SIGTERM")
    events = logged(proc)
    assert events.index("http_stopped") < events.index("worker_stopping") < events.index("worker_stopped")
    assert "http_request" in events  # requests are logged through structlog
    assert printed(proc).rstrip().endswith("CBCT is gestopt.")
    assert "Traceback" not in proc.stderr()
    with socket.socket() as again:  # the port is free again
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


async def test_a_port_in_use_is_one_dutch_line_and_nothing_starts(env: Env) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = await serve(env, port)
        code = await proc.exit_code(STOPPED_WITHIN)
    assert code == 1
    lines = [line for line in proc.stderr().splitlines() if line.strip()]
    assert lines == [
        f"Poort {port} op 127.0.0.1 is al in gebruik. Stop wat daar draait, of kies een andere met --port."
    ]
    assert not (env.root / "data" / "temporal").exists(), "nothing may start before the port is ours"
