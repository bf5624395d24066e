"""Wiring: settings → database → pool → store → services → (optionally) DBOS.

The CLI and the worker are each their own composition root; both assemble the process through
`bootstrap()` so they run the same objects the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from application.clock import Clock, SystemClock
from application.trajectories import TrajectoryService
from infrastructure.controlled_clock import DatabaseClock
from infrastructure.database import Database, open_pool
from infrastructure.migrations import migrate_database
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings
from projections.registry import all_projections
from projections.runner import ProjectionRunner


@dataclass
class App:
    """Everything a process works with, built once."""

    settings: Settings
    database: Database
    pool: asyncpg.Pool
    store: PostgresEventStore
    service: TrajectoryService
    clock: Clock
    controlled_clock: DatabaseClock
    projections: ProjectionRunner


@asynccontextmanager
async def bootstrap(
    settings: Settings | None = None, *, launch_workflows: bool = False, url: str | None = None
) -> AsyncIterator[App]:
    """Open the database (embedded or configured), migrate it, and build the app; DBOS when asked."""
    settings = settings or Settings()
    database = Database(url=url) if url else Database.from_settings(settings)
    try:
        await migrate_database(database.url)
        async with open_pool(database.url, settings) as pool:
            store = PostgresEventStore(pool, max_event_bytes=settings.max_event_bytes)
            controlled = DatabaseClock(pool)
            app = App(
                settings=settings,
                database=database,
                pool=pool,
                store=store,
                service=TrajectoryService(store),
                clock=controlled if settings.clock == "controlled" else SystemClock(),
                controlled_clock=controlled,
                projections=ProjectionRunner(pool, store, all_projections()),
            )
            if launch_workflows:
                from workflows.engine import launch, shutdown

                launch(app)
                try:
                    yield app
                finally:
                    shutdown()
            else:
                yield app
            await store.wakeup.close()
    finally:
        database.close()
