"""Issue 19, case 1: a worker whose Temporal server dies goes on working, and says when it cannot.

Real `python -m worker` processes. On the embedded server the test kills the dev server with -9 five
times: each time the worker starts it again on the same gRPC and Web UI ports, and then the workflow of a
trajectory with an overdue deadline is started: the worker fires that deadline (nothing else polls). On a
configured server (`CBCT_TEMPORAL_ADDRESS`) killed and started again later, `python -m worker --check`
fails while it is gone and passes once it is back, and the worker logs one line each way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
import pytest_asyncio
from temporalio.client import Client

from application.trajectories import TrajectoryService
from domain import OpenTrajectory
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from tests.payload_keys import TEST_PAYLOAD_KEYS, converter_for_tests
from tests.workflows.conftest import settings_url
from tests.workflows.dev_server import DevServer, worker_cluster
from tests.workflows.support import SIGNER, Env, Proc, signing_setting, wait_until
from workflows.client import TrajectoryClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

KILLS = 5


def opening(tid: str, today: date) -> OpenTrajectory:
    """A trajectory whose certificate expires 90 days after `today`: its announcement is due on `today`."""
    return OpenTrajectory(
        command_id=f"{tid}/open",
        trajectory_id=tid,
        actor="test",
        organisation=f"Bibliotheek {tid}",
        certificate_number=f"10-{tid}",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=today + timedelta(days=90),
        contact_email="an@bibliotheek.example",
    )


async def open_overdue(service: TrajectoryService, tid: str) -> None:
    """Store a trajectory opened 30 days ago (its workflow not started): its announcement is overdue, so
    its workflow fires it as soon as it runs. Deadlines are days apart; this is the short timer."""
    opened_at = datetime.now(UTC) - timedelta(days=30)
    outcome = await service.handle(opening(tid, opened_at.date()), opened_at)
    assert outcome.accepted, outcome


def recorded(data_dir: Path) -> dict[str, Any]:
    """The embedded server's `server.json`: pid, ports, handles."""
    return dict(json.loads((data_dir / "temporal" / "server.json").read_text()))


def revived(data_dir: Path, old_pid: int) -> bool:
    """Another server than `old_pid` is recorded and alive."""
    server = recorded(data_dir).get("server")
    return bool(server and server["pid"] != old_pid and psutil.pid_exists(server["pid"]))


def started(worker: Proc) -> bool:
    return any(e.get("event") == "worker_started" for e in worker.log_events())


def events_named(worker: Proc, name: str) -> list[dict[str, Any]]:
    return [e for e in worker.log_events() if e.get("event") == name]


async def fired_deadlines(pool: asyncpg.Pool, tid: str) -> list[str]:
    """Command ids of the deadlines of `tid` that the workflow fired (ids are `<trajectory>:<kind>:...`)."""
    rows = await pool.fetch(
        "SELECT command_id FROM events WHERE stream_id = $1 AND command_id LIKE $2", f"trajectory-{tid}", f"{tid}:%"
    )
    return [r["command_id"] for r in rows]


@pytest_asyncio.fixture(loop_scope="session")
async def embedded_env(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """Worker processes on the embedded Temporal server of `tmp_path/data`; the server is stopped after."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    base.update(
        CBCT_DATABASE_URL=settings_url(database_url),
        CBCT_DATA_DIR=str(tmp_path / "data"),
        CBCT_OUTBOX_DIR=str(tmp_path / "outbox"),
        CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
        CBCT_SIGNING_KEYS=signing_setting(),
        CBCT_LOG_FORMAT="json",
        CBCT_SHUTDOWN_GRACE_SECONDS="1",
    )
    env = Env(database_url, tmp_path, base)
    try:
        yield env
    finally:
        env.kill_all()
        for proc in env.procs:
            if proc.process.returncode is None:
                await proc.process.wait()
        with contextlib.suppress(OSError, KeyError, ValueError, psutil.Error):
            psutil.Process(recorded(tmp_path / "data")["server"]["pid"]).kill()


async def test_a_killed_embedded_server_is_revived_on_its_ports_and_its_deadlines_reach_the_worker(
    embedded_env: Env, database_url: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    worker = await embedded_env.worker("worker")
    await wait_until(lambda: started(worker), "the worker to start")
    first = recorded(data_dir)
    ports = (first["port"], first["ui_port"])
    client = TrajectoryClient(
        await Client.connect(f"127.0.0.1:{first['port']}", namespace="cbct", data_converter=converter_for_tests()),
        signer=SIGNER,
    )

    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        for kill in range(KILLS):
            tid = f"t-heal-{kill}"
            await open_overdue(service, tid)
            old_pid = recorded(data_dir)["server"]["pid"]
            os.kill(old_pid, signal.SIGKILL)
            await wait_until(
                partial(revived, data_dir, old_pid), f"the server to be started again after kill {kill + 1}", 30
            )
            state = recorded(data_dir)
            assert (state["port"], state["ui_port"]) == ports, f"kill {kill + 1} moved the server"

            await asyncio.wait_for(client.start(tid), 30)  # its deadline fires only if the worker polls
            await wait_until(partial(fired_deadlines, pool, tid), f"the deadline of {tid} to fire", 60)

    assert worker.process.returncode is None, worker.stderr()[-3000:]
    back = events_named(worker, "temporal_back")
    assert len(events_named(worker, "temporal_lost")) == KILLS and len(back) == KILLS
    assert all(e["revived"] and not e["moved"] for e in back)
    assert max(e["after_seconds"] for e in back) < 10


async def test_a_server_revived_on_another_port_gets_the_workers_polls_and_its_reconcile(
    embedded_env: Env, database_url: str, tmp_path: Path
) -> None:
    """The recorded port is taken while the server is down: the successor answers elsewhere, and the
    worker moves its client there (without it, no deadline of the new server would reach it). Its
    periodic reconcile follows too: a trajectory stored after the move, whose workflow nobody starts,
    gets one on the new server from the worker alone."""
    data_dir = tmp_path / "data"
    worker = await embedded_env.worker("worker", CBCT_RECONCILE_INTERVAL_SECONDS="1")
    await wait_until(lambda: started(worker), "the worker to start")
    first = recorded(data_dir)
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        worker.process.send_signal(signal.SIGSTOP)  # so that the port is taken before it revives the server
        try:
            os.kill(first["server"]["pid"], signal.SIGKILL)
            squatter = await wait_until(partial(listening_on, first["port"]), "the dead server's port to be free")
        finally:
            worker.process.send_signal(signal.SIGCONT)
        with squatter:
            await wait_until(partial(revived_elsewhere, data_dir, first["port"]), "the server on another port", 30)
            moved = recorded(data_dir)
            await open_overdue(service, "t-moved")
            await open_overdue(service, "t-reconciled")
            client = TrajectoryClient(
                await Client.connect(
                    f"127.0.0.1:{moved['port']}", namespace="cbct", data_converter=converter_for_tests()
                )
            )
            await asyncio.wait_for(client.start("t-moved"), 30)
            await wait_until(partial(fired_deadlines, pool, "t-moved"), "the deadline to fire on the new server", 60)
            await wait_until(
                partial(fired_deadlines, pool, "t-reconciled"), "the worker's reconcile to start it there", 60
            )
    back = events_named(worker, "temporal_back")
    assert len(back) == 1 and back[0]["moved"] and back[0]["address"] == f"127.0.0.1:{moved['port']}"


def listening_on(port: int) -> socket.socket | None:
    """A socket listening on `port` (as another program would), None while the port is still taken."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    sock.listen()
    return sock


def revived_elsewhere(data_dir: Path, old_port: int) -> bool:
    state = recorded(data_dir)
    return bool(state.get("server") and state["port"] != old_port and psutil.pid_exists(state["server"]["pid"]))


async def test_a_hung_embedded_server_fails_the_check_and_is_replaced_on_its_ports(
    embedded_env: Env, tmp_path: Path
) -> None:
    """A server that stops answering (SIGSTOP) but lives: its health check fails, the check says so, and
    within the attach budget it is killed and replaced on the same ports."""
    data_dir = tmp_path / "data"
    worker = await embedded_env.worker("worker")
    await wait_until(lambda: started(worker), "the worker to start")
    first = recorded(data_dir)
    os.kill(first["server"]["pid"], signal.SIGSTOP)
    probes = iter(range(1000))
    line = await wait_until(
        lambda: check(embedded_env, f"check-hung-{next(probes)}", failing=True), "the check to fail on a hung server"
    )
    assert "temporal" in line
    await wait_until(partial(revived, data_dir, first["server"]["pid"]), "the hung server to be replaced", 30)
    await wait_until(lambda: check(embedded_env, f"check-back-{next(probes)}"), "the check to pass again")
    state = recorded(data_dir)
    assert (state["port"], state["ui_port"]) == (first["port"], first["ui_port"])
    assert [e["revived"] for e in events_named(worker, "temporal_back")] == [True]


async def check(env: Env, name: str, *, failing: bool = False) -> str | None:
    """`python -m worker --check` in the worker's environment: its line when it exits 0 (or, `failing`,
    when it exits 1), else None."""
    probe = await env.start(name, "-m", "worker", "--check")
    code = await probe.exit_code()
    assert code in (0, 1), probe.stderr()
    return probe.out.read_text(encoding="utf-8").strip() if code == int(failing) else None


@pytest_asyncio.fixture(loop_scope="session")
async def cluster(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[DevServer, Env]]:
    async with worker_cluster(database_url, tmp_path) as the_cluster:
        yield the_cluster


async def test_a_lost_cluster_fails_the_check_until_it_is_back_with_one_line_each_way(
    cluster: tuple[DevServer, Env],
) -> None:
    server, env = cluster
    worker = await env.worker("worker")
    await wait_until(lambda: started(worker), "the worker to start")
    assert await check(env, "check-up")

    server.process.kill()
    server.process.wait()
    probes = iter(range(1000))
    line = await wait_until(
        lambda: check(env, f"check-down-{next(probes)}", failing=True), "the check to fail while the server is gone"
    )
    assert "temporal" in line and server.address in line

    with (server.db_file.parent / "server-again.log").open("wb") as log:
        again = subprocess.Popen(server.process.args, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220 (same port, file)
    try:
        await wait_until(lambda: check(env, f"check-back-{next(probes)}"), "the check to pass once the server is back")
        client = TrajectoryClient(await server.client(), signer=SIGNER)
        opened = opening("t-back", date.today() + timedelta(days=365))
        assert (await asyncio.wait_for(client.submit(opened), 60)).accepted
        assert worker.process.returncode is None
        assert len(events_named(worker, "temporal_lost")) == 1
        assert len(events_named(worker, "temporal_back")) == 1
    finally:
        again.terminate()
        again.wait(15)
