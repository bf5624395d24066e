"""The command endpoints' request bodies, generated from the domain commands (as the CLI's options are).

Each CLI step (`domain.registry.CLI_STEPS`) becomes one endpoint whose body is the command's own fields
minus the envelope (`command_id` comes from `Idempotency-Key`, `trajectory_id` from the path, `actor`
from the signed-in principal): the same annotations and `FieldInfo`, so the types and constraints are
the domain's and the API cannot drift from what the domain accepts. The field descriptions and the
example body come from the concepts' `FIELDS` (help and example per field). Unknown fields are refused
(`extra="forbid"`). Validation is done twice: by the body model (so OpenAPI shows every rule and the
error names the field), then by the command itself (its cross-field rules and size bound).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, WithJsonSchema, create_model
from pydantic.fields import FieldInfo

from domain.calendar import Quarter
from domain.commands import Command
from domain.concept import ENVELOPE
from domain.registry import CLI_STEPS, FIELDS

QUARTER_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*\d{4}\s*-?\s*[KkQq][1-4]\s*$",
    "description": "Kwartaal als JJJJ-K1..K4, bv. 2026-K2.",
}
"""How a quarter is written in a body (the domain's `Quarter` parses the text; its own schema is its parts)."""

QuarterText = Annotated[Quarter, WithJsonSchema(QUARTER_SCHEMA)]

_CLI_ONLY = re.compile(r"\s*\((?:--[^)]*|herhaalbaar[^)]*)\)")
"""CLI-only remarks in a field's help ("(--grant)", "(herhaalbaar)"): not for an API body."""


def api_help(text: str) -> str:
    """A field's help text as an API body describes it (the CLI's flag remarks left out)."""
    return _CLI_ONLY.sub("", text).strip()


def _for_schema(annotation: Any) -> Any:
    """`annotation` with a quarter shown as its text in the JSON schema (validation unchanged)."""
    if annotation is Quarter:
        return QuarterText
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        if Quarter in args:
            return Union[tuple(QuarterText if a is Quarter else a for a in args)]  # noqa: UP007
    return annotation


def _body_field(name: str, field: FieldInfo) -> tuple[Any, FieldInfo]:
    declared = FIELDS[name]
    merged = FieldInfo.merge_field_infos(field, description=api_help(declared.help), examples=[declared.example])
    return _for_schema(field.annotation), merged


def body_fields(command: type[Command]) -> list[str]:
    """The command's own fields: what a request body carries."""
    return [name for name in command.model_fields if name not in ENVELOPE]


def example_body(command: type[Command]) -> dict[str, Any]:
    """A valid body from the declared examples (fields whose example is empty are left out)."""
    return {name: FIELDS[name].example for name in body_fields(command) if FIELDS[name].example is not None}


def body_model(command: type[Command], summary: str) -> type[BaseModel]:
    """The request body of `command`: its own fields, with the domain's types and constraints."""
    fields: dict[str, Any] = {name: _body_field(name, command.model_fields[name]) for name in body_fields(command)}
    config = ConfigDict(
        extra="forbid",
        title=f"{command.__name__}Body",
        json_schema_extra={"description": summary, "examples": [example_body(command)]},
    )
    model: type[BaseModel] = create_model(f"{command.__name__}Body", __config__=config, **fields)
    return model


@dataclass(frozen=True)
class CommandEndpoint:
    """One lifecycle step as an endpoint: `POST /trajectories/{trajectory_id}/{noun}/{verb}`."""

    noun: str
    verb: str
    command: type[Command]
    summary: str  # the Dutch help of the CLI step
    body: type[BaseModel]

    @property
    def name(self) -> str:
        return self.command.__name__

    @property
    def path(self) -> str:
        return f"/trajectories/{{trajectory_id}}/{self.noun}/{self.verb}"

    @property
    def example(self) -> dict[str, Any]:
        return example_body(self.command)

    @property
    def body_required(self) -> bool:
        """Whether a request needs a body at all (a command without required fields may send none)."""
        return any(field.is_required() for field in self.body.model_fields.values())

    def command_of(self, body: BaseModel | None, *, trajectory_id: str, command_id: str, actor: str) -> Command:
        """The domain command for a validated body; the command's own validation may still refuse it
        (pydantic `ValidationError`, naming the field)."""
        given: Mapping[str, Any] = {} if body is None else body.model_dump(exclude_unset=True)
        return self.command.model_validate(
            {**given, "command_id": command_id, "trajectory_id": trajectory_id, "actor": actor}
        )


ENDPOINTS: tuple[CommandEndpoint, ...] = tuple(
    CommandEndpoint(cli.noun, cli.verb, command, cli.help, body_model(command, cli.help)) for cli, command in CLI_STEPS
)
"""Every command endpoint, in the CLI's order."""
