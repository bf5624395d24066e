"""Faults (issue 22): the engine or the database away → 503 with Retry-After, never a stack trace; once
it is back, the same request with the same Idempotency-Key is applied once.

"Away" is real: the App's connections go through a TCP relay this test stops (every connection cut,
new ones refused) and starts again on the same port, in front of the real Temporal test server or the
real Postgres.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.sender import FileSender
from application.trajectories import TrajectoryService
from bootstrap import App, TemporalAccess
from domain.commands import OpenTrajectory
from infrastructure.database import open_pool
from infrastructure.metrics import REGISTRY
from infrastructure.postgres_event_store import PostgresEventStore
from interfaces.http.app import create_app
from interfaces.http.deps import current_principal
from tests.http.commands_support import OPEN_BODY, fixed_principal, make_runtime, temporal  # noqa: F401
from tests.payload_keys import converter_for_tests
from tests.workflows.rig import Rig
from tests.workflows.support import SIGNER, TEST_KEYS, wait_until
from workflows.client import TrajectoryClient
from workflows.worker_factory import trajectory_worker

pytestmark = pytest.mark.asyncio(loop_scope="session")

WAIT = 3.0
"""The App's `command_wait_seconds` here: a request with no answer by then is 503."""


@dataclass
class Relay:
    """A TCP relay on 127.0.0.1 to a TCP or Unix-socket target, that can be stopped and started again."""

    target: tuple[str, int] | str  # (host, port), or a Unix socket path
    port: int = 0
    server: asyncio.Server | None = None
    writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Refuse new connections and cut every open one (as a server that died)."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 5)
        self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if isinstance(self.target, str):
                up_reader, up_writer = await asyncio.open_unix_connection(self.target)
            else:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            for each in (writer, up_writer):
                self.writers.discard(each)
                each.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


def postgres_target(url: str) -> tuple[tuple[str, int] | str, str]:
    """Where the database of `url` listens (TCP, or the embedded server's socket) and its name."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    port = int(query.get("port", [parts.port or 5432])[0])
    database = unquote(parts.path.lstrip("/"))
    if parts.hostname:
        return (parts.hostname, port), database
    return f"{query['host'][0]}/.s.PGSQL.{port}", database


@dataclass
class Faulty:
    """An App whose engine and/or database connections go through relays, with its own worker."""

    http: httpx.AsyncClient
    runtime: App
    rig: Rig
    temporal_relay: Relay
    http_db: Relay
    worker_db: Relay

    async def open(self, trajectory_id: str, key: str) -> httpx.Response:
        return await self.http.post(
            f"/api/trajectories/{trajectory_id}/trajectory/open",
            json=OPEN_BODY,
            headers={"X-Test-Principal": "planner", "Idempotency-Key": key},
        )

    async def mine(self, trajectory_id: str, key: str) -> list[str]:
        rows = await self.rig.pool.fetch(
            "SELECT event_type FROM events WHERE stream_id = $1 AND command_id = $2 ORDER BY stream_version",
            f"trajectory-{trajectory_id}",
            key,
        )
        return [r["event_type"] for r in rows]


@pytest_asyncio.fixture(loop_scope="session")
async def faulty(temporal: WorkflowEnvironment, database_url: str, tmp_path: Path) -> AsyncIterator[Faulty]:  # noqa: F811
    """The App as `cbct serve` has it, but reaching Temporal and Postgres through relays; its worker
    (on a task queue of its own) reaches Postgres through a relay of its own. Its workflows are ended
    while that worker still runs (a query to a workflow nobody serves would wait for its timeout)."""
    host, _, port = temporal.client.service_client.config.target_host.rpartition(":")
    temporal_relay = Relay((host, int(port)))
    target, database = postgres_target(database_url)
    http_db, worker_db = Relay(target), Relay(target)
    for relay in (temporal_relay, http_db, worker_db):
        await relay.start()
    client = await Client.connect(
        f"127.0.0.1:{temporal_relay.port}", namespace=temporal.client.namespace, data_converter=converter_for_tests()
    )
    pools = [
        await asyncpg.create_pool(f"postgresql://postgres@127.0.0.1:{relay.port}/{database}", min_size=1, max_size=4)
        for relay in (http_db, worker_db)
    ]
    http_pool, worker_pool = pools
    worker_store = PostgresEventStore(worker_pool)
    task_queue = f"faults-{uuid.uuid4().hex[:8]}"
    worker = trajectory_worker(
        temporal.client,
        store=worker_store,
        service=TrajectoryService(worker_store),
        sender=FileSender(tmp_path / "outbox"),
        signing_keys=TEST_KEYS,
        allow_simulated=True,
        task_queue=task_queue,
    )
    store = PostgresEventStore(http_pool)
    async with open_pool(database_url) as direct:
        direct_store = PostgresEventStore(direct)
        rig = Rig(temporal, direct, direct_store, TrajectoryService(direct_store), tmp_path / "outbox", task_queue)
        base = await make_runtime(rig, tmp_path, command_wait_seconds=WAIT)
        offset = (await rig.client()).world_offset
        runtime = App(
            settings=base.settings,
            database=base.database,
            pool=http_pool,
            store=store,
            service=TrajectoryService(store),
            clock=base.clock,
            projections=base.projections,
            temporal_access=TemporalAccess(
                client, TrajectoryClient(client, signer=SIGNER, task_queue=task_queue, world_offset=offset), None
            ),
        )
        app = create_app(runtime)
        app.dependency_overrides[current_principal] = fixed_principal
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with worker, httpx.AsyncClient(transport=transport, base_url="http://cbct.test", timeout=60) as http:
                try:
                    yield Faulty(http, runtime, rig, temporal_relay, http_db, worker_db)
                finally:
                    for relay in (temporal_relay, http_db, worker_db):
                        if relay.server is None:
                            await relay.start()
                    await rig.terminate_all()
        finally:
            for pool in pools:
                pool.terminate()
            for relay in (temporal_relay, http_db, worker_db):
                await relay.stop()


def _unavailable_answers() -> float:
    return REGISTRY.get_sample_value("cbct_commands_total", {"command": "OpenTrajectory", "answer": "unavailable"}) or 0


def _is_503_with_retry_after(response: httpx.Response, dependency: str) -> bool:
    problem = response.json()
    return (
        response.status_code == 503
        and problem.get("dependency") == dependency
        and response.headers.get("Retry-After", "").isdigit()
        and response.headers["content-type"].startswith("application/problem+json")
        and problem["status"] == 503
        and "Traceback" not in response.text
    )


async def _until_answered(faulty: Faulty, trajectory_id: str, key: str) -> httpx.Response:
    """Send the same request (same key) until it is answered other than 503, as a client would."""
    answered: list[httpx.Response] = []

    async def attempt() -> bool:
        response = await faulty.open(trajectory_id, key)
        answered.append(response)
        return response.status_code != 503

    await wait_until(attempt, f"{trajectory_id} to be answered", 90)
    return answered[-1]


async def _applied_once(faulty: Faulty, trajectory_id: str, key: str, answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text
    mine = await faulty.mine(trajectory_id, key)
    assert mine == [e["type"] for e in answer.json()["events"]] and mine[0] == "TrajectoryOpened"
    again = await faulty.open(trajectory_id, key)
    assert (again.status_code, again.json()) == (200, answer.json())
    assert await faulty.mine(trajectory_id, key) == mine


async def test_the_engine_away_is_503_with_retry_after_and_the_retry_is_applied_once(faulty: Faulty) -> None:
    tid, key = "T-engine-away", "engine-away-1"
    faulty.rig.touched.add(tid)
    await faulty.rig.until("2025-11-03")
    counted = _unavailable_answers()
    await faulty.temporal_relay.stop()
    loop = asyncio.get_running_loop()
    started = loop.time()
    away = await faulty.open(tid, key)
    assert _is_503_with_retry_after(away, "temporal"), away.text
    assert loop.time() - started < WAIT + 5
    assert _unavailable_answers() == counted + 1
    assert await faulty.mine(tid, key) == []
    await faulty.temporal_relay.start()
    await _applied_once(faulty, tid, key, await _until_answered(faulty, tid, key))


async def test_the_database_away_is_503_with_retry_after_and_the_retry_is_applied_once(faulty: Faulty) -> None:
    """Postgres away for everyone: the request is answered 503 at once (not 404: an outage is not an
    unknown trajectory), and once it is back the same request is applied once."""
    tid, key = "T-db-away", "db-away-1"
    faulty.rig.touched.add(tid)
    await faulty.rig.until("2025-11-03")
    opened = await faulty.open(tid, "db-away-0")
    assert opened.status_code == 200, opened.text
    await faulty.http_db.stop()
    await faulty.worker_db.stop()
    loop = asyncio.get_running_loop()
    started = loop.time()
    away = await faulty.open("T-db-away-2", key)
    announce = await faulty.http.post(
        f"/api/trajectories/{tid}/trajectory/announce", headers={"X-Test-Principal": "planner"}
    )
    assert _is_503_with_retry_after(away, "database"), away.text
    assert _is_503_with_retry_after(announce, "database"), announce.text
    assert loop.time() - started < 2 * WAIT
    await faulty.http_db.start()
    await faulty.worker_db.start()
    faulty.rig.touched.add("T-db-away-2")
    await _applied_once(faulty, "T-db-away-2", key, await _until_answered(faulty, "T-db-away-2", key))


async def test_the_database_away_under_the_engine_is_503_and_the_decision_in_flight_lands_once(
    faulty: Faulty,
) -> None:
    """The command reaches its workflow but cannot be decided (the worker's database is away): no
    answer within the wait is 503. The engine keeps retrying that decision; once the database is back,
    the client's retry with the same key finds it applied — once — and gets its answer."""
    tid, key = "T-db-worker", "db-worker-1"
    faulty.rig.touched.add(tid)
    await faulty.rig.until("2025-11-03")
    await faulty.worker_db.stop()
    away = await faulty.open(tid, key)
    assert _is_503_with_retry_after(away, "temporal"), away.text  # no answer in time
    assert await faulty.mine(tid, key) == []
    await faulty.worker_db.start()
    landed = await wait_until(lambda: faulty.mine(tid, key), "the decision in flight to land", 60)
    assert landed[0] == "TrajectoryOpened"
    answer = await _until_answered(faulty, tid, key)
    assert answer.headers.get("Idempotent-Replayed") == "true", answer.headers
    await _applied_once(faulty, tid, key, answer)


async def test_a_submission_abandoned_for_an_engine_that_is_away_ends_when_cancelled(
    temporal: WorkflowEnvironment,  # noqa: F811
) -> None:
    """The HTTP layer answers 503 and cancels the submission it gave up on; the SDK reports that
    cancellation as an RPC timeout, which `TrajectoryClient.submit` must not retry (for minutes)."""
    host, _, port = temporal.client.service_client.config.target_host.rpartition(":")
    relay = Relay((host, int(port)))
    await relay.start()
    client = await Client.connect(
        f"127.0.0.1:{relay.port}", namespace=temporal.client.namespace, data_converter=converter_for_tests()
    )
    await relay.stop()
    command = OpenTrajectory.model_validate(
        {**OPEN_BODY, "command_id": "abandoned-1", "trajectory_id": "T-abandoned", "actor": "planner:piet"}
    )
    submission = asyncio.ensure_future(
        TrajectoryClient(client, signer=SIGNER, task_queue=f"nobody-{uuid.uuid4().hex[:8]}").submit(command)
    )
    done, _ = await asyncio.wait({submission}, timeout=1.0)  # the HTTP layer's wait, shortened
    assert not done
    submission.cancel()
    done, _ = await asyncio.wait({submission}, timeout=5)
    assert done and submission.cancelled()
