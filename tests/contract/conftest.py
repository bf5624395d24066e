"""One store fixture, many stores: the contract holds for the in-memory store and each Postgres server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from application.event_store import Upcasters
from infrastructure.database import drop_database, open_pool
from infrastructure.memory_event_store import InMemoryEventStore
from infrastructure.postgres_event_store import PostgresEventStore
from tests.conftest import SERVERS, fresh_database

KINDS = ["memory"] + [f"postgres-{name}" for name in SERVERS]

MAX_EVENT_BYTES = 4096


@pytest.fixture
def upcasters() -> Upcasters:
    return Upcasters()


@pytest_asyncio.fixture(loop_scope="session", params=KINDS)
async def store(
    request: pytest.FixtureRequest, server_urls: dict[str, str], upcasters: Upcasters
) -> AsyncIterator[InMemoryEventStore | PostgresEventStore]:
    """An empty store of each kind, with a small payload limit so the size rule is cheap to test."""
    kind: str = request.param
    if kind == "memory":
        yield InMemoryEventStore(upcasters=upcasters, max_event_bytes=MAX_EVENT_BYTES)
        return
    url = await fresh_database(server_urls[kind.removeprefix("postgres-")])
    try:
        async with open_pool(url) as pool:
            pg = PostgresEventStore(pool, upcasters=upcasters, max_event_bytes=MAX_EVENT_BYTES)
            yield pg
            await pg.wakeup.close()
    finally:
        await drop_database(url)
