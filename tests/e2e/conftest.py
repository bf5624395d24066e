"""End-to-end: the real app (store, read models, DBOS workflows, dispatcher) with a controlled clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest_asyncio

from bootstrap import App, bootstrap
from domain import Command
from domain.calendar import AMSTERDAM
from infrastructure.settings import Settings

_ids = itertools.count(1)


def at(day: str, hour: int = 10) -> datetime:
    """A UTC instant at `hour` o'clock Amsterdam time on `day`."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=AMSTERDAM).astimezone(UTC)


class Planner:
    """Drives one trajectory the way people would: move the clock, then send a command."""

    def __init__(self, app: App, trajectory_id: str) -> None:
        self.app = app
        self.trajectory_id = trajectory_id
        self.today = ""

    async def tick(self, day: str, hour: int = 10) -> Any:
        from workflows.dispatcher import tick

        self.today = max(self.today, day)
        return await tick(self.app, at(day, hour))

    async def send(self, cls: type[Command], day: str, *, expect: bool = True, **fields: Any) -> dict[str, Any]:
        """Tick to `day`, submit the command through its workflow, and check it was (not) accepted."""
        from workflows.commands import submit

        await self.tick(day)
        command = cls(command_id=f"e2e-{next(_ids)}", trajectory_id=self.trajectory_id, actor="e2e", **fields)
        outcome = await submit(self.app, command)
        assert outcome["accepted"] is expect, outcome
        return outcome


@pytest_asyncio.fixture(loop_scope="session")
async def app(database_url: str, tmp_path: Path) -> AsyncIterator[App]:
    """The whole application on a fresh database, DBOS launched, clock controlled."""
    settings = Settings(
        database_url=database_url, clock="controlled", outbox_dir=tmp_path / "outbox", log_level="warning"
    )
    async with bootstrap(settings, launch_workflows=True, url=database_url) as the_app:
        await the_app.controlled_clock.move_to(at("2025-11-01", 9))
        yield the_app
