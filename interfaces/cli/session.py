"""One CLI invocation = one process: bootstrap, do the work, close everything again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from infrastructure.settings import Settings

if TYPE_CHECKING:
    from bootstrap import App

T = TypeVar("T")


def run(work: Callable[[App], Awaitable[T]], *, workflows: bool = False) -> T:
    """Run `work(app)` against the configured database (embedded by default)."""
    from bootstrap import bootstrap  # the whole app is wired only for commands that need it

    async def main() -> T:
        async with bootstrap(Settings(), launch_workflows=workflows) as app:
            return await work(app)

    return asyncio.run(main())
