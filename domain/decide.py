"""``decide(state, command, now, rules) -> events``: the one entry point for every command.

It dispatches to the handler the command's concept declares (``domain.registry.HANDLERS``), then lets ``closing`` append
TrajectoryClosed when the events finish the trajectory. A refusal raises a ``DomainError`` before
anything is returned, so there are never partial events.
"""

from __future__ import annotations

from datetime import datetime

from domain import commands as c
from domain.certificate_holder import CertificateFacts
from domain.closing import with_closing
from domain.deadlines import on_deadline
from domain.errors import InvalidCommand, TrajectoryNotFound
from domain.events import Event
from domain.guards import Context, require_rules_for
from domain.opening import open_trajectory
from domain.registry import HANDLERS
from domain.rules import Rules
from domain.state import TrajectoryState


def decide(
    state: TrajectoryState | None,
    command: c.Command,
    now: datetime,
    rules: Rules,
    *,
    facts: CertificateFacts | None = None,
) -> list[Event]:
    """The events ``command`` causes at ``now`` under ``rules``, or a DomainError explaining why not.

    ``facts`` — what the store knows about the certificate number across trajectories — is read by
    the application before an OpenTrajectory and passed in, so the domain itself does no I/O.
    """
    ctx = Context.at(now, rules)
    if isinstance(command, c.OpenTrajectory):
        return open_trajectory(state, command, ctx, facts)
    if state is None:
        raise TrajectoryNotFound(f"traject {command.trajectory_id} is niet geopend")
    if command.trajectory_id != state.trajectory_id:
        raise InvalidCommand(
            f"commando voor traject {command.trajectory_id} bij traject {state.trajectory_id}",
            rule="state.wrong_trajectory",
        )
    require_rules_for(state, rules)
    if isinstance(command, c.FireDeadline):
        return on_deadline(state, command.deadline_id, ctx.now, rules)
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise InvalidCommand(f"onbekend commando {type(command).__name__}", rule="command.unknown")
    return with_closing(state, handler(state, command, ctx), ctx)
