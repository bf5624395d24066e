"""Forward-only SQL migrations with a checksum table and an advisory lock.

Files are `infrastructure/migrations/NNNN_name.sql`, applied in order, each in its own transaction.
A file that changed after it was applied is an error: the database no longer matches the code.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path

import asyncpg

_LOCK_KEY = 0x43424354_0001  # 'CBCT' + 1: one migrator at a time, across processes
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationState(StrEnum):
    APPLIED = "applied"
    PENDING = "pending"
    CHECKSUM_MISMATCH = "checksum mismatch"
    UNKNOWN = "unknown"  # applied in the database, but no such file: newer code ran here


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationStatus:
    version: int
    name: str
    state: MigrationState
    applied_at: str | None = None


class MigrationError(RuntimeError):
    """The database's migration history does not match the code."""


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Read the migration files in version order; refuses duplicate versions and misnamed files."""
    base = directory or Path(str(resources.files("infrastructure") / "migrations"))
    found: dict[int, Migration] = {}
    for path in sorted(base.iterdir()):
        if path.suffix != ".sql":
            continue
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"migration file {path.name!r}: name must look like 0001_some_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"migration version {version} appears twice")
        found[version] = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migration_status(conn: asyncpg.Connection, migrations: list[Migration]) -> list[MigrationStatus]:
    # IF NOT EXISTS is not atomic: a concurrent `db status` or `migrate` may have created it a moment ago.
    with contextlib.suppress(asyncpg.UniqueViolationError, asyncpg.DuplicateTableError):
        await conn.execute(_CREATE_TABLE)
    rows = {r["version"]: r for r in await conn.fetch("SELECT * FROM schema_migrations ORDER BY version")}
    result: list[MigrationStatus] = []
    for m in migrations:
        row = rows.pop(m.version, None)
        if row is None:
            result.append(MigrationStatus(m.version, m.name, MigrationState.PENDING))
        else:
            state = MigrationState.APPLIED if row["checksum"] == m.checksum else MigrationState.CHECKSUM_MISMATCH
            result.append(MigrationStatus(m.version, m.name, state, row["applied_at"].isoformat()))
    for version, row in sorted(rows.items()):
        result.append(MigrationStatus(version, row["name"], MigrationState.UNKNOWN, row["applied_at"].isoformat()))
    return result


def _refuse_mismatch(statuses: list[MigrationStatus]) -> None:
    bad = [s for s in statuses if s.state is MigrationState.CHECKSUM_MISMATCH]
    if bad:
        names = ", ".join(f"{s.version:04d}_{s.name}" for s in bad)
        raise MigrationError(f"applied migrations changed since they ran (checksum mismatch): {names}")


async def migrate_database(url: str) -> list[Migration]:
    """Create the database at `url` if it is missing and apply every pending migration to it."""
    from infrastructure.database import ensure_database

    await ensure_database(url)
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration; return the ones applied. Safe to run from many processes at once."""
    migrations = load_migrations() if migrations is None else migrations
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        statuses = await migration_status(conn, migrations)
        _refuse_mismatch(statuses)
        pending = {s.version for s in statuses if s.state is MigrationState.PENDING}
        applied: list[Migration] = []
        for m in migrations:
            if m.version not in pending:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    m.checksum,
                )
            applied.append(m)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
