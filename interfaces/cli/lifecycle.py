"""Every step of a trajectory as `cbct <noun> <verb> TRAJECTORY_ID [options]`, built from the commands.

The options come from the domain command's own fields, so the CLI can never drift from what the domain
accepts: pydantic validates the input and names the field on bad input (exit 2). Each command goes to
its trajectory's workflow as an update (update-with-start), decided and appended once per command id
(`--command-id` makes a retry safe). A refused command prints the rule and CBCT's explanation (exit 1).

The command id is fixed before anything is sent (a fresh one when `--command-id` is absent): a command
that fails or gets no answer within `CBCT_COMMAND_WAIT_SECONDS` ends in one line naming the id and the
exact command that retries it (exit 1, `interfaces/cli/retry.py`).
"""

from __future__ import annotations

import getpass
import inspect
import json
import os
import sys
import types
import typing
import uuid
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import typer
from pydantic import BaseModel

from application.trajectories import InvalidCommandInput, parse_command
from domain import commands as c
from domain.registry import CLI_STEPS, FIELDS
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, OutputFormat, console, fail, print_json
from interfaces.cli.retry import CommandNotDone, retry_command
from interfaces.cli.session import run

# (noun, verb, command, Dutch help), as each command's concept declares it (domain.concept)
STEPS: list[tuple[str, str, type[c.Command], str]] = [
    (cli.noun, cli.verb, command, cli.help) for cli, command in CLI_STEPS
]

_ENVELOPE = {"command_id", "trajectory_id", "actor"}

FIELD_HELP = {name: field.help for name, field in FIELDS.items()}


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _kind(annotation: Any) -> str:
    """How a field is typed on the command line: 'flag', 'many', 'json' or 'one'."""
    inner = _unwrap_optional(annotation)
    origin = get_origin(inner)
    if inner is bool:
        return "flag"
    if origin in (tuple, list):
        item = get_args(inner)[0]
        return "json-many" if inspect.isclass(item) and issubclass(item, BaseModel) else "many"
    if origin is dict or (inspect.isclass(inner) and issubclass(inner, BaseModel) and inner.__name__ != "Quarter"):
        return "json"
    return "one"


def _json_value(text: str, option: str) -> Any:
    """A JSON option takes JSON text or @path/to/file.json."""
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise typer.BadParameter(f"{option}: is geen geldige JSON ({error.msg})") from None


def _parameters(command: type[c.Command]) -> list[inspect.Parameter]:
    params = [
        inspect.Parameter(
            "trajectory_id",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=typing.Annotated[str, typer.Argument(help="Het traject (trajectory id).")],
        )
    ]
    for name, field in command.model_fields.items():
        if name in _ENVELOPE:
            continue
        option = "--" + name.replace("_", "-")
        kind = _kind(field.annotation)
        help_text = FIELD_HELP.get(name, field.description or "")
        help_text += " (JSON of @bestand.json)" if kind.startswith("json") else ""
        help_text += " (verplicht)" if field.is_required() else ""
        if kind == "flag":
            annotation: Any = typing.Annotated[
                bool | None, typer.Option(f"{option}/--no-{name.replace('_', '-')}", help=help_text)
            ]
        elif kind in ("many", "json-many"):
            annotation = typing.Annotated[list[str] | None, typer.Option(option, help=help_text + " (herhaalbaar)")]
        else:
            annotation = typing.Annotated[str | None, typer.Option(option, help=help_text)]
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation))
    params += [
        inspect.Parameter(
            "command_id",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=typing.Annotated[
                str | None, typer.Option("--command-id", help="Eigen command id: opnieuw versturen is dan veilig.")
            ],
        ),
        inspect.Parameter(
            "actor",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=typing.Annotated[
                str | None, typer.Option("--actor", help="Wie dit doet (standaard $CBCT_ACTOR of cli:<gebruiker>).")
            ],
        ),
        inspect.Parameter(
            "output",
            inspect.Parameter.KEYWORD_ONLY,
            default=OutputFormat.table,
            annotation=typing.Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")],
        ),
    ]
    return params


def default_actor() -> str:
    return os.environ.get("CBCT_ACTOR") or f"cli:{getpass.getuser()}"


def build_payload(command: type[c.Command], values: dict[str, Any]) -> dict[str, Any]:
    """Turn parsed CLI options into the command's JSON payload (only what was given)."""
    payload: dict[str, Any] = {
        "trajectory_id": values.pop("trajectory_id"),
        "command_id": values.pop("command_id") or f"cli-{uuid.uuid4()}",
        "actor": values.pop("actor") or default_actor(),
    }
    for name, value in values.items():
        if value is None or value == []:
            continue
        kind = _kind(command.model_fields[name].annotation)
        option = "--" + name.replace("_", "-")
        if kind == "json":
            payload[name] = _json_value(value, option)
        elif kind == "json-many":
            payload[name] = [_json_value(v, option) for v in value]
        else:
            payload[name] = value
    return payload


def _print_outcome(outcome: dict[str, Any], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print_json(outcome)
        return
    if outcome.get("accepted"):
        note = " (eerder al verwerkt)" if outcome.get("duplicate") else ""
        console.print(f"[green]Geaccepteerd{note}[/] — traject op versie {outcome.get('stream_version')}")
        for event in outcome.get("events", []):
            console.print(f"  • {event.get('type')}")
    else:
        fail(f"Geweigerd [{outcome.get('rule')}]: {outcome.get('message')}")


def _make(command: type[c.Command], help_text: str) -> Any:
    def handler(**values: Any) -> None:
        output: OutputFormat = values.pop("output")
        payload = build_payload(command, values)
        try:
            parsed = parse_command(command.__name__, payload)
        except InvalidCommandInput as error:
            fail(f"Ongeldige invoer — {error}")
            raise typer.Exit(EXIT_USAGE) from None

        async def work(app: Any) -> dict[str, Any]:
            verdict = await app.temporal.trajectories.submit(parsed)
            result: dict[str, Any] = verdict.as_dict()
            return result

        from workflows.client import CommandInputRejected

        try:
            outcome = run(work, temporal=True, answer_within=Settings().command_wait_seconds)
        except CommandInputRejected as error:
            fail(f"Ongeldige invoer — {error}")
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as error:  # no answer: the guard prints one line with the id and the retry
            raise CommandNotDone(parsed.command_id, retry_command(sys.argv[1:], parsed.command_id)) from error
        _print_outcome(outcome, output)
        if not outcome.get("accepted"):
            raise typer.Exit(EXIT_REJECTED)

    handler.__signature__ = inspect.Signature(_parameters(command))  # type: ignore[attr-defined]
    handler.__doc__ = help_text
    handler.__name__ = command.__name__
    return handler


def register(groups: dict[str, typer.Typer]) -> None:
    """Add every lifecycle step to its noun's Typer group."""
    for noun, verb, command, help_text in STEPS:
        groups[noun].command(verb, help=help_text)(_make(command, help_text))
