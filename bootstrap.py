"""Wiring: settings → database → pool → store → services → (optionally) Temporal.

The CLI and the worker are each their own composition root; both assemble the process through
`bootstrap()` so they run the same objects the same way. With `temporal=True` the app carries a
Temporal client (`CBCT_TEMPORAL_ADDRESS`, else the embedded dev server) and, for the CLI, a worker of
its own while it runs, so a command is answered even when no `python -m worker` is running (the
workflow's later timers then wait, durably, for a worker).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg

from activities.sender import FileSender, MessageSender
from application.clock import Clock, SystemClock
from application.trajectories import TrajectoryService
from infrastructure.database import Database, open_pool
from infrastructure.migrations import migrate_database
from infrastructure.postgres_event_store import PostgresEventStore
from infrastructure.settings import Settings
from projections.registry import all_projections
from projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from temporalio.client import Client

    from workflows.client import TrajectoryClient


@dataclass
class TemporalAccess:
    """This process's way to the trajectories' workflows."""

    client: Client
    trajectories: TrajectoryClient
    ui_address: str | None


@dataclass
class App:
    """Everything a process works with, built once."""

    settings: Settings
    database: Database
    pool: asyncpg.Pool
    store: PostgresEventStore
    service: TrajectoryService
    clock: Clock
    projections: ProjectionRunner
    temporal_access: TemporalAccess | None = field(default=None)

    @property
    def temporal(self) -> TemporalAccess:
        if self.temporal_access is None:
            raise RuntimeError("Temporal is not connected in this process: bootstrap(temporal=True)")
        return self.temporal_access


@asynccontextmanager
async def bootstrap(
    settings: Settings | None = None,
    *,
    temporal: bool = False,
    url: str | None = None,
) -> AsyncIterator[App]:
    """Open the database (embedded or configured), migrate it, and build the app; Temporal (with a
    worker of this process's own) when asked."""
    settings = settings or Settings()
    database = Database(url=url) if url else Database.from_settings(settings)
    try:
        await migrate_database(database.url)
        async with open_pool(database.url, settings) as pool:
            store = PostgresEventStore(pool, max_event_bytes=settings.max_event_bytes)
            app = App(
                settings=settings,
                database=database,
                pool=pool,
                store=store,
                service=TrajectoryService(store),
                clock=SystemClock(),
                projections=ProjectionRunner(pool, store, all_projections()),
            )
            if temporal:
                async with _temporal(app):
                    yield app
            else:
                yield app
            await store.wakeup.close()
    finally:
        database.close()


def sender_for(settings: Settings) -> MessageSender:
    """The SMTP sender when `smtp_host` is configured; the file sender (development) otherwise."""
    from activities.sender import MailContact

    if settings.smtp_host:
        from infrastructure.smtp_sender import SmtpSender

        return SmtpSender.from_settings(settings)
    contact = MailContact(settings.contact_name, settings.contact_email, settings.contact_phone)
    return FileSender(settings.outbox_dir, settings.mail_from, contact)


@asynccontextmanager
async def _temporal(app: App) -> AsyncIterator[None]:
    from application.command_signature import CommandSigner
    from infrastructure.keyring import signing_keys
    from infrastructure.temporal_client import temporal_connection
    from workflows.client import TrajectoryClient
    from workflows.worker_factory import trajectory_worker

    signing = signing_keys(app.settings)  # signs this process's commands; verifies its worker's
    async with temporal_connection(app.settings) as (client, ui_address):
        trajectories = TrajectoryClient(client, signer=CommandSigner(signing))
        app.temporal_access = TemporalAccess(client, trajectories, ui_address)
        worker = trajectory_worker(
            client,
            store=app.store,
            service=app.service,
            sender=sender_for(app.settings),
            signing_keys=signing,
            graceful_shutdown_timeout=timedelta(seconds=5),
        )
        try:
            async with worker:
                yield
        finally:
            app.temporal_access = None
