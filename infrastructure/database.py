"""Where the database is: the configured URL, or the embedded server; plus pools that are set up right."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from infrastructure import session_state
from infrastructure.embedded_postgres import EmbeddedPostgres
from infrastructure.settings import Settings

_CREATE_LOCK = 0x43424354_0002  # 'CBCT' + 2: one CREATE DATABASE at a time
POOL_CLOSE_SECONDS = 2.0
"""How long closing a pool waits for its connections to be released before it terminates them."""


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database (keeps host, socket and query)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _identifier(name: str) -> str:
    """A quoted SQL identifier (a database name may hold any character but NUL)."""
    return '"' + name.replace('"', '""') + '"'


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


async def ensure_database(url: str) -> bool:
    """Create the database named in `url` when it does not exist yet; return whether it was created."""
    name = database_name(url)
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        # One creator at a time: concurrent CREATE DATABASE of one name fails with a unique violation
        # on pg_database (not DuplicateDatabaseError) in the loser.
        await admin.execute("SELECT pg_advisory_lock($1)", _CREATE_LOCK)
        try:
            if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return False  # another process created it a moment ago
            try:
                await admin.execute(f"CREATE DATABASE {_identifier(name)}")
            except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
                return False
            return True
        finally:
            await admin.execute("SELECT pg_advisory_unlock($1)", _CREATE_LOCK)
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    name = database_name(url)
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {_identifier(name)} WITH (FORCE)")
    finally:
        await admin.close()


@dataclass
class Database:
    """The resolved database URL, and the embedded server behind it when there is one."""

    url: str
    embedded: EmbeddedPostgres | None = field(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        if settings.database_url:
            return cls(url=settings.database_url)
        embedded = EmbeddedPostgres(settings.data_dir)
        embedded.start()
        return cls(url=embedded.url(settings.database_name), embedded=embedded)

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


def session_settings(settings: Settings) -> dict[str, str]:
    """Every pooled session's settings, sent as startup parameters: a full reset on release (`RESET
    ALL`, `session_state.reset`) returns to these, where a `SET` at connect would last only until then.

    Generic plans: our statements are short OLTP statements on indexed keys, and re-planning the append
    statement on every call cost ~0.2 ms, most of the gap to a raw INSERT (bench/event_store)."""
    return {
        "idle_in_transaction_session_timeout": str(int(settings.idle_in_transaction_timeout_ms)),
        "plan_cache_mode": "force_generic_plan",
    }


@asynccontextmanager
async def open_pool(url: str, settings: Settings | None = None) -> AsyncIterator[asyncpg.Pool]:
    """An asyncpg pool whose sessions never sit idle inside a transaction for long."""
    settings = settings or Settings()
    pool = await asyncpg.create_pool(
        url,
        min_size=settings.pool_min_size,
        max_size=max(settings.pool_min_size, settings.pool_max_size),
        server_settings=session_settings(settings),
        reset=session_state.reset,  # only the sessions that keep state past a transaction
    )
    try:
        yield pool
    finally:
        try:  # `close` waits for every connection to be released, for ever if one never is
            await asyncio.wait_for(pool.close(), POOL_CLOSE_SECONDS)
        except TimeoutError:
            pool.terminate()
