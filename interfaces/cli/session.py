"""One CLI invocation = one process: bootstrap, do the work, close everything again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from infrastructure.settings import Settings
from interfaces.cli.output import warn_halts

if TYPE_CHECKING:
    from bootstrap import App

T = TypeVar("T")


def run(work: Callable[[App], Awaitable[T]], *, temporal: bool = False) -> T:
    """Run `work(app)` against the configured database (embedded by default); with `temporal`, connected
    to Temporal (configured, else the embedded dev server) with a worker of its own while it runs."""
    from bootstrap import bootstrap  # the whole app is wired only for commands that need it

    async def main() -> T:
        async with bootstrap(Settings(), temporal=temporal) as app:
            result = await work(app)
            warn_halts(app.projections.halts.values())
            return result

    return asyncio.run(main())
