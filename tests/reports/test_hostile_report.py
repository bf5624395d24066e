"""Issue 18, case 5, the report: a full disk named as such, report options within bounds, names in any
script drawn with real glyphs in the PDF, and no bidirectional override in any export."""

from __future__ import annotations

import csv
import dataclasses
import errno
import io
import os
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from application.output_file import OutputFileError, write_file
from application.reports import Membership, PeriodReport, compute, to_csv, to_xlsx
from application.reports.as_of import facts_from_events
from application.reports.document import build
from application.reports.docx_writer import write_docx
from application.reports.pdf_writer import write_pdf
from interfaces.cli.report import register_report
from tests.reports.histories import FROM, PEIL, TO, events_of, histories

HEBREW = "ספריית תל אביב"
CHINESE = "上海图书馆"
JAPANESE = "東京の図書館"
KOREAN = "서울도서관"
EMOJI = "Bieb 📚 😀 ★"
RLO = "Bibliotheek \u202egnp.exe"
NAMES = (HEBREW, CHINESE, JAPANESE, KOREAN, EMOJI, RLO)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    """The test histories with their organisations renamed into other scripts, emoji and an RLO."""
    facts = facts_from_events(events_of(*histories()), PEIL)
    renamed = [dataclasses.replace(f, organisation=NAMES[i % len(NAMES)]) for i, f in enumerate(facts)]
    return compute(renamed, FROM, TO, PEIL, Membership(date(2022, 12, 31), {"VOB": 138}))


def _cli(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    groups = {"report": typer.Typer()}
    register_report(groups)
    app.add_typer(groups["report"], name="report")
    result = CliRunner().invoke(app, ["report", "period", *args])
    return result.exit_code, result.output


# --- writing: a full disk says so and names the file; nothing half-written is left ---


def test_a_full_disk_names_the_file_and_says_it_is_full() -> None:
    with pytest.raises(OutputFileError) as caught:
        write_file("/dev/full", b"x" * 100_000)
    assert str(caught.value) == "/dev/full: kan niet schrijven — de schijf is vol"
    assert caught.value.system_fault


def test_a_failed_write_leaves_the_old_file_and_no_scratch_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills up halfway: the earlier report stays as it was, and no temporary file is left."""
    target = tmp_path / "rapport.pdf"
    write_file(target, b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputFileError, match=f"^{re.escape(str(target))}: kan niet schrijven — de schijf is vol$"):
        write_file(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["rapport.pdf"]


def test_a_folder_or_a_missing_folder_is_exit_2_material(tmp_path: Path) -> None:
    (tmp_path / "map.pdf").mkdir()
    with pytest.raises(OutputFileError) as caught:
        write_file(tmp_path / "map.pdf", b"x")
    assert str(caught.value).endswith("map.pdf: kan niet schrijven — is een map, verwacht een bestand")
    assert not caught.value.system_fault
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputFileError, match=r"een deel van dit pad is geen map|bestaat al en is geen map"):
        write_file(tmp_path / "file" / "rapport.pdf", b"x")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "docx", "pdf"])
def test_report_to_dev_full_is_one_line_naming_the_file(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI path after the report is computed (no database needed: `run` gives the test report)."""
    import interfaces.cli.report as cli

    facts = facts_from_events(events_of(*histories()), PEIL)
    monkeypatch.setattr(cli, "run", lambda work: (compute(facts, FROM, TO, PEIL), None))
    code, output = _cli("--format", fmt, "--output", "/dev/full")
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 1 and lines == ["/dev/full: kan niet schrijven — de schijf is vol"], output


# --- input: every bad option is one line naming it, exit 2 ---


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--leden", "VOB=18446744073709551616"), "--leden"),
        (("--leden", "VOB=0"), "--leden"),
        (("--leden", "VOB=¹²³"), "--leden"),
        (("--leden", "VOB=٣"), "--leden"),
        (("--leden", "VOB=" + "9" * 5000), "--leden"),
        (("--leden", "Bibliotheek=3"), "--leden"),
        (("--leden", "VOB=3", "--leden", "vob=4"), "--leden"),
        (("--peildatum", "2017-12-31"), "--peildatum"),
        (("--peildatum", "2023-0²-01"), "--peildatum"),
        (("--from", "2018-01-0²"), "--from"),
        (("--from", "20180101"), "--from"),
        (("--from", "0001-01-01"), "--from"),
        (("--to", "9999-12-31"), "--to"),
        (("--compare-to", "0001-01-01:2017-12-31"), "--compare-to"),
        (("--compare-to", "2017-12-31:2014-01-01"), "--compare-to"),
        (("--peildatum", "2019-01-01", "--compare-to", "2020-01-01:2021-01-01"), "--compare-to"),
        (("--leden-op", "2101-01-01"), "--leden-op"),
        (("--format", "json", "--output", "x.json"), "--output"),
    ],
)
def test_bad_report_options_are_one_line_naming_the_option(args: tuple[str, ...], option: str) -> None:
    code, output = _cli(*args)
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith(option), output


def test_a_folder_as_output_is_refused_before_any_work(tmp_path: Path) -> None:
    code, output = _cli("--format", "pdf", "--output", str(tmp_path))
    assert code == 2 and output.strip() == f"{tmp_path}: kan niet schrijven — is een map, verwacht een bestand"
    code, output = _cli("--charts", "/dev/full")
    assert code == 2 and output.strip() == "/dev/full: kan niet schrijven — bestaat al en is geen map"


# --- PDF: names in any script with real glyphs ---


def test_the_pdf_embeds_a_unicode_font_and_draws_names_in_any_script(report: PeriodReport, tmp_path: Path) -> None:
    from pypdf import PdfReader

    pdf = write_pdf(build(report, tmp_path / "charts"), tmp_path / "rapport.pdf")
    reader = PdfReader(pdf)
    drawn_in: set[str] = set()

    def seen(text: str, cm: object, tm: object, font: dict[str, object] | None, size: object) -> None:
        if text.strip() and font:
            drawn_in.add(str(font["/BaseFont"]))

    text = "".join(page.extract_text(visitor_text=seen) for page in reader.pages)
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= {f.partition("+")[2] for f in drawn_in}, drawn_in  # embedded subsets
    assert not any("Helvetica" in f for f in drawn_in), drawn_in  # no text in reportlab's Latin-1 standard font
    for name in (HEBREW, CHINESE, JAPANESE):  # Hebrew is stored in visual order: its words come out reversed
        assert name in text or all(word[::-1] in text for word in name.split()), name
    assert "■" not in text
    assert "\u202e" not in text and "\\u202e" in text


# --- exports: no bidi override reaches CSV, XLSX, DOCX or PDF ---


def test_no_export_holds_a_bidi_control(report: PeriodReport, tmp_path: Path) -> None:
    text = to_csv(report)
    assert not set(BIDI_CONTROLS) & set(text) and "Bibliotheek \\u202egnp.exe" in text
    assert [r for r in csv.reader(io.StringIO(text), delimiter=";") if RLO in r] == []

    workbook = load_workbook(to_xlsx(report, tmp_path / "rapport.xlsx"))
    cells = [str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "Bibliotheek \\u202egnp.exe" in cells and not any(set(BIDI_CONTROLS) & set(c) for c in cells)

    docx = write_docx(build(report, tmp_path / "charts"), tmp_path / "rapport.docx")
    with zipfile.ZipFile(docx) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    assert "Bibliotheek \\u202egnp.exe" in xml and not set(BIDI_CONTROLS) & set(xml)
    assert HEBREW in xml and CHINESE in xml  # other scripts are kept as they are

    pdf = write_pdf(build(report, tmp_path / "charts"), tmp_path / "rapport.pdf")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Bibliotheek \\u202egnp.exe" in text and not set(BIDI_CONTROLS) & set(text)


def test_the_register_csv_cells_show_a_bidi_override_as_a_code() -> None:
    from application.spreadsheet import csv_row

    assert csv_row([RLO, "=1+1", 3]) == ["Bibliotheek \\u202egnp.exe", "'=1+1", 3]


def test_an_unwritable_file_never_reads_as_a_database_error() -> None:
    """Whatever path an OutputFileError takes to the top of the CLI, it keeps its own words."""
    from interfaces.cli.guard import explain

    full = OutputFileError(Path("/dev/full"), OSError(errno.ENOSPC, "No space left on device"))
    assert explain(full) == (1, "/dev/full: kan niet schrijven — de schijf is vol")
    folder = OutputFileError(Path("/tmp"), OSError(errno.EISDIR, "Is a directory"))
    assert explain(folder) == (2, "/tmp: kan niet schrijven — is een map, verwacht een bestand")
