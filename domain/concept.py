"""A concept declares its own parts once: commands, events, and everything every registry needs of them.

Each concept module (``domain/intake.py``, ``domain/postponement.py`` …) ends with ``CONCEPT = Concept(...)``:
per command its ``decide`` handler, the CLI's noun, verb and Dutch help; per event its ``evolve`` step and
Dutch summary; per command field its Dutch help and an example value. ``domain.registry`` builds
``COMMAND_TYPES``, ``EVENT_TYPES``, decide's handlers, evolve's dispatch, the summaries and the CLI's steps
from these declarations, so a new command touches its concept's module and nothing else.

A declaration that misses a part fails at import with a ``ConceptIncomplete`` naming the concept and the part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from domain.commands import Command
from domain.events import Event
from domain.guards import Context
from domain.state import TrajectoryState

DecideHandler = Callable[[TrajectoryState, Any, Context], list[Event]]
"""decide's part: (state, command, context) → events, or a DomainError naming the rule."""

Step = Callable[[TrajectoryState, Any], TrajectoryState]
"""evolve's part: (state, event) → state; pure and rules-free."""

Summary = Callable[[Any], str]
"""One Dutch line for the event, as the timeline and the scenario runner show it."""

ENVELOPE = frozenset({"command_id", "trajectory_id", "actor"})


class ConceptIncomplete(TypeError):
    """A concept's declaration misses a part (raised at import, naming what is missing)."""


@dataclass(frozen=True)
class Cli:
    """How the CLI offers a command: ``cbct <noun> <verb> TRAJECTORY_ID``, with one Dutch line of help."""

    noun: str
    verb: str
    help: str


@dataclass(frozen=True)
class Field:
    """A command field's Dutch help text and an example value (what the CLI, forms and tests offer)."""

    help: str
    example: Any


@dataclass(frozen=True)
class CommandPart:
    """A command with its decide handler and CLI step.

    ``decide=None`` only for the commands ``decide`` dispatches itself (opening needs the certificate's
    facts, a deadline needs the deadline list); ``cli=None`` only for commands no person sends.
    """

    command: type[Command]
    decide: DecideHandler | None
    cli: Cli | None


@dataclass(frozen=True)
class EventPart:
    """An event with its evolve step and its Dutch summary."""

    event: type[Event]
    evolve: Step
    summary: Summary


@dataclass(frozen=True)
class Concept:
    """Everything one concept contributes; checked on construction."""

    name: str
    commands: tuple[CommandPart, ...] = ()
    events: tuple[EventPart, ...] = ()
    fields: Mapping[str, Field] = field(default_factory=dict)
    dispatched_by_decide: frozenset[type[Command]] = frozenset()

    def __post_init__(self) -> None:
        missing: list[str] = []
        for part in self.commands:
            name = part.command.__name__
            if part.decide is None and part.command not in self.dispatched_by_decide:
                missing.append(f"the decide handler of {name}")
            if part.cli is not None:
                missing += [
                    f"help and example for field '{f}' of {name}"
                    for f in part.command.model_fields
                    if f not in ENVELOPE and f not in self.fields
                ]
        for event_part in self.events:
            name = event_part.event.__name__
            if not callable(event_part.evolve):
                missing.append(f"the evolve step of {name}")
            if not callable(event_part.summary):
                missing.append(f"the Dutch summary of {name}")
        if missing:
            raise ConceptIncomplete(f"concept {self.name!r} misses {'; '.join(missing)}")
        for part in self.commands:
            if part.cli is not None:
                self._check_example(part.command)

    def _check_example(self, command: type[Command]) -> None:
        """The declared examples make a valid command: what forms and tests offer must be accepted."""
        example = {f: self.fields[f].example for f in command.model_fields if f not in ENVELOPE}
        try:
            command.model_validate({"command_id": "c-1", "trajectory_id": "t-1", "actor": "voorbeeld", **example})
        except ValidationError as error:
            raise ConceptIncomplete(
                f"concept {self.name!r}: the examples do not make a valid {command.__name__}: {error}"
            ) from None
