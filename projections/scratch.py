"""A dry run of the read models: apply events to empty scratch copies of their tables, then discard.

Used before a correction commits (application/corrections.py): a corrected stream that a read model
cannot apply — a date its arithmetic cannot hold, a framework without rules — must be refused, not
found later as a halted projection. Inside the caller's transaction, a savepoint creates a temporary
table for every read-model table; a temporary table of the same name comes first in Postgres' search
path, so the projections' own code writes there. The savepoint is always rolled back.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from application.event_store import RecordedEvent
from domain.correction import CorrectionRefused
from projections.projection import Projection
from projections.registry import all_projections


class _Discard(Exception):
    """Rolls the savepoint back once every read model has applied the events."""


def _reads(projection: Projection, event: RecordedEvent) -> bool:
    categories, types = projection.categories, projection.event_types
    return (categories is None or event.category in categories) and (types is None or event.event_type in types)


async def dry_run(
    conn: asyncpg.Connection, events: Sequence[RecordedEvent], projections: Sequence[Projection] | None = None
) -> None:
    """Apply `events` to scratch copies of every read model; CorrectionRefused names the one that fails."""
    chosen = list(projections) if projections is not None else all_projections()  # fresh: no caches shared
    try:
        async with conn.transaction():
            for table in dict.fromkeys(t for p in chosen for t in p.tables):
                await conn.execute(f"CREATE TEMPORARY TABLE {table} (LIKE {table} INCLUDING ALL) ON COMMIT DROP")
            for projection in chosen:
                batch = [e for e in events if _reads(projection, e)]
                if not batch:
                    continue
                try:
                    await projection.apply(conn, batch)
                except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError):
                    raise
                except Exception as error:
                    raise CorrectionRefused(
                        f"read model '{projection.name}' kan de gecorrigeerde geschiedenis niet verwerken "
                        f"({type(error).__name__}: {' '.join(str(error).split())[:300]})",
                        rule="correction.read_model",
                        projection=projection.name,
                    ) from None
            raise _Discard
    except _Discard:
        pass
