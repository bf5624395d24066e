"""The bounds a stored event's fields must keep: the same ones the commands put on what enters.

Events are looser models than commands (``str``, ``date``, ``int``): ``decide`` only ever fills them
from bounded commands and rules. A *correction* (docs/repairing-events.md) writes event data directly,
so it must pass the bounds the commands would have applied, or it could store what no command could
have produced — a date in year 1, an organisation of 2 KB, a CR/LF in an e-mail address — and make
every view, e-mail and workflow that reads the event fail for ever.

``bounds_model(event_type)`` derives, once per event type, a model with the event's field names whose
types carry those bounds:

1. a field named like a command field takes that command field's type and constraints (``organisation``
   is ``Text``, ``contact_email`` is ``Email``, ``employees`` is 1-100,000, ``reason`` is ``Prose`` …),
   except a collection's minimum length (an event may record an empty list the command never held);
2. any other field is bounded by its type: ``str`` → ``Text``, ``date`` → ``Day``, an instant within the
   same years, ``int`` 0-100,000, ``float`` finite and within ±1,000,000, collections of at most 200
   items; enums, quarters and contacts are bounded already;
3. a type this does not know raises at import, so a new kind of field cannot slip through unbounded.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import MinLen
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, create_model

from domain.commands import Command, Day, Text, day_in_range
from domain.events import Event, event_to_dict
from domain.registry import COMMAND_TYPES, EVENT_TYPES, event_from_dict

MAX_ITEMS = 200
"""A collection in an event holds at most this many items (the commands' largest limit)."""

Count = Annotated[int, Field(ge=0, le=100_000)]
Number = Annotated[float, Field(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]


def _instant_in_range(instant: datetime) -> datetime:
    day_in_range(instant.date())
    return instant


Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]
"""A moment with its offset, on a day between 2000-01-01 and 2100-12-31."""


def _command_fields() -> dict[str, Any]:
    """Each field name the commands use, with its bounded type; one name must mean one type."""
    found: dict[str, Any] = {}
    shapes: dict[str, str] = {}
    commands: list[type[Command]] = [Command, *COMMAND_TYPES.values()]
    for command in commands:
        for name, info in command.model_fields.items():
            metadata = list(info.metadata)
            if get_origin(info.annotation) in (tuple, dict):  # an event may record an empty collection
                metadata = [m for m in metadata if not isinstance(m, MinLen)]
            bounded = Annotated[info.annotation, *metadata] if metadata else info.annotation
            shape = repr(bounded)
            if name in shapes and shapes[name] != shape:
                raise TypeError(f"command field {name!r} has two types ({shapes[name]} and {shape}); name one here")
            shapes[name], found[name] = shape, bounded
    return found


_BY_NAME = _command_fields()


def _bounded(annotation: Any) -> Any:
    """`annotation` with the bounds of its kind (rule 2 above)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = tuple(_bounded(a) for a in get_args(annotation))
        return Union[members]  # noqa: UP007 - built from a runtime tuple
    if origin is tuple:
        args = get_args(annotation)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"no bounds known for {annotation!r}")
        return Annotated[tuple[_bounded(args[0]), ...], Field(max_length=MAX_ITEMS)]  # type: ignore[misc]
    if origin is dict:
        key, value = get_args(annotation)
        return Annotated[dict[_bounded(key), _bounded(value)], Field(max_length=MAX_ITEMS)]  # type: ignore[misc]
    if annotation is type(None) or annotation is bool:
        return annotation
    if annotation is str:
        return Text
    if annotation is int:
        return Count
    if annotation is float:
        return Number
    if annotation is AwareDatetime or annotation is datetime:
        return Instant
    if annotation is date:
        return Day
    if isinstance(annotation, type) and issubclass(annotation, Enum | BaseModel):
        return annotation  # a closed set of values, or a model with bounds of its own (Quarter, Contact)
    raise TypeError(f"no bounds known for {annotation!r}")


@cache
def bounds_model(event_type: str) -> type[BaseModel]:
    """The model of the bounds on `event_type`'s fields (KeyError for a type the domain does not know)."""
    event_class = EVENT_TYPES[event_type]
    fields: dict[str, Any] = {}
    for name, info in event_class.model_fields.items():
        annotation = _BY_NAME.get(name) or _bounded(info.annotation)
        fields[name] = (annotation, ...) if info.is_required() else (annotation, info.default)
    model: type[BaseModel] = create_model(
        f"{event_type}Bounds", __config__=ConfigDict(extra="forbid", frozen=True), **fields
    )
    return model


def bounded_event(event_type: str, data: dict[str, Any]) -> Event:
    """The event `data` describes, if the domain can read it *and* every field keeps its command's bounds.

    Raises pydantic's ValidationError naming the field and the rule (KeyError for an unknown type). The
    returned event holds the values as a command would have given them (surrounding spaces stripped).
    """
    event = event_from_dict(event_type, data)
    bounded = bounds_model(event_type).model_validate(event_to_dict(event))
    return event_from_dict(event_type, bounded.model_dump(mode="json"))


def check_every_event_type() -> None:
    """Build every event type's bounds now (an unknown field type raises TypeError here, not later)."""
    for name in EVENT_TYPES:
        bounds_model(name)
