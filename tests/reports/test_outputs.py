"""Renderings of the period report: console tables, CSV for Dutch Excel, XLSX, charts; CLI input checks."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import typer
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from application.reports import compute, render_report, to_csv, to_xlsx, write_charts
from interfaces.cli.report import register_report
from tests.reports.rows import FROM, ROWS, TO

REPORT = compute(ROWS, FROM, TO)


def test_console_tables_have_dutch_headings() -> None:
    """Every table prints under its Dutch heading, percentages with a decimal comma."""
    console = Console(record=True, width=200)
    render_report(REPORT, console)
    text = console.export_text()
    for heading in (
        "Trajecten en resultaten",
        "Deelname per vereniging",
        "Gemiddelde score per norm",
        "Module 1 Educatieve dienstverlening",
        "Tevredenheid",
    ):
        assert heading in text
    assert "66,7" in text and "Cultuurconnectie + VOB" in text


def test_csv_is_for_dutch_excel() -> None:
    """BOM first, semicolons, decimal comma, every table titled."""
    text = to_csv(REPORT)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["Hoofdlijnenrapportage", "01-01-2018", "21-02-2023"]
    assert ["Direct gecertificeerd", "1"] in rows
    assert ["Cultuurconnectie", "2", "1", "50,0"] in rows
    assert ["6", "Resultaten & verantwoording", "58,3", "100,0", "41,7", "33,3"] in rows
    assert ["zeer tevreden", "33,3"] in rows


def test_xlsx_has_one_sheet_per_table(tmp_path: Path) -> None:
    """The workbook opens, has a sheet per table, and keeps numbers as numbers."""
    path = to_xlsx(REPORT, tmp_path / "rapport.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == [
        "Periode",
        "Trajecten en resultaten",
        "Deelname per vereniging",
        "Gemiddelde score per norm",
        "Score per auditcategorie",
        "Module 1",
        "Tevredenheid",
    ]
    sheet = workbook["Gemiddelde score per norm"]
    assert [c.value for c in sheet[2]] == [
        "norm",
        "naam",
        "totaal",
        "VOB",
        "Cultuurconnectie",
        "Cultuurconnectie + VOB",
    ]
    assert sheet["C8"].value == 58.3
    assert workbook["Trajecten en resultaten"]["B3"].value == 5


def test_charts_are_png_and_svg(tmp_path: Path) -> None:
    """Norm, outcome and satisfaction charts, each as a valid PNG and a parsable SVG."""
    paths = write_charts(REPORT, tmp_path / "grafieken")
    assert sorted(p.name for p in paths) == sorted(
        f"{name}.{suffix}"
        for name in ("gemiddelde-score-per-norm", "trajecten-en-resultaten", "tevredenheid")
        for suffix in ("png", "svg")
    )
    for path in paths:
        if path.suffix == ".png":
            assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        else:
            assert ElementTree.parse(path).getroot().tag.endswith("svg")


def test_charts_of_an_empty_period(tmp_path: Path) -> None:
    """An empty period still draws (empty) charts instead of failing."""
    assert len(write_charts(compute([], FROM, TO), tmp_path)) == 6


def _cli(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    groups = {"report": typer.Typer()}
    register_report(groups)
    app.add_typer(groups["report"], name="report")
    result = CliRunner().invoke(app, ["report", "period", *args])
    return result.exit_code, result.output


def test_cli_rejects_from_after_to() -> None:
    """--from after --to is a usage error naming both options."""
    code, output = _cli("--from", "2023-01-01", "--to", "2022-01-01")
    assert code == 2 and "--from" in output and "--to" in output


def test_cli_rejects_unknown_format_and_bad_dates() -> None:
    """An unknown --format, a malformed --from, and xlsx without --output are usage errors naming the option."""
    code, output = _cli("--format", "pdf")
    assert code == 2 and "--format" in output
    code, output = _cli("--from", "1-1-2018")
    assert code == 2 and "--from" in output
    code, output = _cli("--format", "xlsx")
    assert code == 2 and "--output" in output
