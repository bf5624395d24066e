"""The Temporal server killed in the middle of a CLI command (issue 19, case 2), on a real dev server,
real `cbct` and worker processes.

The kill lands between the command's append and its update's completion: a trigger in the test's own
database holds the append on an advisory lock the test holds; the server is killed with -9 while the
append waits, then the lock is released, so the event is stored but the update's result never reaches
the workflow's history (the restarted server has forgotten the update). Then:
- the CLI gives up within `CBCT_COMMAND_WAIT_SECONDS` with one Dutch line naming the command id and the
  exact command that retries it; that retry stores the event once and sends one e-mail;
- the workflow, which never saw the event, learns of it with no command sent: `reconcile` at the
  worker's start finds its stream version behind the store's and refreshes it.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from application.trajectories import TrajectoryService
from infrastructure.database import drop_database, open_pool
from infrastructure.loopback_port import free_port
from infrastructure.postgres_event_store import PostgresEventStore
from interfaces.workflow_ops import list_workflows
from tests.conftest import fresh_database
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.workflows.conftest import settings_url
from tests.workflows.dev_server import DevServer, dev_server
from tests.workflows.support import Env, Proc, eml_files, signing_setting, wait_until
from tests.workflows.test_worker_processes import held_appends, waiting_on_lock
from workflows.client import TrajectoryClient

pytestmark = pytest.mark.asyncio(loop_scope="session")

COMMAND_WAIT = 6.0
"""`CBCT_COMMAND_WAIT_SECONDS` of the CLI processes here: the bound on a failing command's wait."""
EXIT_MARGIN = 15.0
"""What the CLI may take beyond its wait: bootstrapping and closing its own worker on a dead server."""
OPEN = (
    "--organisation", "Bibliotheek Hengelo", "--certificate-number", "1002", "--association", "VOB",
    "--framework-version", "kib-ii-2023", "--previous-certificate-expiry", "2027-12-31",
    "--contact-email", "an@bibliotheekhengelo.example",
)  # fmt: skip


class Temporal:
    """A dev server that can be killed with -9 and started again on the same port and file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self._stack = AsyncExitStack()
        self.server: DevServer | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> DevServer:
        self.server = await self._stack.enter_async_context(dev_server(self.directory, self.port))
        return self.server

    async def kill9(self) -> None:
        assert self.server is not None
        self.server.process.kill()
        await asyncio.to_thread(self.server.process.wait)

    async def close(self) -> None:
        await self._stack.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def one_database(server_urls: dict[str, str]) -> AsyncIterator[str]:
    url = await fresh_database(next(iter(server_urls.values())))
    yield url
    await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def world(one_database: str, tmp_path: Path) -> AsyncIterator[tuple[Temporal, Env]]:
    import os

    temporal = Temporal(tmp_path / "temporal")
    await temporal.start()
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    base.update(
        CBCT_DATABASE_URL=settings_url(one_database),
        CBCT_TEMPORAL_ADDRESS=temporal.address,
        CBCT_DATA_DIR=str(tmp_path / "data"),
        CBCT_OUTBOX_DIR=str(tmp_path / "outbox"),
        CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
        CBCT_SIGNING_KEYS=signing_setting(),
        CBCT_SHUTDOWN_GRACE_SECONDS="1",
        CBCT_COMMAND_WAIT_SECONDS=str(COMMAND_WAIT),
        COLUMNS="200",
    )
    env = Env(one_database, tmp_path, base)
    try:
        yield temporal, env
    finally:
        env.kill_all()
        for proc in env.procs:
            if proc.process.returncode is None:
                await proc.process.wait()
        await temporal.close()


async def cbct(env: Env, name: str, *args: str) -> Proc:
    return await env.start(name, "-m", "interfaces.cli.app", *args, CBCT_LOG_FORMAT="json")


def printed(proc: Proc) -> list[str]:
    """Every non-empty line the process printed, stdout and stderr."""
    out = proc.out.read_text(encoding="utf-8", errors="replace") if proc.out.exists() else ""
    return [line for line in (out + proc.stderr()).splitlines() if line.strip()]


async def command_cut_off(temporal: Temporal, env: Env, name: str, *args: str) -> tuple[Proc, float]:
    """Run `cbct *args`, kill the server while its append waits, let the append commit; return the CLI
    process once it exited, and how long it ran after the kill."""
    lock = await held_appends(env.database_url, "trajectory-%")
    try:
        proc = await cbct(env, name, *args)
        await wait_until(lambda: waiting_on_lock(env.database_url), "the command's append to wait for the lock", 90)
        await temporal.kill9()
        killed = time.monotonic()
    finally:
        await lock.close()
    await proc.exit_code(COMMAND_WAIT + EXIT_MARGIN + 30)
    return proc, time.monotonic() - killed


async def stored(url: str, tid: str, event_type: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT command_id FROM events WHERE stream_id = $1 AND event_type = $2", f"trajectory-{tid}", event_type
        )
    finally:
        await conn.close()
    return [r["command_id"] for r in rows]


async def test_a_command_cut_off_by_a_temporal_crash_prints_one_line_whose_retry_stores_it_once(
    world: tuple[Temporal, Env],
) -> None:
    """The server dies mid `cbct intake send`: the CLI ends within its wait with one line naming the
    command id and the retry command; after the restart that command stores IntakeSent once and one
    e-mail goes out."""
    temporal, env = world
    for step in (("trajectory", "open", "t-r", *OPEN), ("trajectory", "announce", "t-r")):
        done = await cbct(env, step[1], *step)
        assert await done.exit_code(90) == 0, printed(done)
    mails_before = len(eml_files(env.outbox))
    proc, took = await command_cut_off(temporal, env, "send", "intake", "send", "t-r")
    lines = printed(proc)
    print(f"cli after the kill: exit {proc.process.returncode} in {took:.1f}s, {len(lines)} line(s)")
    assert proc.process.returncode == 1
    assert took < COMMAND_WAIT + EXIT_MARGIN
    assert len(lines) == 1, lines
    [line] = lines
    assert "Traceback" not in line and "--command-id" in line
    retry = shlex.split(line[line.index("cbct ") :])
    command_id = retry[retry.index("--command-id") + 1]
    assert retry[:4] == ["cbct", "intake", "send", "t-r"]
    assert await stored(env.database_url, "t-r", "IntakeSent") == [command_id]  # it was stored before the kill

    await temporal.start()
    again = await cbct(env, "retry", *retry[1:])
    assert await again.exit_code(90) == 0, printed(again)
    assert await stored(env.database_url, "t-r", "IntakeSent") == [command_id]
    await wait_until(lambda: len(eml_files(env.outbox)) > mails_before, "the intake e-mail to go out")
    assert len(eml_files(env.outbox)) == mails_before + 1


async def _next_deadlines(temporal: Temporal, env: Env, tid: str) -> tuple[object, object, object]:
    """The next deadline as the store has it, as the workflow has it (query), and as Temporal's
    visibility lists it (`cbct workflows list`)."""
    assert temporal.server is not None
    client = await temporal.server.client()
    status = await TrajectoryClient(client).status(tid)
    workflow = None if status.next_deadline is None else status.next_deadline.due_at
    [row] = [r for r in await list_workflows(client) if r.trajectory_id == tid]
    return await _store_deadline(env, tid), workflow, row.next_deadline


async def _store_deadline(env: Env, tid: str) -> object:
    async with open_pool(env.database_url) as pool:
        pending = (await TrajectoryService(PostgresEventStore(pool)).outlook(tid))[1]
    return next((d.due_at for d in pending if not d.fired), None)


async def _announced_in_a_crash(temporal: Temporal, env: Env, tid: str) -> object:
    """Open `tid`, then announce it with the server killed mid-command; return the next deadline the
    store had before the announcement (the workflow still waits for that one)."""
    opened = await cbct(env, "open", "trajectory", "open", tid, *OPEN)
    assert await opened.exit_code(90) == 0, printed(opened)
    before = await _store_deadline(env, tid)
    proc, _ = await command_cut_off(temporal, env, "announce", "trajectory", "announce", tid)
    assert proc.process.returncode == 1, printed(proc)
    assert len(await stored(env.database_url, tid, "AnnouncementSent")) == 1
    return before


async def _healed(temporal: Temporal, env: Env, tid: str) -> object:
    """Wait until the workflow's next deadline (query and visibility) equals the store's; return it."""

    async def equal() -> tuple[object, ...] | None:
        try:
            store, workflow, listed = await _next_deadlines(temporal, env, tid)
        except Exception:  # the server or the worker is not back yet
            return None
        return (store,) if store == workflow == listed else None

    [store] = await wait_until(equal, "the workflow's next deadline to equal the store's", 90)
    return store


async def test_a_workflow_that_missed_an_event_in_a_crash_is_brought_up_to_the_store_without_a_command(
    world: tuple[Temporal, Env],
) -> None:
    """The server dies while `cbct trajectory announce` is appended: the workflow never sees the
    announcement. After the restart, the worker's reconcile at start refreshes it: its next deadline
    (query and visibility) equals the store's, and no command was sent."""
    temporal, env = world
    before = await _announced_in_a_crash(temporal, env, "t-s")
    await temporal.start()
    worker = await env.worker("worker")
    assert await _healed(temporal, env, "t-s") not in (None, before)
    assert worker.process.returncode is None
    assert len(await stored(env.database_url, "t-s", "AnnouncementSent")) == 1


async def test_a_running_worker_brings_such_a_workflow_up_to_the_store_on_its_next_reconcile(
    world: tuple[Temporal, Env],
) -> None:
    """The worker runs through the crash (reconcile every 2 s): after the restart its periodic
    reconcile refreshes the workflow, with no command sent and no worker restarted."""
    temporal, env = world
    worker = await env.worker("worker", CBCT_RECONCILE_INTERVAL_SECONDS="2")
    await wait_until(lambda: any(e.get("event") == "worker_started" for e in worker.log_events()), "worker to start")
    before = await _announced_in_a_crash(temporal, env, "t-p")
    await temporal.start()
    assert await _healed(temporal, env, "t-p") not in (None, before)
    assert worker.process.returncode is None
    reconciled = [e for e in worker.log_events() if e.get("event") == "workflows_reconciled"]
    assert any(e.get("refreshed") == 1 for e in reconciled), reconciled
