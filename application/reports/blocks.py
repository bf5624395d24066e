"""The blocks a report document is made of, in order: any writer (PDF, DOCX) renders them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from application.reports.charts import Chart
from application.reports.tables import ReportTable


@dataclass(frozen=True)
class Heading:
    text: str
    level: int


@dataclass(frozen=True)
class Span:
    """A run of text inside a paragraph written by staff (narrative Markdown): emphasis, a link, or a
    footnote's number (`note`, printed as superscript)."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None
    note: int | None = None


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | note
    spans: tuple[Span, ...] = ()  # when set, the paragraph's formatted text (text is then its plain form)


@dataclass(frozen=True)
class Cover:
    """The title page: the title on one line, what it is about, the peildata, and a place-and-date line."""

    title: str
    subtitle: str
    lines: tuple[str, ...]
    place_date: str
    organisation: str


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]
    numbered: bool = True


@dataclass(frozen=True)
class TableBlock:
    number: int
    table: ReportTable
    small: bool = False
    one_line: bool = False  # every row on one line (the appendix): columns as wide as their widest cell


@dataclass(frozen=True)
class FigureBlock:
    number: int
    chart: Chart


@dataclass(frozen=True)
class PageBreak:
    landscape: bool = False  # the pages after it are landscape (the appendix's wide register)


Block = Heading | Paragraph | Items | TableBlock | FigureBlock | PageBreak


@dataclass
class Document:
    """Title, the title page, the blocks in order."""

    title: str
    blocks: list[Block]
    cover: Cover | None = None
    created: date | None = None  # the document's date (its place-and-date line, the DOCX metadata)

    @property
    def tables(self) -> list[TableBlock]:
        return [b for b in self.blocks if isinstance(b, TableBlock)]

    @property
    def figures(self) -> list[FigureBlock]:
        return [b for b in self.blocks if isinstance(b, FigureBlock)]
