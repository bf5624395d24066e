"""Real Postgres for the tests: the embedded server always, and the server at CBCT_DATABASE_URL when set.

Every test that asks for `database_url` gets a fresh database, copied from a template migrated once per
session, and dropped afterwards; nothing depends on leftovers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from infrastructure.database import drop_database, open_pool, with_database
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.migrations import migrate_database
from tests.projections.world import World, make_world
from tests.second_user import intruder  # noqa: F401  (the second-account fixture, for every suite)

SERVERS = ["embedded"] + (["external"] if os.environ.get("CBCT_DATABASE_URL") else [])
ONE_SERVER_SUITES = ("e2e", "workflows", "reports", "http", "accounts", "email", "feeds", "metrics", "web")
"""Suites whose subject is the process, not the store: each of their tests runs on one server, chosen per
test (a stable hash of its id), so both servers still carry end-to-end tests and CI runs each once. The
store, projection and integration suites run on every server."""


@pytest.hookimpl(tryfirst=True)  # before the marks are read
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_url" not in metafunc.fixturenames or len(SERVERS) < 2:
        return
    suite = Path(str(metafunc.definition.path)).relative_to(Path(__file__).parent).parts[0]
    if suite in ONE_SERVER_SUITES and not metafunc.definition.get_closest_marker("every_server"):
        chosen = SERVERS[zlib.crc32(metafunc.definition.nodeid.encode()) % len(SERVERS)]
        # as a mark, which the fixture's own params then yield to
        metafunc.definition.add_marker(pytest.mark.parametrize("server_url", [chosen], indirect=True, ids=[chosen]))


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[str]:
    """The embedded Postgres, started once for the whole session in a temporary data directory.

    Not under pytest's tmp_path: pytest prunes old base directories when another session starts, and
    would delete a running server's data directory from under it.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="cbct-test-pg-"))
    server = EmbeddedPostgres(data_dir)
    url = server.start()
    yield url
    server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def server_urls(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """Admin URLs of the servers under test; template databases are dropped before the servers stop."""
    urls: dict[str, str] = {}
    for name in SERVERS:
        if name == "embedded":
            urls[name] = request.getfixturevalue("embedded_server")
        else:
            urls[name] = with_database(os.environ["CBCT_DATABASE_URL"], "postgres")
    yield urls
    for server_url, template in list(_templates.items()):
        await drop_database(with_database(server_url, template))
    _templates.clear()


_templates: dict[str, str] = {}


async def _template(server_url: str) -> str:
    """A database with every migration applied, to copy per test (cheaper than migrating each time)."""
    if server_url not in _templates:
        name = f"cbct_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        url = with_database(server_url, name)
        await migrate_database(url)
        _templates[server_url] = name
    return _templates[server_url]


async def fresh_database(server_url: str, *, migrated: bool = True) -> str:
    name = f"cbct_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        if migrated:
            template = await _template(server_url)
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server_url, name)


@pytest.fixture(params=SERVERS)
def server_url(request: pytest.FixtureRequest, server_urls: dict[str, str]) -> str:
    """The admin URL of each Postgres server under test."""
    return server_urls[request.param]


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database of its own for this test; dropped afterwards."""
    url = await fresh_database(server_url)
    yield url
    await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def empty_database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh database with no migrations applied; dropped afterwards."""
    url = await fresh_database(server_url, migrated=False)
    yield url
    await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def world(database_url: str) -> AsyncIterator[World]:
    """A fresh migrated database with store, service and projection runner (tests/projections/world.py)."""
    async with open_pool(database_url) as pool:
        yield make_world(pool)
