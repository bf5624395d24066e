"""`cbct event show/correct`: look at one stored event, and repair one that no reader can decode.

A projection that stops at an event names it (`cbct projections status`); `cbct event show ID` prints
what is stored, and `cbct event correct ID --data … --reason …` records a correction: the event stays
as written, an `EventCorrected` event records who changed what and why, and every reader from then on
sees the corrected data (docs/repairing-events.md). The projections continue by themselves. The new
data must keep the bounds of the command that made the event and the trajectory's history must still
hold, for the domain and every read model (`application.corrections`); a readable event is only
rewritten with `--force`, and an `EventCorrected` event never.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from typing import Annotated, Any

import typer

from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, OutputFormat, console, fail, print_json
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

app = typer.Typer(help="Opgeslagen events: tonen en corrigeren (herstel van onleesbare events).", no_args_is_help=True)


def _event_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        fail(f"EVENT_ID: '{text}' is geen event id (een UUID, zoals `cbct projections status` die noemt)")
        raise typer.Exit(EXIT_USAGE) from None


async def _find(app_: Any, event_id: uuid.UUID) -> dict[str, Any] | None:
    row = await app_.pool.fetchrow(
        """SELECT e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data::text AS data,
                  e.transaction_id::text || ':' || e.position AS at, e.recorded_at, e.actor,
                  c.corrected_data::text AS corrected, c.reason, c.corrected_by, c.corrected_at
           FROM events e LEFT JOIN event_corrections c ON c.event_id = e.event_id WHERE e.event_id = $1""",
        event_id,
    )
    if row is None:
        return None
    found = dict(row)
    found["data"] = json.loads(found["data"])  # exact: the stdlib keeps every integer as it is stored
    found["corrected"] = None if found["corrected"] is None else json.loads(found["corrected"])
    return found


@app.command("show")
def show(
    event_id: Annotated[str, typer.Argument(help="Het event id.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")] = OutputFormat.table,
) -> None:
    """Toon een opgeslagen event precies zoals het is opgeslagen (en een correctie, als die er is)."""
    wanted = _event_id(event_id)

    async def work(app_: Any) -> dict[str, Any] | None:
        return await _find(app_, wanted)

    found = run(work)
    if found is None:
        fail(f"Event {wanted} bestaat niet.")
        raise typer.Exit(EXIT_REJECTED)
    if output is OutputFormat.json:
        print_json(found)
        return
    console.print(
        markup_safe(
            f"{found['event_type']} v{found['schema_version']} — stream {found['stream_id']} versie "
            f"{found['stream_version']}, positie {found['at']}, door {found['actor'] or '-'}"
        )
    )
    console.print(markup_safe(json.dumps(found["data"], ensure_ascii=False, indent=2)))
    if found["corrected"] is not None:
        console.print(markup_safe(f"Gecorrigeerd door {found['corrected_by'] or '-'}: {found['reason']}"))
        console.print(markup_safe(json.dumps(found["corrected"], ensure_ascii=False, indent=2)))


@app.command("correct")
def correct(
    event_id: Annotated[str, typer.Argument(help="Het event id.")],
    data: Annotated[str, typer.Option("--data", help="De juiste inhoud als JSON, of @bestand.json.")],
    reason: Annotated[str, typer.Option("--reason", help="Waarom (komt in het EventCorrected-event).")],
    actor: Annotated[str | None, typer.Option("--actor", help="Wie dit doet.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Ook een event dat wél te lezen is herschrijven (wijzigt de geschiedenis).")
    ] = False,
) -> None:
    """Corrigeer een event dat niet te lezen is: lezers zien voortaan de juiste inhoud.

    De nieuwe inhoud moet binnen dezelfde grenzen blijven als het commando dat het event maakte, de
    geschiedenis van het traject moet kloppen en elk read model moet haar kunnen verwerken; anders wordt
    er niets geschreven. Een leesbaar event herschrijven kan alleen met --force.
    """
    from application.bounded_json import JsonInputError, parse_object
    from application.corrections import MAX_DATA_BYTES, MAX_DATA_DEPTH, InvalidCorrection, UnknownEvent
    from application.event_store import InvalidAppend
    from application.input_file import InputFileError, read_text_file
    from domain import DomainError

    wanted = _event_id(event_id)
    try:
        raw = read_text_file(data[1:], max_bytes=MAX_DATA_BYTES) if data.startswith("@") else data
        corrected = parse_object(raw, name="--data", max_bytes=MAX_DATA_BYTES, max_depth=MAX_DATA_DEPTH)
    except InputFileError as error:
        fail(f"--data: {error}")
        raise typer.Exit(EXIT_USAGE) from None
    except JsonInputError as error:
        fail(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    who = actor or os.environ.get("CBCT_ACTOR") or f"cli:{getpass.getuser()}"

    async def work(app_: Any) -> Any:
        from application.corrections import Corrections
        from projections.scratch import dry_run

        async def read_models(stream: Any, connection: Any) -> None:
            await dry_run(connection, stream)

        done = await Corrections(app_.store, app_.service, read_models=read_models).correct(
            wanted, corrected, reason=reason, actor=who, force=force
        )
        await app_.projections.catch_up()
        return done

    try:
        done = run(work)
    except InvalidCorrection as error:
        fail(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    except InvalidAppend as error:
        fail(f"Ongeldige invoer — {error}")
        raise typer.Exit(EXIT_USAGE) from None
    except UnknownEvent as error:
        fail(str(error))
        raise typer.Exit(EXIT_REJECTED) from None
    except DomainError as error:
        fail(f"Correctie geweigerd [{error.rule}]: {error.message}")
        raise typer.Exit(EXIT_REJECTED) from None
    original = done.original
    console.print(
        markup_safe(
            f"Event {wanted} ({original.event_type}, {original.stream_id} v{original.stream_version}) gecorrigeerd."
        )
    )
    if done.was_readable:
        console.print(
            "De read models waren al bijgewerkt met de oude inhoud: `cbct projections rebuild` toont overal de "
            "correctie; `cbct trajectory show` noemt haar nu al."
        )
