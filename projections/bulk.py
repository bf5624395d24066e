"""Set-based writes for projections: a batch's rows for one table go in one statement, as JSON.

`json_populate_recordset(NULL::table, rows)` turns a JSON array of objects into rows of the table's own
type (arrays become Postgres arrays, objects stay jsonb), so a 500-row upsert is one round trip and one
executor run instead of 500.

A read model's columns are declared once, as the keys of its row ``TypedDict`` (``DeadlineRow`` …): the
projection builds rows of that type (mypy then names a column it forgets) and ``insert`` writes exactly those
columns, so a column the migration adds with a default needs no change here. Migrations stay explicit SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg
import pydantic_core


def to_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows as one JSON array (dates and instants in ISO form, tuples as arrays); pydantic-core is ~5x json."""
    return pydantic_core.to_json(list(rows)).decode()


async def without_waiting_for_disk(conn: asyncpg.Connection) -> None:
    """Commit this transaction without waiting for its WAL flush.

    Safe for a projection: its read model and checkpoint commit together, so a crash that loses the
    commit loses both, and the batch is simply applied again.
    """
    await conn.execute("SET LOCAL synchronous_commit TO off")


def upsert_clause(key: Sequence[str], columns: Iterable[str], overrides: Mapping[str, str] | None = None) -> str:
    """ON CONFLICT (key) DO UPDATE SET every other column to the new value (or to its override expression)."""
    overrides = overrides or {}
    sets = [f"{c} = {overrides.get(c, f'EXCLUDED.{c}')}" for c in columns if c not in key]
    return f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(sets)}"


def columns(row: type[Any]) -> tuple[str, ...]:
    """The columns a row ``TypedDict`` declares, in declaration order."""
    return tuple(row.__annotations__)


async def insert(
    conn: asyncpg.Connection,
    table: str,
    row: type[Any],
    rows: Sequence[Mapping[str, Any]],
    *,
    on_conflict: str = "",
) -> None:
    """Insert `rows` (of the ``TypedDict`` `row`, which declares the columns written) in one statement."""
    if not rows:
        return
    names = columns(row)
    if set(rows[0]) != set(names):
        missing, extra = sorted(set(names) - set(rows[0])), sorted(set(rows[0]) - set(names))
        raise ValueError(
            f"{table}: a row must have the columns {row.__name__} declares; missing {missing}, extra {extra}"
        )
    listed = ", ".join(names)
    await conn.execute(
        f"INSERT INTO {table} ({listed}) SELECT {listed} FROM json_populate_recordset(NULL::{table}, $1::json) "
        + on_conflict,
        to_json(rows),
    )
