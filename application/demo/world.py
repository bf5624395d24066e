"""The narrow port through which the demo's replay drives a world: the only things it needs of the
running system, so the replay never reaches into workflow or engine internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain import Command


@dataclass(frozen=True)
class Answer:
    """How a command ended: accepted, or refused by ``rule`` with the domain's Dutch ``message``."""

    accepted: bool
    rule: str | None = None
    message: str | None = None


class ReplayWorld(Protocol):
    """A world whose clock the replay moves and into which it sends the planned commands."""

    async def clock(self) -> datetime | None:
        """Where the world's clock stands (None: never set, a fresh world)."""
        ...

    async def start_clock(self, at: datetime) -> None:
        """Set a fresh world's clock."""
        ...

    async def recorded_answers(self, command_ids: Sequence[str]) -> dict[str, Answer]:
        """The answers of those commands that were handled before (by an earlier or interrupted run)."""
        ...

    async def trajectories_due(self, until: datetime) -> list[str]:
        """The trajectories with a deadline due at or before ``until`` that has not fired."""
        ...

    async def fire_due(self, trajectory_id: str, until: datetime) -> list[str]:
        """Fire one trajectory's deadlines due up to ``until``, each at its moment; the ids of those that
        changed it (now or before: a deadline fired twice is listed twice)."""
        ...

    async def submit(self, command: Command, at: datetime) -> Answer:
        """Handle ``command`` at the moment ``at`` (once, whoever sends its id again)."""
        ...

    async def advance(self, until: datetime) -> list[str]:
        """Move the clock to ``until``: read models caught up, anything still due fired; the ids that fired."""
        ...

    async def settle(self) -> None:
        """Bring the read models up to every event stored."""
        ...

    async def event_count(self) -> int:
        """Events in the store."""
        ...
