"""The hoofdlijnenrapportage as a document CBCT would send without editing (issue 21), checked on the
demo's register (seed 3, replayed purely) as the PDF's text (pypdf), its layout (ReportLab's own
measurements), its pages rendered to PNG, and the DOCX's XML."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from application.demo import REFERENCE_MOMENT, load_register, plan_register, run_simulation
from application.reports.as_of import facts_from_events
from application.reports.blocks import Document, Paragraph, TableBlock
from application.reports.charts import WIDTH_INCHES
from application.reports.document import build
from application.reports.docx_writer import write_docx
from application.reports.dutch import MINUS, NBSP, decimal, number, pct
from application.reports.narrative import Narrative
from application.reports.pdf_tables import LaidOutTable, cell_problems
from application.reports.pdf_writer import lay_out
from application.reports.period import Membership, PeriodReport, compute

PEIL, SURVEY = date(2023, 2, 21), date(2023, 2, 20)
A4 = (595.28, 841.89)
NARRATIVE = {
    "stuwmeer": "Door de lockdowns ontstond een **stuwmeer** van audits.[^cbct]\n\n"
    "[^cbct]: Zie [de aankondiging](https://www.cbct.nl/nieuws) op de website.",
    "geschiedenis": "Het kader is in 2018 ingevoerd.\n\n- eerst *zeven* normen\n- daarna een module",
}


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    simulation = run_simulation(plan_register(load_register(), seed=3), REFERENCE_MOMENT)
    events = [e for stream in simulation.events.values() for e in stream]
    members = Membership(date(2022, 12, 31), {"VOB": 138, "Cultuurconnectie": 134})
    survey = (SURVEY, facts_from_events(events, SURVEY))
    facts = facts_from_events(events, PEIL)
    return compute(facts, date(2018, 1, 1), date(2022, 12, 31), PEIL, members, survey=survey)


@pytest.fixture(scope="module")
def document(report: PeriodReport, tmp_path_factory: pytest.TempPathFactory) -> Document:
    narrative = Narrative.parse(NARRATIVE)
    return build(report, tmp_path_factory.mktemp("grafieken"), narrative=narrative, place="Utrecht")


@pytest.fixture(scope="module")
def pdf(document: Document, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[LaidOutTable]]:
    data, tables = lay_out(document)
    path = tmp_path_factory.mktemp("pdf") / "rapport.pdf"
    path.write_bytes(data)
    return path, list(tables)


@pytest.fixture(scope="module")
def pdf_text(pdf: tuple[Path, list[LaidOutTable]]) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(str(pdf[0])).pages]


@pytest.fixture(scope="module")
def docx_path(document: Document, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_docx(document, tmp_path_factory.mktemp("docx") / "rapport.docx")


def test_dutch_numbers() -> None:
    """A number and its % are one unit, minus is a minus sign, counts get a thousands point."""
    assert pct(30.1) == f"30,1{NBSP}%" and pct(39.2, 0) == f"39{NBSP}%"
    assert decimal(-4.25) == f"{MINUS}4,2" or decimal(-4.25) == f"{MINUS}4,3"
    assert decimal(-0.01) == "0,0" and number(5992) == "5.992" and number(214) == "214"


def test_no_number_is_split_from_its_percent_sign(pdf_text: list[str]) -> None:
    """Nowhere in the PDF does a line end in a number whose % starts the next line."""
    text = "\n".join(pdf_text)
    assert not re.search(r"\d[ \u00a0]*\n[ \u00a0]*%", text)
    assert not re.search(r"\bn *\n *=|= *\n *\d", text)


def test_generated_text_is_dutch_as_cbct_writes_it(document: Document) -> None:
    """No double brackets, no hyphen as minus, thousands points, acronyms kept, no 'zijn een'."""
    text = "\n".join(b.text for b in document.blocks if isinstance(b, Paragraph))
    assert ") (" not in text, re.findall(r".{30}\) \(.{30}", text)
    assert not re.search(r"(?<![\w-])-\d", text)
    assert "(PDCA)" in text and "(pdca)" not in text
    assert "van de 15 zijn een" not in text
    assert "VOB-groep (inclusief leden van beide verenigingen) (" not in text
    assert not re.search(r"\b\d{4,} beoordelingen", text)


def test_pages_are_a4_with_the_appendix_landscape(pdf: tuple[Path, list[LaidOutTable]], pdf_text: list[str]) -> None:
    """Portrait A4 up to the appendix, landscape A4 for it; no page number on the title page."""
    from pypdf import PdfReader

    pages = PdfReader(str(pdf[0])).pages
    sizes = [(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in pages]
    first_appendix = next(i for i, t in enumerate(pdf_text) if "Bijlage 1 Register" in t)
    assert set(sizes[:first_appendix]) == {A4}
    assert set(sizes[first_appendix:]) == {(A4[1], A4[0])}
    assert "pagina" not in pdf_text[0] and "pagina 2" in pdf_text[1]


def test_title_page(pdf_text: list[str]) -> None:
    """The title on its own page with the peildata and a place-and-date line."""
    cover = pdf_text[0]
    assert "Hoofdlijnenrapportage\nKwaliteit in Beeld 2018-2022" in cover
    assert "Utrecht, 21 februari 2023" in cover
    assert "Cijfers per peildatum 21 februari 2023; tevredenheid per 20 februari 2023" in cover
    assert "1 Algemeen" not in cover


def test_no_table_cell_overflows_and_every_appendix_row_is_one_line(pdf: tuple[Path, list[LaidOutTable]]) -> None:
    """Measured by ReportLab on the laid-out tables: no word wider than its column (so row 100 never
    wraps to '10/0'), and every cell of the appendix on one line."""
    tables = pdf[1]
    appendix = [t for t in tables if "Bijlage 1" in t.caption]
    assert len(appendix) == 3 and all(all(t.one_line) for t in appendix)
    assert sum(len(t.spec.rows) for t in appendix) == 251
    problems = [p for t in tables for p in cell_problems(t)]
    assert problems == []


def test_appendix_is_grouped_by_result_with_the_association(document: Document) -> None:
    """Rows by result (Gecertificeerd first), then by number; the association in its own column."""
    tables = [b.table for b in document.blocks if isinstance(b, TableBlock) and b.table.key.startswith("bijlage")]
    order = ["Gecertificeerd", "Voorwaardelijk gecertificeerd", "Niet gecertificeerd"]
    for table in tables:
        assert table.columns[3] == "vereniging"
        results = [order.index(str(r[4])) if r[4] in order else 9 for r in table.rows]
        assert results == sorted(results)
        assert [r[0] for r in table.rows] == list(range(1, len(table.rows) + 1))
    assert {r[3] for r in tables[0].rows} == {"VOB"}


def test_every_page_renders_to_png(pdf: tuple[Path, list[LaidOutTable]], pdf_text: list[str], tmp_path: Path) -> None:
    """Every page rendered as staff see it (pdftoppm, as in the README), none blank."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; .ci/run installs it")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf[0]), str(tmp_path / "p")], check=True, timeout=120)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == len(pdf_text)
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 1500 for p in pngs)


def test_charts_are_placed_at_full_size(document: Document) -> None:
    """Every chart is exactly the text column's width (no long title widens it), so none is shrunk."""
    from PIL import Image

    for figure in document.figures:
        with Image.open(figure.chart.png) as image:
            assert abs(image.width - WIDTH_INCHES * 150) <= 2, (figure.chart.key, image.width)


def test_satisfaction_is_dated_by_the_survey_and_coloured_per_answer(report: PeriodReport) -> None:
    """The survey's cut-off is an input; the chart has five colours."""
    from application.reports.charts import SATISFACTION_COLOURS
    from application.reports.tables import satisfaction_table

    assert report.survey_date == SURVEY and report.peildatum == PEIL
    assert "peildatum enquête 20-02-2023" in satisfaction_table(report).title
    assert len(set(SATISFACTION_COLOURS)) == 5


def test_conclusions_name_the_norms_and_split_the_categories(document: Document) -> None:
    """'norm 5 (producten & diensten)', and categories as CBCT: 'I en II … lager dan III en IV'."""
    from application.reports.blocks import Items

    items = next(b for b in document.blocks if isinstance(b, Items) and b.numbered).items
    assert "norm 5 (producten & diensten)" in items[0] and "norm 4 (samenwerking)" in items[0]
    categories = [i for i in items if "categorie" in i]
    assert len(categories) == 2 and all(" lager dan " in c for c in categories)
    assert "In de VOB-groep scoren categorieën I en II wat lager dan III en IV." in categories[0]


def test_backlog_per_quarter_from_the_events(report: PeriodReport) -> None:
    """The stuwmeer grows in the lockdown quarters and is caught up by the peildatum."""
    quarters = {q.label: q for q in report.backlog}
    assert quarters["2020 K2"].granted > 0
    peak = max(report.backlog, key=lambda q: q.backlog)
    assert peak.year in (2020, 2021) and peak.backlog > report.backlog[-1].backlog
    assert report.backlog[-1].label == "2023 K1 (t/m 21-02-2023)"


def test_the_framework_has_its_intended_effect_when_scores_and_participation_rose(report: PeriodReport) -> None:
    """Said only when the figures show it."""
    from dataclasses import replace

    from application.reports import sentences as say

    a = report.all
    worse = replace(a, average_total=(a.average_total or 0) - 5, outcomes=replace(a.outcomes, carried_out=100))
    earlier = replace(report, groups={**report.groups, "alle": worse}, date_from=date(2014, 1, 1))
    assert "het beoogde effect" in say.effect(report, earlier)[0]
    assert "nog niet volledig zichtbaar" in say.effect(earlier, report)[0]
    assert say.effect(report, None) == []


def test_staff_narrative_with_footnotes_and_links(document: Document, pdf_text: list[str], docx_path: Path) -> None:
    """The staff's Markdown lands in its section, its footnote numbered and its link clickable."""
    text = "\n".join(pdf_text)
    assert "Door de lockdowns ontstond een stuwmeer van audits.1" in text
    assert "1 Zie de aankondiging op de website." in text
    with zipfile.ZipFile(docx_path) as package:
        rels = package.read("word/_rels/document.xml.rels").decode()
        body = package.read("word/document.xml").decode()
    assert 'Target="https://www.cbct.nl/nieuws"' in rels and "<w:hyperlink" in body
    assert '<w:vertAlign w:val="superscript"/>' in body


def test_docx_is_a4_dutch_with_page_numbers_and_metadata(docx_path: Path) -> None:
    """A4, w:lang nl-NL in the defaults, a PAGE field in the footer, CBCT's title and author, no blank preview."""
    with zipfile.ZipFile(docx_path) as package:
        names = package.namelist()
        body = package.read("word/document.xml").decode()
        styles = package.read("word/styles.xml").decode()
        core = package.read("docProps/core.xml").decode()
        footers = [package.read(n).decode() for n in names if n.startswith("word/footer")]
    sizes = re.findall(r"<w:pgSz [^>]*>", body)
    assert sizes and all('w:w="11906" w:h="16838"' in s or 'w:w="16838" w:h="11906"' in s for s in sizes)
    assert re.search(r'<w:rPrDefault><w:rPr>.*<w:lang w:val="nl-NL"', styles, re.S)
    assert any(" PAGE " in f for f in footers)
    assert "<dc:title>Hoofdlijnenrapportage Kwaliteit in Beeld 2018-2022</dc:title>" in core
    assert "<dc:creator>CBCT</dc:creator>" in core and "<dc:language>nl-NL</dc:language>" in core
    assert "2013-12-23" not in core and "python-docx" not in core
    assert not any("thumbnail" in n for n in names)


def test_docx_tables_take_the_pdfs_measured_column_widths(docx_path: Path) -> None:
    """Word gets the PDF's widths (no equal columns that wrap 'Cultuurconnectie-groep' or a name), and the
    appendix's columns fill its landscape page."""
    import docx
    from docx.shared import Emu

    read = docx.Document(str(docx_path))
    appendix = read.tables[-1]
    widths = [Emu(c.width).pt for c in appendix.columns]
    assert widths[2] > 3 * widths[0]  # organisatie against nr
    section = read.sections[-1]
    page, height = section.page_width or 0, section.page_height or 0
    text_width = Emu(page - (section.left_margin or 0) - (section.right_margin or 0)).pt
    assert abs(sum(widths) - text_width) < 2 and page > height
