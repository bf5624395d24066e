"""`cbct report period`: CBCT's hoofdlijnenrapportage over a period, as of a peildatum.

Computed from the events up to the end of the peildatum (default: today on the app's clock), never from
today's read models, so the same command prints the same numbers next year. Table for people, JSON for
scripts, CSV (`;`, decimal comma, BOM) for Dutch Excel, XLSX (one sheet per table), and the document
itself: DOCX (editable) or PDF, laid out like CBCT's report. --charts writes the charts as PNG and SVG.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from application.output_file import OutputFileError, check_target, write_file
from domain.vocabulary import Association
from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, console, err_console, fail, print_json
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

DEFAULT_FROM = "2018-01-01"
DEFAULT_TO = "2022-12-31"
# The associations that report member counts (members of both count in both), spelled as the vocabulary does.
ASSOCIATIONS = (Association.VOB.value, Association.CULTUURCONNECTIE.value)
# Dates a report can be about: CBCT certifies since 2008; 2000..2100 leaves room and keeps out typos
# such as 0001 or 9999, which no calendar computation should have to survive.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
# An association has about 140 members; 100,000 is far above any real count and keeps percentages sane.
MAX_MEMBERS = 100_000
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MAX_PLACE = 80
_COUNT = re.compile(r"[0-9]{1,7}", re.ASCII)


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    docx = "docx"
    pdf = "pdf"


FILE_FORMATS = (ReportFormat.xlsx, ReportFormat.docx, ReportFormat.pdf)


def _refuse(message: str) -> NoReturn:
    fail(message)
    raise typer.Exit(EXIT_USAGE)


def _date(option: str, text: str) -> date:
    """A date as JJJJ-MM-DD in ASCII digits (no 20180101, no week dates, no superscripts), 2000..2100."""
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        _refuse(f"{option}: geen geldige datum '{text}' (verwacht JJJJ-MM-DD, bv. 2018-01-01)")
    if not EARLIEST <= day <= LATEST:
        _refuse(f"{option}: {text} ligt buiten {EARLIEST} t/m {LATEST}")
    return day


def peildatum_option(text: str | None) -> date | None:
    """Parse --peildatum; None means today on the app's clock."""
    return None if text is None else _date("--peildatum", text)


def _members(values: list[str]) -> dict[str, int]:
    """--leden VERENIGING=AANTAL: a known association (any case), once, with 1..MAX_MEMBERS members."""
    counts: dict[str, int] = {}
    known = {a.casefold(): a for a in ASSOCIATIONS}
    for value in values:
        given, sep, number = value.partition("=")
        name = known.get(given.strip().casefold())
        if not sep or name is None:
            _refuse(
                f"--leden: verwacht VERENIGING=AANTAL met vereniging {' of '.join(ASSOCIATIONS)}, bv. VOB=138; "
                f"niet '{value}'"
            )
        if name in counts:
            _refuse(f"--leden: {name} staat er twee keer in")
        number = number.strip()
        count = int(number) if _COUNT.fullmatch(number) else 0
        if not 1 <= count <= MAX_MEMBERS:
            _refuse(
                f"--leden: het aantal leden van {name} moet een geheel getal van 1 t/m {MAX_MEMBERS} zijn "
                f"(cijfers 0-9), bv. {name}=138; niet '{number}'"
            )
        counts[name] = count
    return counts


def _compare(text: str) -> tuple[date, date]:
    start, sep, end = text.partition(":")
    if not sep:
        _refuse(f"--compare-to: verwacht VAN:TOT, bv. 2014-01-01:2017-12-31; niet '{text}'")
    a, b = _date("--compare-to (van)", start), _date("--compare-to (tot)", end)
    if a > b:
        _refuse(f"--compare-to: {a:%d-%m-%Y} ligt na {b:%d-%m-%Y}")
    return a, b


def _write_failed(error: OutputFileError) -> NoReturn:
    """A file that cannot be written: one line naming it and the cause; 1 if the system cannot (a full disk)."""
    fail(str(error))
    raise typer.Exit(EXIT_REJECTED if error.system_fault else EXIT_USAGE)


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
    survey_on: Annotated[
        str | None,
        typer.Option(
            "--enquete-peildatum",
            help="Stand van de tevredenheidsenquête aan het eind van deze dag (JJJJ-MM-DD); zonder: de peildatum.",
        ),
    ] = None,
    place: Annotated[
        str, typer.Option("--plaats", help="Plaats op het titelblad (docx, pdf), bv. --plaats Utrecht.")
    ] = "",
    issued: Annotated[
        str | None,
        typer.Option("--datum", help="Datum op het titelblad (JJJJ-MM-DD; docx, pdf); zonder: de peildatum."),
    ] = None,
    texts: Annotated[
        list[str] | None,
        typer.Option(
            "--tekst",
            help="Eigen tekst (Markdown) bij een sectie, bv. --tekst stuwmeer=stuwmeer.md; secties: "
            "geschiedenis, stuwmeer, verlenging, tussenevaluatie, oorzaken.",
        ),
    ] = None,
) -> None:
    """Hoofdlijnenrapportage: trajecten en resultaten, deelname, scores en kleurbanden per norm en groep,
    auditcategorieën, module leesbevordering, uitstel, tevredenheid; als tabel, bestand of document."""
    start, end = _date("--from", date_from), _date("--to", date_to)
    if start > end:
        _refuse(f"--from ({start:%d-%m-%Y}) ligt na --to ({end:%d-%m-%Y})")
    try:
        fmt = ReportFormat(output_format)
    except ValueError:
        _refuse(f"--format: moet table, json, csv, xlsx, docx of pdf zijn, niet '{output_format}'")
    if fmt in FILE_FORMATS and output is None:
        _refuse(f"--output: verplicht bij --format {fmt.value} (bv. --output rapportage.{fmt.value})")
    if output is not None and fmt not in (*FILE_FORMATS, ReportFormat.csv):
        _refuse(f"--output: alleen bij --format csv, xlsx, docx of pdf (nu {fmt.value}, dat naar het scherm gaat)")
    as_of = peildatum_option(peildatum)
    if as_of is not None and as_of < start:
        _refuse(f"--peildatum ({as_of:%d-%m-%Y}) ligt voor --from ({start:%d-%m-%Y}): dan is er nog niets te tellen")
    counts = _members(members or [])
    counted_on = _date("--leden-op", members_on) if members_on else None
    earlier = _compare(compare_to) if compare_to else None
    survey_day = _date("--enquete-peildatum", survey_on) if survey_on else None
    if survey_day and as_of is not None and survey_day > as_of:
        _refuse(f"--enquete-peildatum ({survey_day:%d-%m-%Y}) ligt na --peildatum ({as_of:%d-%m-%Y})")
    issued_on = _date("--datum", issued) if issued else None
    if len(place) > MAX_PLACE or not place.isprintable():
        _refuse(f"--plaats: hoogstens {MAX_PLACE} gewone tekens")
    narrative = _narrative(texts or [])
    if earlier and as_of is not None and as_of < earlier[0]:
        _refuse(f"--compare-to: begint ({earlier[0]:%d-%m-%Y}) na --peildatum ({as_of:%d-%m-%Y})")
    try:  # a folder named as the file, or a file named as the charts' folder: say so before any work
        if output is not None:
            check_target(output)
        if charts is not None:
            check_target(charts, directory=True)
    except OutputFileError as error:
        _write_failed(error)

    from application.reports import Membership, compute
    from application.reports.as_of import facts_as_of, today

    membership = Membership(counted_on, counts)

    async def work(app: Any) -> Any:
        day = as_of or today(await app.clock.now())
        facts = await facts_as_of(app.store, day)
        survey = (survey_day, await facts_as_of(app.store, survey_day)) if survey_day else None
        report = compute(facts, start, end, day, membership, survey=survey)
        previous = compute(facts, earlier[0], earlier[1], day, membership) if earlier else None
        return report, previous

    report, previous = run(work)
    try:
        _write(report, previous, fmt, output, charts, Title(place, issued_on, narrative))
    except OutputFileError as error:
        _write_failed(error)
    except OSError as error:
        if error.filename:
            raise
        _stdout_failed(error)


def _stdout_failed(error: OSError) -> NoReturn:
    """Standard output itself failed (`> /dev/full`): say so, not "database"; a closed pipe (`| head`) is
    quiet. What is still buffered goes to /dev/null, so Python's flush at exit cannot fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    if error.errno == errno.EPIPE:
        raise typer.Exit(EXIT_REJECTED)
    _write_failed(OutputFileError("standaarduitvoer", error))


@dataclass(frozen=True)
class Title:
    """What the document's title page and staff sections need beyond the figures."""

    place: str
    issued: date | None
    narrative: Any


def _narrative(values: list[str]) -> Any:
    """--tekst SECTIE=BESTAND.md, each section once; the files are read and checked now, before any work."""
    from application.input_file import InputFileError
    from application.reports.narrative import SECTIONS, Narrative, NarrativeError

    files: dict[str, Path] = {}
    for value in values:
        section, sep, file = value.partition("=")
        section = section.strip().casefold()
        if not sep or section not in SECTIONS or not file.strip():
            _refuse(f"--tekst: verwacht SECTIE=BESTAND.md met sectie {', '.join(SECTIONS)}; niet '{value}'")
        if section in files:
            _refuse(f"--tekst: sectie {section} staat er twee keer in")
        files[section] = Path(file.strip())
    try:
        return Narrative.load(files)
    except (InputFileError, NarrativeError) as error:
        _refuse(f"--tekst: {error}")


def _write(
    report: Any, previous: Any, fmt: ReportFormat, output: Path | None, charts: Path | None, title: Title
) -> None:
    """Print or write the report in `fmt`; files are written whole or not at all (application.output_file)."""
    from application.reports import render_report, to_csv, to_xlsx, write_charts

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
            write_file(output, text.encode("utf-8"))
            notes.print(markup_safe(f"CSV geschreven: {output}"))
    elif fmt is ReportFormat.xlsx:
        assert output is not None
        notes.print(markup_safe(f"XLSX geschreven: {to_xlsx(report, output, previous)}"))
    elif fmt in (ReportFormat.docx, ReportFormat.pdf):
        assert output is not None
        from application.reports.document import build

        with tempfile.TemporaryDirectory(prefix="cbct-grafieken-") as scratch:
            document = build(
                report,
                charts or Path(scratch),
                previous,
                narrative=title.narrative,
                place=title.place,
                issued=title.issued,
            )
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
