"""The `cbct` command: the composition root of the CLI process."""

from __future__ import annotations

import typer

from infrastructure.logging import configure_logging
from infrastructure.settings import Settings
from interfaces.cli import db

app = typer.Typer(
    name="cbct",
    help="CBCT certificeringstrajecten: trajecten, deadlines, register en rapportages.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")


@app.callback()
def _root() -> None:
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)


def main() -> None:
    app()
