"""`cbct report period`: CBCT's hoofdlijnenrapportage over a period, as of a peildatum.

Computed from the events up to the end of the peildatum (default: today on the app's clock), never from
today's read models, so the same command prints the same numbers next year. Table for people, JSON for
scripts, CSV (`;`, decimal comma, BOM) for Dutch Excel, XLSX (one sheet per table), and the document
itself: DOCX (editable) or PDF, laid out like CBCT's report. --charts writes the charts as PNG and SVG.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from interfaces.cli.output import EXIT_USAGE, console, err_console, fail, print_json
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

DEFAULT_FROM = "2018-01-01"
DEFAULT_TO = "2022-12-31"
ASSOCIATIONS = ("VOB", "Cultuurconnectie")


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    docx = "docx"
    pdf = "pdf"


FILE_FORMATS = (ReportFormat.xlsx, ReportFormat.docx, ReportFormat.pdf)


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: geen geldige datum '{text}' (verwacht JJJJ-MM-DD, bv. 2018-01-01)")
        raise typer.Exit(EXIT_USAGE) from None


def peildatum_option(text: str | None) -> date | None:
    """Parse --peildatum; None means today on the app's clock."""
    return None if text is None else _date("--peildatum", text)


def _members(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        name, _, number = value.partition("=")
        if name not in ASSOCIATIONS or not number.strip().isdigit():
            fail(
                f"--leden: verwacht VERENIGING=AANTAL met vereniging VOB of Cultuurconnectie, bv. VOB=138; "
                f"niet '{value}'"
            )
            raise typer.Exit(EXIT_USAGE)
        counts[name] = int(number)
    return counts


def _compare(text: str) -> tuple[date, date]:
    start, sep, end = text.partition(":")
    if not sep:
        fail(f"--compare-to: verwacht VAN:TOT, bv. 2014-01-01:2017-12-31; niet '{text}'")
        raise typer.Exit(EXIT_USAGE)
    a, b = _date("--compare-to (van)", start), _date("--compare-to (tot)", end)
    if a > b:
        fail(f"--compare-to: {a:%d-%m-%Y} ligt na {b:%d-%m-%Y}")
        raise typer.Exit(EXIT_USAGE)
    return a, b


def period_command(
    date_from: Annotated[
        str, typer.Option("--from", help="Trajecten geopend vanaf deze datum (JJJJ-MM-DD).")
    ] = DEFAULT_FROM,
    date_to: Annotated[str, typer.Option("--to", help="... tot en met deze datum (JJJJ-MM-DD).")] = DEFAULT_TO,
    peildatum: Annotated[
        str | None,
        typer.Option("--peildatum", help="De stand aan het eind van deze dag (JJJJ-MM-DD); zonder: vandaag."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="table, json, csv, xlsx, docx of pdf")
    ] = ReportFormat.table.value,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Bestand voor xlsx, docx of pdf (verplicht) of csv (anders stdout)."),
    ] = None,
    members: Annotated[
        list[str] | None,
        typer.Option(
            "--leden", help="Aantal leden van een vereniging, bv. --leden VOB=138 --leden Cultuurconnectie=134."
        ),
    ] = None,
    members_on: Annotated[
        str | None, typer.Option("--leden-op", help="Datum waarop de ledenaantallen gelden (JJJJ-MM-DD).")
    ] = None,
    compare_to: Annotated[
        str | None,
        typer.Option("--compare-to", help="Vergelijk met een eerdere periode VAN:TOT (JJJJ-MM-DD:JJJJ-MM-DD)."),
    ] = None,
    charts: Annotated[Path | None, typer.Option("--charts", help="Map waarin grafieken (PNG en SVG) komen.")] = None,
) -> None:
    """Hoofdlijnenrapportage: trajecten en resultaten, deelname, scores en kleurbanden per norm en groep,
    auditcategorieën, module leesbevordering, uitstel, tevredenheid; als tabel, bestand of document."""
    start, end = _date("--from", date_from), _date("--to", date_to)
    if start > end:
        fail(f"--from ({start:%d-%m-%Y}) ligt na --to ({end:%d-%m-%Y})")
        raise typer.Exit(EXIT_USAGE)
    try:
        fmt = ReportFormat(output_format)
    except ValueError:
        fail(f"--format: moet table, json, csv, xlsx, docx of pdf zijn, niet '{output_format}'")
        raise typer.Exit(EXIT_USAGE) from None
    if fmt in FILE_FORMATS and output is None:
        fail(f"--output: verplicht bij --format {fmt.value} (bv. --output rapportage.{fmt.value})")
        raise typer.Exit(EXIT_USAGE)
    as_of = peildatum_option(peildatum)
    counts = _members(members or [])
    counted_on = _date("--leden-op", members_on) if members_on else None
    earlier = _compare(compare_to) if compare_to else None

    from application.reports import Membership, compute, render_report, to_csv, to_xlsx, write_charts
    from application.reports.as_of import facts_as_of, today

    membership = Membership(counted_on, counts)

    async def work(app: Any) -> Any:
        day = as_of or today(await app.clock.now())
        facts = await facts_as_of(app.store, day)
        report = compute(facts, start, end, day, membership)
        previous = compute(facts, earlier[0], earlier[1], day, membership) if earlier else None
        return report, previous

    report, previous = run(work)
    # Machine formats keep stdout clean: notes go to stderr.
    notes = console if fmt is ReportFormat.table else err_console
    if fmt is ReportFormat.json:
        data = report.as_dict()
        if previous is not None:
            data["compare_to"] = previous.as_dict()
        print_json(data)
    elif fmt is ReportFormat.csv:
        text = to_csv(report, previous)
        if output is None:
            sys.stdout.write(text)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8", newline="")
            notes.print(markup_safe(f"CSV geschreven: {output}"))
    elif fmt is ReportFormat.xlsx:
        assert output is not None
        notes.print(markup_safe(f"XLSX geschreven: {to_xlsx(report, output, previous)}"))
    elif fmt in (ReportFormat.docx, ReportFormat.pdf):
        assert output is not None
        from application.reports.document import build

        with tempfile.TemporaryDirectory(prefix="cbct-grafieken-") as scratch:
            document = build(report, charts or Path(scratch), previous)
            if fmt is ReportFormat.docx:
                from application.reports.docx_writer import write_docx

                written = write_docx(document, output)
            else:
                from application.reports.pdf_writer import write_pdf

                written = write_pdf(document, output)
        notes.print(
            markup_safe(
                f"{fmt.value.upper()} geschreven: {written} ({len(document.tables)} tabellen, "
                f"{len(document.figures)} grafieken, peildatum {report.peildatum:%d-%m-%Y})"
            )
        )
        return
    else:
        render_report(report, console, previous)
    if charts is not None:
        for chart in write_charts(report, charts):
            notes.print(markup_safe(f"Grafiek geschreven: {chart.png}"))


def register_report(groups: dict[str, typer.Typer]) -> None:
    """Add `period` to the `report` group."""
    groups["report"].command("period")(period_command)
