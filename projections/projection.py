"""What a projection is: a named read model fed from the global order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

import asyncpg

from application.event_store import RecordedEvent


class Projection(Protocol):
    """A read model: `apply` runs inside the runner's transaction, together with the checkpoint update.

    `categories` / `event_types` narrow what the runner reads (None: everything). `tables` are the
    read model's tables, emptied by `reset` before a rebuild.
    """

    name: ClassVar[str]
    categories: ClassVar[Sequence[str] | None]
    event_types: ClassVar[Sequence[str] | None]
    tables: ClassVar[Sequence[str]]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None: ...


async def reset_tables(conn: asyncpg.Connection, tables: Sequence[str]) -> None:
    if tables:
        await conn.execute("TRUNCATE " + ", ".join(tables))
