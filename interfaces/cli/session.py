"""One CLI invocation = one process: bootstrap, do the work, close everything again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from infrastructure.controlled_clock import ClockNotSet
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_USAGE, fail, warn_halts

if TYPE_CHECKING:
    from bootstrap import App

T = TypeVar("T")


def run(work: Callable[[App], Awaitable[T]], *, workflows: bool = False, temporal: bool = False) -> T:
    """Run `work(app)` against the configured database (embedded by default); with `temporal`, connected
    to Temporal (configured, else the embedded dev server) with a worker of its own while it runs."""
    from bootstrap import bootstrap  # the whole app is wired only for commands that need it

    async def main() -> T:
        async with bootstrap(Settings(), launch_workflows=workflows, temporal=temporal) as app:
            result = await work(app)
            warn_halts(app.projections.halts.values())
            return result

    try:
        return asyncio.run(main())
    except ClockNotSet:
        fail(
            "De gecontroleerde klok is nog niet gezet (CBCT_CLOCK=controlled): "
            "zet hem met `cbct clock tick --to JJJJ-MM-DD`."
        )
        raise typer.Exit(EXIT_USAGE) from None
