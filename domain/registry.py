"""Every registry of commands and events, built from the concepts' own declarations (``domain.concept``).

``COMMAND_TYPES`` and ``EVENT_TYPES`` (stored names to classes), decide's ``HANDLERS``, evolve's
``EVOLVE_STEPS``, the Dutch ``SUMMARIES``, the CLI's ``CLI_STEPS`` and ``FIELDS`` (help and example per
field): the CLI, the scenario runner, the store and the tests all read these, so none is kept by hand.
Importing this module checks that every command and event class is declared by exactly one concept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.audit import CONCEPT as AUDIT
from domain.cancellation import CONCEPT as CANCELLATION
from domain.certificate import CONCEPT as CERTIFICATE
from domain.closing import CONCEPT as CLOSING
from domain.commands import Command
from domain.concept import Cli, Concept, ConceptIncomplete, DecideHandler, Field, Step, Summary
from domain.deadlines import CONCEPT as DEADLINES
from domain.decision import CONCEPT as DECISION
from domain.events import Event, upcast
from domain.heraudit import CONCEPT as HERAUDIT
from domain.intake import CONCEPT as INTAKE
from domain.objection import CONCEPT as OBJECTION
from domain.opening import CONCEPT as OPENING
from domain.participation import CONCEPT as PARTICIPATION
from domain.planning import CONCEPT as PLANNING
from domain.postponement import CONCEPT as POSTPONEMENT
from domain.report import CONCEPT as REPORT
from domain.self_evaluation import CONCEPT as SELF_EVALUATION
from domain.survey import CONCEPT as SURVEY

CONCEPTS: tuple[Concept, ...] = (
    OPENING,
    PARTICIPATION,
    INTAKE,
    PLANNING,
    AUDIT,
    SELF_EVALUATION,
    CANCELLATION,
    POSTPONEMENT,
    REPORT,
    DECISION,
    HERAUDIT,
    OBJECTION,
    SURVEY,
    CERTIFICATE,
    DEADLINES,
    CLOSING,
)
"""In the order the CLI lists each noun's verbs."""


def _once(kind: str, names: list[str]) -> None:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConceptIncomplete(f"{kind} declared by more than one concept: {', '.join(twice)}")


def _all_subclasses(cls: type[Any]) -> set[type[Any]]:
    return {sub for direct in cls.__subclasses__() for sub in (direct, *_all_subclasses(direct))}


def _fields() -> dict[str, Field]:
    merged: dict[str, Field] = {}
    for concept in CONCEPTS:
        for name, field in concept.fields.items():
            if merged.setdefault(name, field) != field:
                raise ConceptIncomplete(f"field '{name}' has two different help texts or examples ({concept.name})")
    return merged


_once("commands", [p.command.__name__ for c in CONCEPTS for p in c.commands])
_once("events", [p.event.__name__ for c in CONCEPTS for p in c.events])
_once("CLI steps", [f"{p.cli.noun} {p.cli.verb}" for c in CONCEPTS for p in c.commands if p.cli])

COMMAND_TYPES: Mapping[str, type[Command]] = {p.command.__name__: p.command for c in CONCEPTS for p in c.commands}
EVENT_TYPES: Mapping[str, type[Event]] = {p.event.__name__: p.event for c in CONCEPTS for p in c.events}
HANDLERS: Mapping[type[Command], DecideHandler] = {
    p.command: p.decide for c in CONCEPTS for p in c.commands if p.decide is not None
}
EVOLVE_STEPS: Mapping[type[Event], Step] = {p.event: p.evolve for c in CONCEPTS for p in c.events}
SUMMARIES: Mapping[type[Event], Summary] = {p.event: p.summary for c in CONCEPTS for p in c.events}
CLI_STEPS: tuple[tuple[Cli, type[Command]], ...] = tuple(
    (p.cli, p.command) for c in CONCEPTS for p in c.commands if p.cli is not None
)
FIELDS: Mapping[str, Field] = _fields()

_undeclared = sorted(
    {cls.__name__ for cls in _all_subclasses(Event)} - set(EVENT_TYPES)
    | {cls.__name__ for cls in _all_subclasses(Command)} - set(COMMAND_TYPES)
)
if _undeclared:
    raise ConceptIncomplete(f"no concept declares {', '.join(_undeclared)}")


def event_from_dict(type_name: str, data: dict[str, Any]) -> Event:
    """Rebuild an event from its stored type name and data (upcast when older); unknown types raise KeyError."""
    return EVENT_TYPES[type_name].model_validate(upcast(type_name, data))
