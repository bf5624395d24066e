"""Migrations: forward-only, recorded with checksums, one migrator at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from infrastructure.migrations import (
    Migration,
    MigrationError,
    MigrationState,
    load_migrations,
    migrate,
    migration_status,
)


async def test_migrate_applies_every_file_once_and_then_nothing(empty_database_url: str) -> None:
    """A new database gets every migration; a second run applies nothing."""
    conn = await asyncpg.connect(empty_database_url)
    try:
        first = await migrate(conn)
        assert [m.version for m in first] == [m.version for m in load_migrations()]
        assert await migrate(conn) == []
        statuses = await migration_status(conn, load_migrations())
        assert {s.state for s in statuses} == {MigrationState.APPLIED}
        assert await conn.fetchval("SELECT to_regclass('events') IS NOT NULL")
    finally:
        await conn.close()


async def test_concurrent_migrators_apply_each_migration_once(empty_database_url: str) -> None:
    """Four processes migrating at once: the advisory lock lets each migration run exactly once."""
    conns = [await asyncpg.connect(empty_database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        applied = [m.version for result in results for m in result]
        assert sorted(applied) == [m.version for m in load_migrations()]
        count = await conns[0].fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(load_migrations())
    finally:
        for c in conns:
            await c.close()


async def test_changed_migration_is_a_checksum_mismatch_and_blocks_migrate(empty_database_url: str) -> None:
    """Editing an applied migration is detected; migrate refuses to continue."""
    conn = await asyncpg.connect(empty_database_url)
    try:
        original = [Migration(1, "first", "CREATE TABLE a (id int)")]
        await migrate(conn, original)
        edited = [Migration(1, "first", "CREATE TABLE a (id bigint)"), Migration(2, "second", "CREATE TABLE b ()")]
        statuses = await migration_status(conn, edited)
        assert [s.state for s in statuses] == [MigrationState.CHECKSUM_MISMATCH, MigrationState.PENDING]
        with pytest.raises(MigrationError, match="0001_first"):
            await migrate(conn, edited)
        assert await conn.fetchval("SELECT to_regclass('b')") is None
    finally:
        await conn.close()


async def test_migration_unknown_to_this_code_is_reported(empty_database_url: str) -> None:
    """A migration applied by newer code shows as unknown rather than vanishing."""
    conn = await asyncpg.connect(empty_database_url)
    try:
        await migrate(conn, [Migration(1, "first", "SELECT 1"), Migration(2, "newer", "SELECT 2")])
        statuses = await migration_status(conn, [Migration(1, "first", "SELECT 1")])
        assert [(s.version, s.state) for s in statuses] == [(1, MigrationState.APPLIED), (2, MigrationState.UNKNOWN)]
    finally:
        await conn.close()


async def test_failing_migration_leaves_nothing_half_applied(empty_database_url: str) -> None:
    """A migration that fails rolls back whole and is not recorded."""
    conn = await asyncpg.connect(empty_database_url)
    try:
        broken = [Migration(1, "broken", "CREATE TABLE c (id int); SELECT * FROM no_such_table")]
        with pytest.raises(asyncpg.UndefinedTableError):
            await migrate(conn, broken)
        assert await conn.fetchval("SELECT to_regclass('c')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 0
    finally:
        await conn.close()


def test_misnamed_migration_file_is_refused(tmp_path: Path) -> None:
    """Files must be named NNNN_name.sql; anything else is an error, not silently skipped."""
    (tmp_path / "1_first.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match=r"0001_some_name\.sql"):
        load_migrations(tmp_path)
