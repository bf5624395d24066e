"""Paragraphs the staff write themselves, one Markdown file per section, carried by the document.

The figures say what happened; some things only CBCT's staff can tell: the framework's history, the 2020
interim evaluation, the planning backlog (*stuwmeer*) and the extension of the period, the causes behind
differences between audit categories. Each is an optional Markdown file (``--tekst SECTIE=BESTAND.md``).

The Markdown is the small part staff need: paragraphs, ``###`` headings, ``-`` and ``1.`` lists,
``**vet**``, ``*cursief*``, links ``[tekst](https://…)`` and footnotes (``[^1]`` in the text, ``[^1]: …``
on a line of its own, links allowed). Footnotes are numbered through the whole document in order of
appearance and printed under their section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from application.input_file import read_text_file
from application.reports.blocks import Block, Heading, Items, Paragraph, Span

#: The sections a staff text can be given for, in the document's order, with where each goes.
SECTIONS: Mapping[str, str] = {
    "geschiedenis": "hoofdstuk 2: de geschiedenis van het kader",
    "stuwmeer": "§ 3.3: het stuwmeer van uitgestelde audits",
    "verlenging": "§ 3.3: de verlenging van de certificeringsperiode",
    "tussenevaluatie": "§ 3.4: de tussenevaluatie van 2020",
    "oorzaken": "hoofdstuk 4: de oorzaken van verschillen tussen auditcategorieën",
}
MAX_BYTES = 256 * 1024

_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:\s*(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
_INLINE = re.compile(
    r"\[\^(?P<note>[^\]\s]+)\]"
    r"|\[(?P<label>[^\]]+)\]\((?P<href>[^)\s]+)\)"
    r"|<(?P<url>https?://[^>\s]+)>"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?<![\w*])[*_](?P<italic>[^*_]+?)[*_](?![\w*])"
)


class NarrativeError(ValueError):
    """A staff text that cannot be used; the message names the file and says why (in Dutch)."""


@dataclass
class Narrative:
    """The staff's blocks per section (footnotes included), ready to place in the document."""

    sections: dict[str, list[Block]] = field(default_factory=dict)

    def has(self, section: str) -> bool:
        return bool(self.sections.get(section))

    def blocks(self, section: str) -> list[Block]:
        return list(self.sections.get(section, []))

    @classmethod
    def load(cls, files: Mapping[str, Path]) -> Narrative:
        """Read and parse the given files (section → path), numbering footnotes in document order."""
        unknown = sorted(set(files) - set(SECTIONS))
        if unknown:
            raise NarrativeError(f"onbekende sectie '{unknown[0]}': kies uit {', '.join(SECTIONS)}")
        texts = {s: read_text_file(files[s], max_bytes=MAX_BYTES) for s in SECTIONS if s in files}
        return cls.parse(texts, {s: str(p) for s, p in files.items()})

    @classmethod
    def parse(cls, texts: Mapping[str, str], names: Mapping[str, str] | None = None) -> Narrative:
        notes = _Notes()
        sections = {}
        for section in SECTIONS:
            if section in texts:
                sections[section] = _blocks(texts[section], notes, (names or {}).get(section, section))
        return cls(sections)


class _Notes:
    """Footnote numbers through the whole document."""

    def __init__(self) -> None:
        self.next = 1

    def take(self) -> int:
        number, self.next = self.next, self.next + 1
        return number


def _blocks(text: str, notes: _Notes, name: str) -> list[Block]:
    definitions: dict[str, str] = {}
    body: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        found = _FOOTNOTE_DEF.match(line)
        if found:
            definitions[found.group(1)] = found.group(2).strip()
        else:
            body.append(line)
    numbers: dict[str, int] = {}
    blocks: list[Block] = []
    for kind, lines in _chunks(body):
        if kind == "heading":
            blocks.append(Heading(_plain(_spans(lines[0], numbers, definitions, notes, name)), 3))
        elif kind in ("bullet", "numbered"):
            items = tuple(_plain(_spans(line, numbers, definitions, notes, name), links=True) for line in lines)
            blocks.append(Items(items, numbered=kind == "numbered"))
        else:
            spans = _spans(" ".join(lines), numbers, definitions, notes, name)
            blocks.append(Paragraph(_plain(spans), "body", spans))
    for key, number in numbers.items():
        spans = (Span(str(number), note=number), Span(" "), *_spans(definitions[key], {}, {}, notes, name))
        blocks.append(Paragraph(_plain(spans), "note", spans))
    return blocks


def _chunks(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Paragraphs, headings and lists, separated by blank lines (a list item may go on on the next line)."""
    kind, chunk = "", list[str]()
    for raw in lines:
        line = raw.strip()
        heading, bullet, numbered = _HEADING.match(line), _BULLET.match(raw), _NUMBERED.match(raw)
        if not line or heading:
            if chunk:
                yield kind, chunk
            kind, chunk = "", []
            if heading:
                yield "heading", [heading.group(1)]
            continue
        if bullet or numbered:
            new = "bullet" if bullet else "numbered"
            if chunk and kind != new:
                yield kind, chunk
                chunk = []
            kind = new
            chunk.append((bullet or numbered).group(1).strip())  # type: ignore[union-attr]  # one of them matched
        elif kind in ("bullet", "numbered") and chunk:
            chunk[-1] += " " + line
        else:
            if kind != "paragraph" and chunk:
                yield kind, chunk
                chunk = []
            kind = "paragraph"
            chunk.append(line)
    if chunk:
        yield kind, chunk


def _spans(
    text: str, numbers: dict[str, int], definitions: Mapping[str, str], notes: _Notes, name: str
) -> tuple[Span, ...]:
    spans: list[Span] = []
    at = 0
    for found in _INLINE.finditer(text):
        if found.start() > at:
            spans.append(Span(text[at : found.start()]))
        at = found.end()
        if found.group("note"):
            key = found.group("note")
            if key not in definitions:
                raise NarrativeError(f"{name}: voetnoot [^{key}] staat in de tekst, maar '[^{key}]: …' ontbreekt")
            if key not in numbers:
                numbers[key] = notes.take()
            spans.append(Span(str(numbers[key]), note=numbers[key]))
        elif found.group("label"):
            spans.append(Span(found.group("label"), href=_safe_link(found.group("href"), name)))
        elif found.group("url"):
            spans.append(Span(found.group("url"), href=_safe_link(found.group("url"), name)))
        elif found.group("bold"):
            spans.append(Span(found.group("bold"), bold=True))
        else:
            spans.append(Span(found.group("italic"), italic=True))
    if at < len(text):
        spans.append(Span(text[at:]))
    return tuple(spans)


def _safe_link(href: str, name: str) -> str:
    """Only web and mail links: a document sent to others must not carry javascript: or file: links."""
    if not re.match(r"^(https?://|mailto:)", href, re.IGNORECASE):
        raise NarrativeError(f"{name}: link '{href}' wordt niet opgenomen (alleen http(s):// en mailto:)")
    return href


def _plain(spans: tuple[Span, ...], links: bool = False) -> str:
    """The text of `spans`; with `links`, a link's address follows its label (list items are plain text)."""
    return "".join(_plain_span(s) if links else s.text for s in spans)


def _plain_span(span: Span) -> str:
    if span.note is not None:
        return span.text.translate(_SUPERSCRIPT)
    return f"{span.text} ({span.href})" if span.href and span.href != span.text else span.text


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
