"""The narrow port through which the demo and scenario rehearsals drive a simulated world: a clock to
move, commands to send, workflows to revive, the store to read — and nothing of the workflow or
engine internals. `interfaces/skipped_time.py` implements it on Temporal's time-skipping server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain import Command, Event


@dataclass(frozen=True)
class Answer:
    """How a command ended: accepted with the types of the events it appended, or refused by ``rule``
    with the domain's Dutch ``message``."""

    accepted: bool
    rule: str | None = None
    message: str | None = None
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredEvent:
    """One event of a trajectory's stream as the replay compares it with the simulation."""

    event_type: str
    occurred_at: datetime
    command_id: str | None


class SimulatedWorld(Protocol):
    """A world whose clock its driver moves and into which it sends commands.

    Between ``begin`` and ``end`` the world's deadlines fire by themselves as its clock passes them.
    """

    async def begin(self, at: datetime) -> None:
        """Start the world's clock at ``at`` (a fresh clock each time)."""
        ...

    async def end(self) -> None:
        """Stop the world's clock: nothing fires any more until the next ``begin``."""
        ...

    async def now(self) -> datetime:
        """Where the world's clock stands."""
        ...

    async def advance_to(self, moment: datetime) -> None:
        """Let time pass up to ``moment``: every deadline due on the way falls due, in order."""
        ...

    async def wait_for_deadlines(self, trajectory_ids: Sequence[str]) -> None:
        """Wait until these trajectories have handled every deadline due by now (bounded)."""
        ...

    async def submit(self, command: Command, at: datetime) -> Answer:
        """Handle ``command`` as decided at the moment ``at`` (once, whoever sends its id again)."""
        ...

    async def revive(self, trajectory_ids: Sequence[str]) -> None:
        """Make sure these existing trajectories' workflows run (after a restart), so their timers fire."""
        ...

    async def drain(self, trajectory_ids: Sequence[str]) -> None:
        """Wait until every e-mail these trajectories' events caused is delivered (bounded)."""
        ...

    async def undelivered(self, trajectory_ids: Sequence[str]) -> int:
        """How many e-mails these trajectories' events caused that are not delivered yet."""
        ...

    async def version(self, trajectory_id: str) -> int:
        """How many events the trajectory's stream holds."""
        ...

    async def stored(self, trajectory_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        """These trajectories' events in stream order (absent: never opened)."""
        ...

    async def history(self, trajectory_id: str) -> list[tuple[Event, str | None]]:
        """The trajectory's domain events in stream order, each with the command id that caused it."""
        ...

    async def settle(self) -> None:
        """Bring the read models up to every event stored."""
        ...

    async def event_count(self) -> int:
        """Events in the store."""
        ...
