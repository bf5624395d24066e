"""The document as an editable Word file (python-docx): real headings, tables and pictures, so staff can
add their prose and restyle it in Word. All text goes through `export_text`: no bidi overrides."""

from __future__ import annotations

import io
from pathlib import Path

from application.output_file import write_file
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
from application.spreadsheet import export_text as t


def write_docx(document: Document, path: Path | str) -> Path:
    """Write `document` to `path` (.docx) and return it."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    out = docx.Document()
    section = out.sections[0]
    section.left_margin = section.right_margin = Cm(2.2)
    out.core_properties.title = t(document.title)
    out.core_properties.author = "CBCT"
    out.styles["Normal"].font.name = "Calibri"
    out.styles["Normal"].font.size = Pt(10.5)
    if section.page_width is None:  # python-docx's default template always sets it
        raise ValueError("the Word template has no page width")
    width = section.page_width - section.left_margin - section.right_margin

    for block in document.blocks:
        if isinstance(block, Heading):
            out.add_heading(t(block.text), level=block.level)
        elif isinstance(block, Paragraph):
            if block.style == "title":
                out.add_heading(t(block.text), level=0)
            elif block.style == "subtitle":
                out.add_paragraph(t(block.text), style="Subtitle")
            else:
                out.add_paragraph(t(block.text))
        elif isinstance(block, Items):
            for item in block.items:
                out.add_paragraph(t(item), style="List Number" if block.numbered else "List Bullet")
        elif isinstance(block, TableBlock):
            spec = block.table
            caption = out.add_paragraph(t(f"Tabel {block.number}: {spec.title}"), style="Caption")
            caption.paragraph_format.keep_with_next = True
            table = out.add_table(rows=1, cols=len(spec.columns))
            table.style = "Light Grid Accent 1"
            for cell, text in zip(table.rows[0].cells, spec.columns, strict=True):
                cell.text = t(text)
            for row in spec.rows:
                cells = table.add_row().cells
                for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
                    cell.text = "" if value is None and i == 0 else (t(dutch(value)) if value is not None else "-")
                    if isinstance(value, int | float) and i > 0:
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            size = Pt(8) if len(spec.columns) > 5 or block.small else Pt(9)
            for row in table.rows:
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        for run in paragraph.runs:
                            run.font.size = size
            if spec.note:
                out.add_paragraph(t(spec.note), style="Caption")
        elif isinstance(block, FigureBlock):
            out.add_picture(str(block.chart.png), width=width)
            out.add_paragraph(t(f"Figuur {block.number}: {block.chart.title}"), style="Caption")
        elif isinstance(block, PageBreak):
            out.add_page_break()  # type: ignore[no-untyped-call]  # python-docx leaves it unannotated
    buffer = io.BytesIO()
    out.save(buffer)
    return write_file(path, buffer.getvalue())
