"""One page of a list read from the read models, and a consistent snapshot to read it in.

Pages are keyset pages: a list is ordered by a unique key, and the next page starts after the last
key shown (`after`), so rows written meanwhile never shift a page or show up twice. `total` counts
every row that matches the filter and the reader's scope, whatever the page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """`items` of at most the asked limit; `after` is the key to continue after, None on the last page."""

    items: list[T]
    total: int
    after: tuple[Any, ...] | None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit: must be 1..{MAX_LIMIT}, not {limit}")
    return limit


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a read-only repeatable-read transaction: several queries see one state."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn
