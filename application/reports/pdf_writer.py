"""The document as PDF (reportlab, pure Python: no office suite needed): a title page, then A4 pages
with the title and the page number in the footer; the appendix on landscape pages, one row per line.

Text is set in embedded DejaVu Sans with per-character fallbacks (pdf_fonts), the charts' font too, so
body text, tables and figures match; user text goes through `export_text` first (no bidi overrides).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from application.output_file import write_file
from application.reports import pdf_fonts
from application.reports.blocks import (
    Cover,
    Document,
    FigureBlock,
    Heading,
    Items,
    PageBreak,
    Paragraph,
    Span,
    TableBlock,
)
from application.reports.pdf_tables import (
    CELL_SIZE,
    ONE_LINE_SIZE,
    PADDING,
    LaidOutTable,
    column_widths,
    indent_of,
    measured_spec,
    numeric_columns,
    shown,
)
from application.spreadsheet import export_text

BLUE = "#1f4e79"
GREY = "#555555"
MARGIN_CM = 2.0
BODY_SIZE = 10
LONG_TABLE = 30  # rows from which a table may break across pages
FRAME_PADDING = 6  # reportlab's default padding inside a frame: what is drawn by hand lines up with the text


def write_pdf(document: Document, path: Path | str) -> Path:
    """Write `document` to `path` (.pdf) and return it."""
    pdf, _ = lay_out(document)
    return write_file(path, pdf)


def lay_out(document: Document) -> tuple[bytes, list[LaidOutTable]]:
    """The PDF's bytes and every table as laid out in it (for `pdf_tables.cell_problems`)."""
    return _Writer(document).build()


class _Writer:
    def __init__(self, document: Document) -> None:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import cm

        self.document = document
        self.fonts = pdf_fonts.register()
        self.portrait, self.landscape = A4, landscape(A4)
        self.margin = MARGIN_CM * cm
        self.tables: list[LaidOutTable] = []
        self.styles = _styles()

    def m(self, text: str) -> str:
        return pdf_fonts.markup(export_text(text), self.fonts)

    def build(self) -> tuple[bytes, list[LaidOutTable]]:
        from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageTemplate
        from reportlab.platypus import PageBreak as Break

        buffer = io.BytesIO()
        pdf = BaseDocTemplate(
            buffer,
            pagesize=self.portrait,
            leftMargin=self.margin,
            rightMargin=self.margin,
            topMargin=self.margin,
            bottomMargin=self.margin,
            title=export_text(self.document.title),
            author="CBCT",
            subject="Hoofdlijnenrapportage",
            lang="nl-NL",
            creator="cbct-trajectories",
        )

        def frame(size: tuple[float, float], name: str) -> Any:
            w, h = size
            return Frame(self.margin, self.margin, w - 2 * self.margin, h - 2 * self.margin, id=name)

        pdf.addPageTemplates(
            [
                PageTemplate("cover", [frame(self.portrait, "cover")], onPage=self.cover_footer),
                PageTemplate("portrait", [frame(self.portrait, "portrait")], onPage=self.footer),
                PageTemplate(
                    "landscape", [frame(self.landscape, "landscape")], onPage=self.footer, pagesize=self.landscape
                ),
            ]
        )
        story: list[Any] = []
        if self.document.cover is not None:
            story += self.cover(self.document.cover)
        story += [NextPageTemplate("portrait"), Break()] if story else []
        width = self.portrait[0] - 2 * self.margin
        for block in self.document.blocks:
            if isinstance(block, PageBreak):
                orientation = "landscape" if block.landscape else "portrait"
                width = (self.landscape if block.landscape else self.portrait)[0] - 2 * self.margin
                story += [NextPageTemplate(orientation), Break()]
            else:
                story += self.flowables(block, width)
        if not self.document.cover:
            pdf.pageTemplates.pop(0)
        pdf.build(story)
        return buffer.getvalue(), self.tables

    # --- the title page -------------------------------------------------------------------------------

    def cover(self, cover: Cover) -> list[Any]:
        from reportlab.lib.units import cm
        from reportlab.platypus import HRFlowable, Spacer
        from reportlab.platypus import Paragraph as P

        s = self.styles
        parts: list[Any] = [
            P(self.m(cover.organisation), s["cover-org"]),
            Spacer(1, 5.5 * cm),
            P(self.m(cover.title), s["cover-title"]),
            P(self.m(cover.subtitle), s["cover-subtitle"]),
            HRFlowable(width="100%", thickness=1.5, color=BLUE, spaceBefore=10, spaceAfter=14),
        ]
        parts += [P(self.m(line), s["cover-line"]) for line in cover.lines]
        return parts

    def cover_footer(self, canvas: Any, doc: Any) -> None:
        """The bottom of the title page: the place-and-date line and who sends it; no page number."""
        from reportlab.lib import colors

        cover = self.document.cover
        if cover is None:
            return
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(BLUE))
        canvas.rect(0, 0, self.portrait[0], self.margin * 0.6, stroke=0, fill=1)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(pdf_fonts.BOLD, 11)
        canvas.drawString(self.margin + FRAME_PADDING, self.margin + 40, export_text(cover.place_date))
        canvas.setFont(pdf_fonts.REGULAR, 9)
        canvas.drawString(self.margin + FRAME_PADDING, self.margin + 24, export_text(cover.organisation))
        canvas.restoreState()

    def footer(self, canvas: Any, doc: Any) -> None:
        from reportlab.lib import colors

        width = canvas._pagesize[0]
        canvas.saveState()
        canvas.setFont(pdf_fonts.REGULAR, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(self.margin, 1.2 * self.margin / 2, export_text(self.document.title))
        canvas.drawRightString(width - self.margin, 1.2 * self.margin / 2, f"pagina {doc.page}")
        canvas.restoreState()

    # --- blocks ---------------------------------------------------------------------------------------

    def flowables(self, block: Any, width: float) -> list[Any]:
        from reportlab.platypus import ListFlowable, ListItem
        from reportlab.platypus import Paragraph as P

        s = self.styles
        if isinstance(block, Heading):
            return [P(self.m(block.text), s[min(block.level, 3)])]
        if isinstance(block, Paragraph):
            text = self.spans(block.spans) if block.spans else self.m(block.text)
            return [P(text, s[block.style])]
        if isinstance(block, Items):
            return [
                ListFlowable(
                    [ListItem(P(self.m(i), s["body"]), leftIndent=18) for i in block.items],
                    bulletType="1" if block.numbered else "bullet",
                    bulletFormat="%s." if block.numbered else None,
                    leftIndent=18,
                    bulletFontName=pdf_fonts.REGULAR,
                    bulletFontSize=BODY_SIZE,
                    spaceAfter=4,
                )
            ]
        if isinstance(block, TableBlock):
            return self.table(block, width)
        if isinstance(block, FigureBlock):
            return self.figure(block, width)
        return []

    def spans(self, spans: tuple[Span, ...]) -> str:
        """Staff text with its emphasis, links and footnote numbers as reportlab paragraph markup."""
        out = []
        for span in spans:
            text = self.m(span.text)
            if span.note is not None:
                text = f"<super>{escape(span.text)}</super>"
            if span.bold:
                text = f"<b>{text}</b>"
            if span.italic:
                text = f"<i>{text}</i>"
            if span.href:
                text = f'<a href={quoteattr(span.href)} color="{BLUE}"><u>{text}</u></a>'
            out.append(text)
        return "".join(out)

    def table(self, block: TableBlock, width: float) -> list[Any]:
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle
        from reportlab.platypus import Paragraph as P

        size = ONE_LINE_SIZE if block.one_line else CELL_SIZE
        s = {k: ParagraphStyle(f"{v.name}-{size}", parent=v, fontSize=size) for k, v in self.styles.items()}
        spec = block.table
        numeric = numeric_columns(spec)
        one_line = tuple(n or block.one_line for n in numeric)
        data = [[P(self.m(c), s["head-r"] if numeric[i] else s["head"]) for i, c in enumerate(spec.columns)]]
        for row in spec.rows:
            cells = []
            for i, value in enumerate(row):
                style = s["cell-r"] if numeric[i] else s["cell"]
                if indent_of(value):
                    style = ParagraphStyle(f"cell-{indent_of(value)}", parent=style, leftIndent=4 * indent_of(value))
                cells.append(P(self.m(shown(value, i)), style))
            data.append(cells)
        widths = column_widths(measured_spec(block, self.document), width, one_line, size)
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(BLUE)),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef3f8")]),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c7d9")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                    ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                ]
            )
        )
        caption = f"Tabel {block.number}: {spec.title}"
        self.tables.append(LaidOutTable(caption, spec, table, one_line, width))
        long = len(spec.rows) >= LONG_TABLE
        # A long table breaks across pages (its header repeated); its caption must not drag it whole onto
        # the next page, so only a short table is kept with its caption.
        parts: list[Any] = [P(self.m(caption), self.styles["caption-long" if long else "caption"]), table]
        if spec.note:
            parts.append(P(self.m(spec.note), self.styles["note"]))
        parts.append(Spacer(1, 8))
        return parts if long else [KeepTogether(parts)]

    def figure(self, block: FigureBlock, width: float) -> list[Any]:
        from reportlab.platypus import Image, KeepTogether, Spacer
        from reportlab.platypus import Paragraph as P

        image = Image(str(block.chart.png))
        # The chart was drawn exactly as wide as the text column at 150 dpi: placed at 100 %, its text is
        # the size it was set in. Only a chart wider than the column is scaled down.
        natural = image.imageWidth * 72 / 150
        scale = min(1.0, width / natural) * 72 / 150
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        caption = P(self.m(f"Figuur {block.number}: {block.chart.title}"), self.styles["caption"])
        return [KeepTogether([image, caption, Spacer(1, 8)])]


def _styles() -> dict[Any, Any]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    blue = colors.HexColor(BLUE)
    body = ParagraphStyle("body", fontName=pdf_fonts.REGULAR, fontSize=BODY_SIZE, leading=13.5, spaceAfter=5)
    cell = ParagraphStyle("cell", parent=body, fontSize=CELL_SIZE, leading=9.8, spaceAfter=0)
    head = ParagraphStyle("head", parent=cell, fontName=pdf_fonts.BOLD, textColor=colors.white)
    heading = ParagraphStyle("h", parent=body, fontName=pdf_fonts.BOLD, textColor=blue, keepWithNext=1)
    return {
        "body": body,
        "note": ParagraphStyle("note", parent=body, fontSize=8, leading=10, textColor=colors.HexColor(GREY)),
        "caption": ParagraphStyle(
            "caption", parent=body, fontName=pdf_fonts.OBLIQUE, fontSize=8.5, spaceBefore=2, keepWithNext=1
        ),
        "caption-long": ParagraphStyle(
            "caption-long", parent=body, fontName=pdf_fonts.OBLIQUE, fontSize=8.5, spaceBefore=2
        ),
        "cell": cell,
        "cell-r": ParagraphStyle("cell-r", parent=cell, alignment=TA_RIGHT),
        "head": head,
        "head-r": ParagraphStyle("head-r", parent=head, alignment=TA_RIGHT),
        1: ParagraphStyle("h1", parent=heading, fontSize=15, leading=19, spaceBefore=14, spaceAfter=6),
        2: ParagraphStyle("h2", parent=heading, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4),
        3: ParagraphStyle(
            "h3", parent=heading, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3, textColor=colors.black
        ),
        "cover-org": ParagraphStyle("cover-org", parent=body, fontName=pdf_fonts.BOLD, fontSize=11, textColor=blue),
        "cover-title": ParagraphStyle(
            "cover-title", parent=body, fontName=pdf_fonts.BOLD, fontSize=30, leading=36, textColor=blue
        ),
        "cover-subtitle": ParagraphStyle("cover-subtitle", parent=body, fontSize=20, leading=26, textColor=blue),
        "cover-line": ParagraphStyle(
            "cover-line", parent=body, fontSize=11.5, leading=16, textColor=colors.HexColor("#333333")
        ),
    }
