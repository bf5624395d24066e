"""A World per test (fresh migrated database, store, service, projection runner), as in tests/projections."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from infrastructure.database import open_pool
from tests.projections.world import World, make_world


@pytest_asyncio.fixture(loop_scope="session")
async def world(database_url: str) -> AsyncIterator[World]:
    async with open_pool(database_url) as pool:
        yield make_world(pool)
