"""`cbct report period` options for the document (issue 21): the survey's cut-off, the title page's place
and date, and the staff's Markdown per section; each bad value is one line naming its option, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from application.reports import compute
from application.reports.as_of import facts_from_events
from interfaces.cli.report import register_report
from tests.reports.histories import FROM, PEIL, TO, events_of, histories


def _cli(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    groups = {"report": typer.Typer()}
    register_report(groups)
    app.add_typer(groups["report"], name="report")
    result = CliRunner().invoke(app, ["report", "period", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--enquete-peildatum", "20-02-2023"), "--enquete-peildatum"),
        (("--peildatum", "2023-02-21", "--enquete-peildatum", "2023-02-22"), "--enquete-peildatum"),
        (("--datum", "15-03-2023"), "--datum"),
        (("--plaats", "x" * 81), "--plaats"),
        (("--plaats", "Utrecht\nBijlage"), "--plaats"),
        (("--tekst", "onbekend=tekst.md"), "--tekst"),
        (("--tekst", "stuwmeer"), "--tekst"),
        (("--tekst", "stuwmeer=/nonexistent/stuwmeer.md"), "--tekst"),
    ],
)
def test_bad_document_options_are_one_line_naming_the_option(args: tuple[str, ...], option: str) -> None:
    code, output = _cli(*args)
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith(option), output


def test_a_staff_text_with_an_unsafe_link_or_a_missing_footnote_is_refused(tmp_path: Path) -> None:
    """A document sent to others carries only web and mail links, and every footnote it cites."""
    unsafe = tmp_path / "oorzaken.md"
    unsafe.write_text("Zie [hier](javascript:alert(1)).")
    code, output = _cli("--tekst", f"oorzaken={unsafe}")
    assert code == 2 and "javascript:alert" in output and "alleen http(s)://" in output
    cited = tmp_path / "stuwmeer.md"
    cited.write_text("Een stuwmeer.[^1]")
    code, output = _cli("--tekst", f"stuwmeer={cited}", "--tekst", f"oorzaken={unsafe}")
    assert code == 2, output
    code, output = _cli("--tekst", f"stuwmeer={cited}")
    assert code == 2 and "[^1]" in output and "ontbreekt" in output


def test_the_pdf_carries_place_date_and_staff_text(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI path after the report is computed (no database: `run` gives the test report)."""
    from pypdf import PdfReader

    import interfaces.cli.report as cli

    facts = facts_from_events(events_of(*histories()), PEIL)
    monkeypatch.setattr(cli, "run", lambda work: (compute(facts, FROM, TO, PEIL), None))
    text = tmp_path / "tussenevaluatie.md"
    text.write_text("In 2020 is het kader **geëvalueerd**.[^e]\n\n[^e]: Zie <https://www.cbct.nl>.\n")
    target = tmp_path / "rapport.pdf"
    code, output = _cli(
        "--format", "pdf", "-o", str(target), "--plaats", "Utrecht", "--datum", "2023-03-15",
        "--tekst", f"tussenevaluatie={text}",
    )  # fmt: skip
    assert code == 0, output
    pages = [page.extract_text() for page in PdfReader(str(target)).pages]
    assert "Utrecht, 15 maart 2023" in pages[0]
    body = "\n".join(pages)
    assert "In 2020 is het kader geëvalueerd.1" in body and "1 Zie https://www.cbct.nl." in body
