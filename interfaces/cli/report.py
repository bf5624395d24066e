"""`cbct report period`: CBCT's hoofdlijnenrapportage over a period, from the read models.

Table for people, JSON for scripts, CSV (`;`, decimal comma, BOM) for Dutch Excel, XLSX (one sheet per
table) and, with --charts, PNG and SVG charts. The projections are caught up first.
"""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from interfaces.cli.output import EXIT_USAGE, console, err_console, fail, print_json
from interfaces.cli.session import run

DEFAULT_FROM = "2018-01-01"
DEFAULT_TO = "2023-02-21"


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: geen geldige datum '{text}' (verwacht JJJJ-MM-DD, bv. 2018-01-01)")
        raise typer.Exit(EXIT_USAGE) from None


def period_command(
    date_from: Annotated[
        str, typer.Option("--from", help="Trajecten geopend vanaf deze datum (JJJJ-MM-DD).")
    ] = DEFAULT_FROM,
    date_to: Annotated[str, typer.Option("--to", help="... tot en met deze datum (JJJJ-MM-DD).")] = DEFAULT_TO,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv of xlsx")
    ] = ReportFormat.table.value,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Bestand voor xlsx (verplicht) of csv (anders stdout).")
    ] = None,
    charts: Annotated[Path | None, typer.Option("--charts", help="Map waarin grafieken (PNG en SVG) komen.")] = None,
) -> None:
    """Hoofdlijnenrapportage: trajecten en resultaten, deelname, scores per norm, module 1, tevredenheid."""
    start, end = _date("--from", date_from), _date("--to", date_to)
    if start > end:
        fail(f"--from ({start:%d-%m-%Y}) ligt na --to ({end:%d-%m-%Y})")
        raise typer.Exit(EXIT_USAGE)
    try:
        fmt = ReportFormat(output_format)
    except ValueError:
        fail(f"--format: moet table, json, csv of xlsx zijn, niet '{output_format}'")
        raise typer.Exit(EXIT_USAGE) from None
    if fmt is ReportFormat.xlsx and output is None:
        fail("--output: verplicht bij --format xlsx (bv. --output rapportage.xlsx)")
        raise typer.Exit(EXIT_USAGE)

    from application.reports import period_report, render_report, to_csv, to_xlsx, write_charts

    async def work(app: Any) -> Any:
        await app.projections.catch_up()
        return await period_report(app.pool, start, end)

    report = run(work)
    # Machine formats keep stdout clean: notes go to stderr.
    notes = console if fmt is ReportFormat.table else err_console
    if fmt is ReportFormat.json:
        print_json(report.as_dict())
    elif fmt is ReportFormat.csv:
        text = to_csv(report)
        if output is None:
            sys.stdout.write(text)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8", newline="")
            notes.print(f"CSV geschreven: {output}")
    elif fmt is ReportFormat.xlsx:
        assert output is not None
        notes.print(f"XLSX geschreven: {to_xlsx(report, output)}")
    else:
        render_report(report, console)
    if charts is not None:
        for path in write_charts(report, charts):
            notes.print(f"Grafiek geschreven: {path}")


def register_report(groups: dict[str, typer.Typer]) -> None:
    """Add `period` to the `report` group."""
    groups["report"].command("period")(period_command)
