"""`cbct email save`: an outbox e-mail as the `.eml` file the mail server got, to forward.

The shell's side of `/beheer`'s *Downloaden* (`interfaces.email_file`): after `cbct stuck` lists an
e-mail a mail server refused for good, ops save it and forward it from their own mail program to an
address that works. The file holds names and addresses: it is written 0600.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from interfaces.cli.output import EXIT_REJECTED, console, fail
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

email_app = typer.Typer(help="E-mails uit de outbox: opslaan als .eml om door te sturen.", no_args_is_help=True)


@email_app.command("save")
def email_save(
    message_id: Annotated[str, typer.Argument(help="Het bericht-id (cbct stuck --format json: message_id).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Het bestand; standaard e-mail-<id>.eml in deze map.")
    ] = None,
) -> None:
    """Sla een e-mail uit de outbox op als .eml, zoals de mailserver hem kreeg, om door te sturen."""
    from interfaces.email_file import email_file

    found = run(lambda app: email_file(app, message_id))
    if found is None:
        fail(f"message_id: geen e-mail {message_id!r} in de outbox (zie cbct stuck --format json)")
        raise typer.Exit(EXIT_REJECTED)
    data, status = found
    path = output or Path(f"e-mail-{message_id}.eml")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    saved = f"E-mail opgeslagen in {path} (status: {status})."
    console.print(
        markup_safe(f"{saved} Open het bestand in uw mailprogramma en stuur het door naar een adres dat werkt.")
    )
