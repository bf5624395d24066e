"""Renderings of the period report: console, CSV for Dutch Excel, XLSX, charts, DOCX and PDF; CLI input checks."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ElementTree
from datetime import date
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from application.reports import Membership, PeriodReport, compute, render_report, to_csv, to_xlsx, write_charts
from application.reports.as_of import facts_from_events
from application.reports.document import Document, FigureBlock, Heading, Items, build
from application.reports.docx_writer import write_docx
from application.reports.facts import TrajectoryFacts
from application.reports.pdf_writer import write_pdf
from interfaces.cli.report import register_report
from tests.reports.histories import FROM, PEIL, TO, events_of, histories


@pytest.fixture(scope="module")
def facts() -> list[TrajectoryFacts]:
    return facts_from_events(events_of(*histories()), PEIL)


@pytest.fixture(scope="module")
def report(facts: list[TrajectoryFacts]) -> PeriodReport:
    return compute(facts, FROM, TO, PEIL, Membership(date(2022, 12, 31), {"VOB": 138, "Cultuurconnectie": 134}))


@pytest.fixture(scope="module")
def previous(facts: list[TrajectoryFacts]) -> PeriodReport:
    return compute(facts, date(2014, 1, 1), date(2017, 12, 31), PEIL)


def test_console_tables_have_dutch_headings(report: PeriodReport) -> None:
    console = Console(record=True, width=220)
    render_report(report, console)
    text = console.export_text()
    for heading in (
        "Uitgevoerde certificeringstrajecten en resultaten",
        "Deelname per groep",
        "Gemiddelde score per norm",
        "Scores per norm in kleurbanden — Leden van beide verenigingen",
        "Module leesbevordering",
        "Planning en uitstel per groep",
        "Tevredenheid (4 antwoorden,",
    ):
        assert heading in text
    assert "peildatum 21-02-2023" in text and "60,0" in text and "Niet tevreden" in text
    assert "Bijlage 1" not in text
    render_report(report, console, appendix=True)
    assert "Bijlage 1 — VOB" in console.export_text()


def test_csv_is_for_dutch_excel(report: PeriodReport) -> None:
    text = to_csv(report)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["Hoofdlijnenrapportage", "01-01-2018", "31-12-2022", "peildatum", "21-02-2023"]
    assert ["Direct gecertificeerd", "3", "60,0"] in rows
    assert ["3", "Mensen", "20", "30,0", "25,0", "45,0"] in rows
    assert ["Cultuurconnectie-groep", "134", "4", "2", "2", "0", "50,0"] in rows
    assert ["Niet tevreden", "1", "25"] in rows  # satisfaction in whole percentages, as CBCT prints it


def test_xlsx_keeps_numbers(report: PeriodReport, tmp_path: Path) -> None:
    workbook = load_workbook(to_xlsx(report, tmp_path / "rapport.xlsx"))
    assert workbook.sheetnames[:3] == ["Periode", "Trajecten en resultaten", "Deelname per groep"]
    assert "Banden Leden van beide" in workbook.sheetnames and "Bijlage VOB" in workbook.sheetnames
    assert workbook["Trajecten en resultaten"]["B3"].value == 5
    assert workbook["Trajecten en resultaten"]["C4"].value == 60.0


def test_charts_are_png_and_svg_with_period_peildatum_and_n(report: PeriodReport, tmp_path: Path) -> None:
    charts = write_charts(report, tmp_path / "grafieken")
    assert {c.key for c in charts} == {
        "totaal-certificeringen", "banden-alle", "tevredenheid", "banden-vob", "module-leesbevordering",
        "categorieen-vob", "categorieen-cultuurconnectie", "banden-beide", "banden-cultuurconnectie",
    }  # fmt: skip
    for chart in charts:
        assert chart.png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert chart.svg is not None
        svg = chart.svg.read_text()
        assert ElementTree.fromstring(svg).tag.endswith("svg")
    text = (tmp_path / "grafieken" / "banden-alle.svg").read_text()
    # matplotlib writes text as glyph paths with the string in a comment per text element
    n_is_5 = "n\u00a0=\u00a05 trajecten"  # a no-break space each side of '='
    for words in ("peildatum 21-02-2023", n_is_5, "Resultaten &amp; verantwoording", "grotendeels"):
        assert words in text, words
    colours = {"#d7191c", "#f5c400", "#2e9e44"}
    assert all(c in text for c in colours)


def test_charts_of_an_empty_period(tmp_path: Path) -> None:
    assert len(write_charts(compute([], FROM, TO, PEIL), tmp_path, svg=False)) == 9


@pytest.fixture(scope="module")
def document(report: PeriodReport, previous: PeriodReport, tmp_path_factory: pytest.TempPathFactory) -> Document:
    return build(report, tmp_path_factory.mktemp("grafieken"), previous)


def test_docx_has_cbct_sections_tables_charts_and_appendix(document: Document, tmp_path: Path) -> None:
    import docx

    path = write_docx(document, tmp_path / "rapport.docx")
    read = docx.Document(str(path))
    headings = [p.text for p in read.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    for section in (
        "1 Algemeen",
        "3 Uitkomsten voor alle geauditeerden",
        "3.1 Aantallen audits en resultaten",
        "3.3 Planning, uitvoering en deelname",
        "4.1 VOB-groep (inclusief leden van beide verenigingen)",
        "4.2 Leden van beide verenigingen",
        "5 Samenvattende conclusies",
        "Bijlage 1 Register per verenigingsgroep",
    ):
        assert section in headings
    assert len(read.tables) == len(document.tables) and len(read.inline_shapes) == len(document.figures) == 9
    text = "\n".join(p.text for p in read.paragraphs)
    assert "In de periode zijn 5 certificeringstrajecten uitgevoerd" in text
    assert "3 (60,0\u00a0%) direct gecertificeerd" in text
    assert "In 2 gevallen was de basis voor leesbevordering" in text
    assert "vorige periode" in text or "Vergeleken met de periode 01-01-2014" in text
    appendix = read.tables[-3]  # VOB: numbered from 1
    assert [c.text for c in appendix.rows[0].cells] == [
        "nr",
        "certificaatnummer",
        "organisatie",
        "vereniging",
        "resultaat",
        "opmerking",
    ]
    assert [c.text for c in appendix.rows[1].cells][:2] == ["1", "1001"]
    assert len(next(b for b in document.blocks if isinstance(b, Items)).items) == 8
    assert isinstance(document.blocks[0], Heading) and isinstance(document.figures[0], FigureBlock)


def test_pdf_text_holds_sections_figures_and_appendix(document: Document, tmp_path: Path) -> None:
    from pypdf import PdfReader

    path = write_pdf(document, tmp_path / "rapport.pdf")
    pdf = PdfReader(str(path))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for words in (
        "Hoofdlijnenrapportage Kwaliteit in Beeld 2018-2022",
        "Cijfers per peildatum 21 februari 2023",
        "3.2 Gemiddelde scores per norm",
        "Figuur 1: Totaal certificeringen",
        "Tabel 1: Uitgevoerde certificeringstrajecten en resultaten",
        "Module leesbevordering",
        "5 Samenvattende conclusies",
        "Bijlage 1",
        "Organisatie t1005",
        "pagina 2",
    ):
        assert words in text, words
    assert len(pdf.pages) >= 5


def _cli(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    groups = {"report": typer.Typer()}
    register_report(groups)
    app.add_typer(groups["report"], name="report")
    result = CliRunner().invoke(app, ["report", "period", *args])
    return result.exit_code, result.output


def test_cli_rejects_bad_input_naming_the_option() -> None:
    for args, option in (
        (("--from", "2023-01-01", "--to", "2022-01-01"), "--from"),
        (("--format", "odt"), "--format"),
        (("--from", "1-1-2018"), "--from"),
        (("--format", "pdf"), "--output"),
        (("--format", "docx"), "--output"),
        (("--peildatum", "21-02-2023"), "--peildatum"),
        (("--leden", "VOB:138"), "--leden"),
        (("--compare-to", "2014-01-01"), "--compare-to"),
    ):
        code, output = _cli(*args)
        assert code == 2 and option in output, (args, output)
