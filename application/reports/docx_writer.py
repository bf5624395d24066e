"""The document as an editable Word file (python-docx): the PDF's title page, headings, tables and figures,
so staff can add their prose and restyle it in Word. All text goes through `export_text`: no bidi overrides.

A4 with 2 cm margins, Dutch (nl-NL) as the language of every style, so Word checks the spelling in Dutch;
a header with the title and a footer with the page number on every page but the title page; the
appendix in a landscape section; title, author, dates and language in the file's properties.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from application.output_file import write_file
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
from application.reports.dutch import cell_text
from application.reports.pdf_tables import ONE_LINE_SIZE, PADDING, column_widths, measured_spec, numeric_columns
from application.spreadsheet import export_text as t

LANGUAGE = "nl-NL"
NOTE = "Noot"
BLUE = (0x1F, 0x4E, 0x79)
THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def write_docx(document: Document, path: Path | str) -> Path:
    """Write `document` to `path` (.docx) and return it."""
    import docx

    out = docx.Document()
    _page(out.sections[0], landscape=False)
    _language(out)
    _properties(out, document)
    out.styles["Normal"].font.name = "Calibri"
    out.styles["Normal"].font.size = _pt(10.5)
    _note_style(out)
    if document.cover is not None:
        _cover(out, document.cover)
        section = out.add_section()
        _page(section, landscape=False)
    _header_footer(out.sections[-1], document.title)

    for block in document.blocks:
        if isinstance(block, Heading):
            out.add_heading(t(block.text), level=min(block.level, 3))
        elif isinstance(block, Paragraph):
            paragraph = out.add_paragraph(style=NOTE if block.style == "note" else None)
            _runs(paragraph, block.spans or (Span(block.text),))
        elif isinstance(block, Items):
            for item in block.items:
                out.add_paragraph(t(item), style="List Number" if block.numbered else "List Bullet")
        elif isinstance(block, TableBlock):
            _table(out, block, document)
        elif isinstance(block, FigureBlock):
            out.add_picture(str(block.chart.png), width=_text_width(out.sections[-1]))
            out.add_paragraph(t(f"Figuur {block.number}: {block.chart.title}"), style="Caption")
        elif isinstance(block, PageBreak):
            from docx.enum.section import WD_SECTION

            section = out.add_section(WD_SECTION.NEW_PAGE)
            _page(section, landscape=block.landscape)
    buffer = io.BytesIO()
    out.save(buffer)
    return write_file(path, buffer.getvalue())


def _pt(size: float) -> Any:
    from docx.shared import Pt

    return Pt(size)


def _page(section: Any, *, landscape: bool) -> None:
    """A4, portrait or landscape, 2 cm margins."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Mm

    short, long = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2)
    section.header_distance = section.footer_distance = Cm(1)


def _text_width(section: Any) -> Any:
    return section.page_width - section.left_margin - section.right_margin


def _language(out: Any) -> None:
    """nl-NL for the document's defaults and every style that sets a language of its own."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = out.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    for element in [rpr, *styles.iter(qn("w:rPr"))]:
        lang = element.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            element.append(lang)
        for attribute in ("w:val", "w:eastAsia", "w:bidi"):
            lang.set(qn(attribute), LANGUAGE)


def _properties(out: Any, document: Document) -> None:
    """Title, author, subject, dates and language; the template's blank thumbnail is dropped, so Word and
    file browsers draw the first page instead of an empty preview."""
    day = document.created
    moment = datetime.combine(day, time(12), tzinfo=UTC) if day else datetime.now(UTC)
    props = out.core_properties
    props.title = t(document.title)
    props.author = props.last_modified_by = "CBCT"
    props.subject = "Hoofdlijnenrapportage Kwaliteit in Beeld"
    props.keywords = "CBCT; Kwaliteit in Beeld; certificering; VOB; Cultuurconnectie"
    props.comments = ""
    props.language = LANGUAGE
    props.created = props.modified = moment
    props.last_printed = moment
    props.revision = 1
    package = out.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == THUMBNAIL:
            del package.rels[rel_id]


def _cover(out: Any, cover: Cover) -> None:
    from docx.shared import Cm, RGBColor

    blue = RGBColor(*BLUE)
    organisation = out.add_paragraph()
    run = organisation.add_run(t(cover.organisation))
    run.bold, run.font.color.rgb = True, blue
    organisation.paragraph_format.space_after = Cm(6)
    for text, size, bold in ((cover.title, 30, True), (cover.subtitle, 20, False)):
        paragraph = out.add_paragraph()
        run = paragraph.add_run(t(text))
        run.font.size, run.bold, run.font.color.rgb = _pt(size), bold, blue
        paragraph.paragraph_format.space_after = _pt(4)
    for line in cover.lines:
        out.add_paragraph(t(line)).paragraph_format.space_before = _pt(2)
    place = out.add_paragraph()
    place.paragraph_format.space_before = Cm(9)
    place.add_run(t(cover.place_date)).bold = True


def _header_footer(section: Any, title: str) -> None:
    """The title in the header; 'pagina N' (a PAGE field, so Word counts) in the footer."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section.header.is_linked_to_previous = False
    section.footer.is_linked_to_previous = False
    header = section.header.paragraphs[0]
    header.text = t(title)
    header.runs[0].font.size = _pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("pagina ").font.size = _pt(8)
    _field(footer, "PAGE", "2")


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin, instruction, separate, its last value, end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(child: Any) -> None:
        run = paragraph.add_run()
        run.font.size = _pt(8)
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run_with(code)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run(shown).font.size = _pt(8)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _runs(paragraph: Any, spans: tuple[Span, ...]) -> None:
    """Staff text with its emphasis, superscript footnote numbers and clickable links."""
    for span in spans:
        if span.href:
            _hyperlink(paragraph, t(span.text), span.href)
            continue
        run = paragraph.add_run(t(span.text))
        run.bold = span.bold or None
        run.italic = span.italic or None
        if span.note is not None:
            run.font.superscript = True


def _hyperlink(paragraph: Any, text: str, href: str) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "".join(f"{c:02X}" for c in BLUE))
    props.append(colour)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    run.append(props)
    text_element = OxmlElement("w:t")
    text_element.text = text
    text_element.set(qn("xml:space"), "preserve")
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)


def _table(out: Any, block: TableBlock, document: Document) -> None:
    """A table as in the PDF: a blue header row, numbers right-aligned, and the PDF's measured column widths
    (DejaVu, which is wider than Calibri, so what fits there fits here), with the PDF's cell padding."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Emu, Pt, RGBColor

    spec = block.table
    caption = out.add_paragraph(t(f"Tabel {block.number}: {spec.title}"), style="Caption")
    caption.paragraph_format.keep_with_next = True
    numeric = numeric_columns(spec)
    one_line = [n or block.one_line for n in numeric]
    size = ONE_LINE_SIZE if block.one_line else 8.0 if len(spec.columns) > 5 or block.small else 9.0
    available = Emu(_text_width(out.sections[-1])).pt
    widths = column_widths(measured_spec(block, document), available, one_line, size=size)
    table = out.add_table(rows=1, cols=len(spec.columns))
    table.style = "Table Grid"
    table.autofit = False
    _cell_margins(table, PADDING)
    for cell, text in zip(table.rows[0].cells, spec.columns, strict=True):
        cell.text = t(text)
        _shade(cell, "".join(f"{c:02X}" for c in BLUE))
        for run in cell.paragraphs[0].runs:
            run.bold, run.font.color.rgb = True, RGBColor(0xFF, 0xFF, 0xFF)
    for number, row in enumerate(spec.rows):
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.text = "" if value is None and i == 0 else (t(cell_text(value)) if value is not None else "-")
            if numeric[i]:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if number % 2:
                _shade(cell, "EEF3F8")
    for i, column in enumerate(table.columns):
        column.width = Pt(widths[i])
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Pt(widths[i])
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    run.font.size = Pt(size)
    if len(spec.rows) >= 30:
        _repeat_header(table.rows[0])
    out.add_paragraph(t(spec.note), style=NOTE)  # also the room between a table and the text after it


def _note_style(out: Any) -> None:
    """Small grey text for a table's note and the staff's footnotes (Word's Caption is blue and bold)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import RGBColor

    style = out.styles.add_style(NOTE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = out.styles["Normal"]
    style.font.size = _pt(8)
    style.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    style.paragraph_format.space_before = _pt(2)
    style.paragraph_format.space_after = _pt(8)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _cell_margins(table: Any, points: float) -> None:
    """Left and right cell margins as the PDF's padding (Word's default is wider)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(points * 20)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)


def _repeat_header(row: Any) -> None:
    """A long table's header row is repeated on every page, as in the PDF."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)
