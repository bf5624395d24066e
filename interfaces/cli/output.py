"""How the CLI prints: Rich tables for people, JSON for scripts; exit codes 0 ok, 1 rejected, 2 usage."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from interfaces.cli.safe_text import json_text, markup_safe, plain

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

console = Console()
err_console = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


def print_json(data: Any) -> None:
    """JSON for scripts, written as is: Rich would re-encode it and undo the escapes of `json_text`."""
    sys.stdout.write(json_text(json.dumps(data, default=str, ensure_ascii=False, indent=2)) + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A Rich table; every cell, header and the title are printed as text, never read as markup."""
    table = Table(title=plain(title), title_justify="left")
    for column in columns:
        table.add_column(plain(column))
    for row in rows:
        table.add_row(*[plain("" if v is None else v) for v in row])
    console.print(table)


def fail(message: str) -> None:
    """Print a refusal or error on stderr; the text is shown as is (rule codes look like markup), on one
    line however narrow the terminal (soft wrap: the terminal may fold it, Rich adds no line breaks)."""
    err_console.print(markup_safe(message), style="bold red", soft_wrap=True)


def warn_halts(halts: Iterable[Any]) -> None:
    """Say on stderr which read models stopped at an event they cannot read: views show what came before."""
    for halt in halts:
        err_console.print(
            markup_safe(
                f"Let op: read model '{halt.projection}' staat stil bij een event dat niet te lezen is "
                f"(positie {halt.at}) en toont de stand van daarvoor. Zie `cbct projections status`."
            ),
            style="yellow",
        )
