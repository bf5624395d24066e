"""The document as PDF (reportlab, pure Python: no office suite needed), A4 with page numbers.

Text is set in embedded DejaVu Sans with per-character fallbacks (pdf_fonts), so names in any script
show their letters rather than ■; user text goes through `export_text` first (no bidi overrides)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from application.output_file import write_file
from application.reports import pdf_fonts
from application.reports.document import (
    Document,
    FigureBlock,
    Heading,
    Items,
    PageBreak,
    Paragraph,
    TableBlock,
)
from application.reports.render import dutch
from application.spreadsheet import export_text

BLUE = "#1f4e79"
HEAD_FONT = pdf_fonts.BOLD
CELL_SIZE = 8
CELL_PADDING = 6  # reportlab's default left and right padding of a table cell


def write_pdf(document: Document, path: Path | str) -> Path:
    """Write `document` to `path` (.pdf) and return it."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        ListFlowable,
        ListItem,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as Break
    from reportlab.platypus import Paragraph as P

    fonts = pdf_fonts.register()

    def m(text: str) -> str:
        return pdf_fonts.markup(export_text(text), fonts)

    sheet = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=sheet["BodyText"], fontName=pdf_fonts.REGULAR, fontSize=10, leading=13.5, spaceAfter=5
    )
    styles = {
        "title": ParagraphStyle(
            "t",
            parent=sheet["Title"],
            fontName=pdf_fonts.BOLD,
            textColor=colors.HexColor(BLUE),
            fontSize=20,
            leading=24,
            alignment=0,
            spaceAfter=10,
        ),
        "subtitle": ParagraphStyle("s", parent=body, fontSize=11, textColor=colors.HexColor("#444444")),
        "body": body,
        "note": ParagraphStyle("n", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#555555")),
        1: ParagraphStyle(
            "h1",
            parent=sheet["Heading1"],
            fontName=pdf_fonts.BOLD,
            textColor=colors.HexColor(BLUE),
            fontSize=15,
            spaceBefore=12,
            keepWithNext=1,
        ),
        2: ParagraphStyle(
            "h2",
            parent=sheet["Heading2"],
            fontName=pdf_fonts.BOLD,
            textColor=colors.HexColor(BLUE),
            fontSize=12.5,
            keepWithNext=1,
        ),
        3: ParagraphStyle("h3", parent=sheet["Heading3"], fontName=pdf_fonts.BOLD, fontSize=11, keepWithNext=1),
    }
    cell = ParagraphStyle("cell", parent=body, fontSize=CELL_SIZE, leading=9.5, spaceAfter=0)
    cell_right = ParagraphStyle("cellr", parent=cell, alignment=2)
    head = ParagraphStyle("head", parent=cell, fontName=HEAD_FONT, textColor=colors.white)
    caption = ParagraphStyle("cap", parent=body, fontName=pdf_fonts.OBLIQUE, fontSize=8.5, spaceBefore=2)
    width = A4[0] - 4 * cm

    story: list[Any] = []
    for block in document.blocks:
        if isinstance(block, Heading):
            story.append(P(m(block.text), styles[min(block.level, 3)]))
        elif isinstance(block, Paragraph):
            story.append(P(m(block.text), styles[block.style]))
            if block.style == "title":
                story.append(Spacer(1, 4))
        elif isinstance(block, Items):
            story.append(
                ListFlowable(
                    [ListItem(P(m(i), body), leftIndent=14) for i in block.items],
                    bulletType="1" if block.numbered else "bullet",
                    leftIndent=14,
                    bulletFontName=pdf_fonts.REGULAR,
                )
            )
        elif isinstance(block, TableBlock):
            spec = block.table
            numeric = [
                i > 0 and any(isinstance(r[i], int | float) for r in spec.rows) for i in range(len(spec.columns))
            ]
            head_right = ParagraphStyle("headr", parent=head, alignment=2)
            data = [[P(m(c), head_right if numeric[i] else head) for i, c in enumerate(spec.columns)]]
            for row in spec.rows:
                data.append(
                    [
                        P(m(_cell_text(v, i)), cell_right if numeric[i] else _indented(cell, v))
                        for i, v in enumerate(row)
                    ]
                )
            table = Table(data, colWidths=_widths(spec.columns, spec.rows, width), repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(BLUE)),
                        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef3f8")]),
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c7d9")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("TOPPADDING", (0, 0), (-1, -1), 2),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    ]
                )
            )
            parts: list[Any] = [P(m(f"Tabel {block.number}: {spec.title}"), caption), table]
            if spec.note:
                parts.append(P(m(spec.note), styles["note"]))
            parts.append(Spacer(1, 6))
            story.append(KeepTogether(parts) if len(spec.rows) < 30 else _Seq(parts))
        elif isinstance(block, FigureBlock):
            image = Image(str(block.chart.png))
            scale = min(width / image.imageWidth, (11 * cm) / image.imageHeight)
            image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
            story.append(
                KeepTogether([image, P(m(f"Figuur {block.number}: {block.chart.title}"), caption), Spacer(1, 6)])
            )
        elif isinstance(block, PageBreak):
            story.append(Break())
    story = [x for item in story for x in (item.parts if isinstance(item, _Seq) else [item])]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(pdf_fonts.REGULAR, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(2 * cm, 1.2 * cm, export_text(document.title))
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"pagina {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=export_text(document.title),
        author="CBCT",
    )
    pdf.build(story, onFirstPage=footer, onLaterPages=footer)
    return write_file(path, buffer.getvalue())


def _cell_text(value: Any, column: int) -> str:
    """Cell text ('-' for nothing); a sub-row's leading spaces become an indent (see _indented)."""
    text = dutch(value) if value is not None else ("" if column == 0 else "-")
    return text.lstrip(" ")


def _indented(style: Any, value: Any) -> Any:
    """The cell style, indented by the cell's leading spaces (sub-rows such as '  waarvan …')."""
    from reportlab.lib.styles import ParagraphStyle

    depth = len(value) - len(value.lstrip(" ")) if isinstance(value, str) else 0
    return ParagraphStyle(f"{style.name}-{depth}", parent=style, leftIndent=4 * depth) if depth else style


class _Seq:
    """Flowables that may break across pages (long appendix tables)."""

    def __init__(self, parts: list[Any]) -> None:
        self.parts = parts


def _widths(columns: tuple[str, ...], rows: tuple[tuple[Any, ...], ...], total: float) -> list[float]:
    """Column widths in proportion to their longest text, text columns wider, within the page width; no
    column narrower than its header's longest word (a short header such as 'norm' must not break)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lengths = []
    for i, column in enumerate(columns):
        word = max(len(w) for w in column.split()) if column.strip() else 1
        longest = max(
            [word + 2, min(len(column), 16), *(len(dutch(r[i])) + 1 if r[i] is not None else 2 for r in rows)]
        )
        lengths.append(min(max(longest, 5), 60))
    floors = [
        max((stringWidth(w, HEAD_FONT, CELL_SIZE) for w in column.split()), default=0.0) + 2 * CELL_PADDING + 1
        for column in columns
    ]
    widths = [n * total / sum(lengths) for n in lengths]
    for _ in columns:  # widen what is below its floor, taking the room from the columns above theirs
        short = [i for i, w in enumerate(widths) if w < floors[i]]
        if not short:
            break
        needed = sum(floors[i] - widths[i] for i in short)
        room = [i for i in range(len(widths)) if i not in short]
        spare = sum(widths[i] - floors[i] for i in room)
        if spare <= needed:
            break  # too many columns for the page: keep the proportions
        for i in short:
            widths[i] = floors[i]
        for i in room:
            widths[i] -= needed * (widths[i] - floors[i]) / spare
    return widths
