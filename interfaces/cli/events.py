"""`cbct event show/correct`: look at one stored event, and repair one that no reader can decode.

A projection that stops at an event names it (`cbct projections status`); `cbct event show ID` prints
what is stored, and `cbct event correct ID --data … --reason …` records a correction: the event stays
as written, an `EventCorrected` event records who changed what and why, and every reader from then on
sees the corrected data (docs/repairing-events.md). The projections continue by themselves.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from pathlib import Path
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
) -> None:
    """Corrigeer een event dat niet te lezen is: lezers zien voortaan de juiste inhoud."""
    from application.event_store import InvalidAppend
    from domain import EVENT_TYPES, event_from_dict

    wanted = _event_id(event_id)
    raw = Path(data[1:]).read_text(encoding="utf-8") if data.startswith("@") else data
    try:
        corrected = json.loads(raw)
    except json.JSONDecodeError as error:
        fail(f"--data: is geen geldige JSON ({error.msg})")
        raise typer.Exit(EXIT_USAGE) from None
    if not isinstance(corrected, dict):
        fail("--data: moet een JSON-object zijn")
        raise typer.Exit(EXIT_USAGE)

    async def work(app_: Any) -> dict[str, Any] | None:
        found = await _find(app_, wanted)
        if found is None:
            return None
        if found["event_type"] in EVENT_TYPES:  # the correction must itself be readable by the domain
            event_from_dict(found["event_type"], corrected)
        await app_.store.correct(
            wanted, corrected, reason=reason, actor=actor or os.environ.get("CBCT_ACTOR") or f"cli:{getpass.getuser()}"
        )
        await app_.projections.catch_up()
        return found

    from pydantic import ValidationError

    try:
        found = run(work)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        fail(f"--data: de domeinlezer kan dit niet lezen — {problems}")
        raise typer.Exit(EXIT_USAGE) from None
    except InvalidAppend as error:
        fail(f"Ongeldige invoer — {error}")
        raise typer.Exit(EXIT_USAGE) from None
    if found is None:
        fail(f"Event {wanted} bestaat niet.")
        raise typer.Exit(EXIT_REJECTED)
    console.print(
        markup_safe(
            f"Event {wanted} ({found['event_type']}, {found['stream_id']} v{found['stream_version']}) gecorrigeerd."
        )
    )
