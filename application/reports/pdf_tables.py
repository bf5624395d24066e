"""Tables in the PDF: columns sized by ReportLab's own text measurements, and a check that no cell
overflows its column.

A column is never narrower than its longest word (a certificate or row number is one word, so "100"
never wraps to "10/0"); numbers and every cell of a one-line table (the appendix) keep their whole text on
one line. What is left of the page width goes to the text columns in proportion to what they would need
to keep their text on one line. `cell_problems` measures every cell of a laid-out table the way ReportLab
sets it (its paragraph's longest word and its lines), so a test can show that nothing overflows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from application.reports import pdf_fonts
from application.reports.blocks import Document, TableBlock
from application.reports.dutch import cell_text
from application.reports.tables import ReportTable

CELL_SIZE = 8
ONE_LINE_SIZE = 7.5  # the appendix: six columns, every row on one line, on a landscape page
PADDING = 4  # left and right padding of a cell, in points
HEAD_FONT = pdf_fonts.BOLD
TOLERANCE = 0.01


@dataclass(frozen=True)
class LaidOutTable:
    """A table as placed in the PDF: its spec, the flowable, and which columns keep their text on one line."""

    caption: str
    spec: ReportTable
    flowable: Any
    one_line: tuple[bool, ...]
    frame_width: float


def numeric_columns(spec: ReportTable) -> list[bool]:
    """Columns (after the first) that hold numbers: right-aligned, never wrapped."""
    return [i > 0 and any(isinstance(r[i], int | float) for r in spec.rows) for i in range(len(spec.columns))]


def shown(value: Any, column: int) -> str:
    """A cell as printed: '-' for nothing (empty in the first column), a sub-row's indent left to the style."""
    text = cell_text(value) if value is not None else ("" if column == 0 else "-")
    return text.lstrip(" ")


def indent_of(value: Any) -> int:
    return len(value) - len(value.lstrip(" ")) if isinstance(value, str) else 0


def measured_spec(block: TableBlock, document: Document) -> ReportTable:
    """What a table's columns are sized by: itself, or for one-line tables with the same columns (the
    appendix's three) all of them together, so their columns line up from one table to the next."""
    if not block.one_line:
        return block.table
    rows = [
        row
        for b in document.blocks
        if isinstance(b, TableBlock) and b.one_line and b.table.columns == block.table.columns
        for row in b.table.rows
    ]
    return replace(block.table, rows=tuple(rows))


def column_widths(spec: ReportTable, total: float, one_line: Sequence[bool], size: float = CELL_SIZE) -> list[float]:
    """Widths that fit `total`: every column at least its longest word (its whole text when it is kept on
    one line); the rest in proportion to what each text column needs for one line."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pdf_fonts.register()  # measured in the PDF's fonts, also when only a DOCX is written

    def width(text: str, font: str = pdf_fonts.REGULAR) -> float:
        return float(stringWidth(text, font, size))

    def words(text: str, font: str = pdf_fonts.REGULAR) -> float:
        return max((width(w, font) for w in text.split()), default=0.0)

    least, wanted = [], []
    for i, column in enumerate(spec.columns):
        cells = [(shown(r[i], i), 4 * indent_of(r[i])) for r in spec.rows]
        whole = max((width(t) + extra for t, extra in cells), default=0.0)
        longest = max((words(t) + extra for t, extra in cells), default=0.0)
        head = words(column, HEAD_FONT)
        floor = max(whole if one_line[i] else longest, head) + 2 * PADDING + 1
        least.append(floor)
        wanted.append(max(floor, whole + 2 * PADDING + 1, width(column, HEAD_FONT) + 2 * PADDING + 1))
    if sum(wanted) <= total:
        spare = total - sum(wanted)
        return [w + spare * w / sum(wanted) for w in wanted]
    if sum(least) >= total:
        return least  # too much for the page: cell_problems will say so
    room = [w - f for w, f in zip(wanted, least, strict=True)]
    spare = total - sum(least)
    return [f + spare * r / sum(room) for f, r in zip(least, room, strict=True)]


def cell_problems(table: LaidOutTable) -> list[str]:
    """Every cell that overflows its column (a word wider than the column) or, in a one-line column,
    takes more than one line; measured by ReportLab on the laid-out table. Empty: everything fits."""
    flowable = table.flowable
    problems = []
    if sum(flowable._colWidths) > table.frame_width + TOLERANCE:
        problems.append(
            f"{table.caption}: breder dan de pagina ({sum(flowable._colWidths):.1f} > {table.frame_width:.1f} pt)"
        )
    for r, row in enumerate(flowable._cellvalues):
        for c, cell in enumerate(row):
            available = flowable._colWidths[c] - 2 * PADDING
            paragraph = cell[0] if isinstance(cell, list) else cell
            if not hasattr(paragraph, "minWidth"):
                continue
            where = f"{table.caption}, rij {r}, kolom '{table.spec.columns[c]}'"
            if paragraph.minWidth() > available + TOLERANCE:
                problems.append(f"{where}: te breed ({paragraph.minWidth():.1f} > {available:.1f} pt)")
            paragraph.wrap(available, 10_000)
            lines = len(paragraph.blPara.lines)
            if r > 0 and table.one_line[c] and lines > 1:
                problems.append(f"{where}: {lines} regels in plaats van één")
    return problems
