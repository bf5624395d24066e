"""Fonts for the PDF: every name in the register is drawn with real glyphs, whatever its script.

reportlab's standard Helvetica knows Latin-1 only, so a Hebrew, Chinese or emoji name came out as ■.
The PDF embeds DejaVu Sans instead (it ships inside matplotlib, already a dependency: Latin, Greek,
Cyrillic, Hebrew, Arabic and many symbols) and, for what DejaVu lacks, falls back character by character:

1. Droid Sans Fallback (CJK ideographs, kana) and Symbola (emoji), TrueType fonts from the Debian
   packages ``fonts-droid-fallback`` and ``fonts-symbola`` (CI installs them; about 3 MB together),
   embedded like DejaVu when they are on the machine;
2. otherwise reportlab's built-in CID fonts for CJK (``STSong-Light``, Korean ``HYSMyeongJo-Medium``),
   which are not embedded: the PDF reader supplies the glyphs (Acrobat's Asian font pack, poppler-data).

Right-to-left text (Hebrew, Arabic) is put in visual order with python-bidi (reportlab would do it only
with its ``rlbidi``, which is not on PyPI), per paragraph or cell: a right-to-left name that wraps over
two lines reads its lines in the wrong order. Arabic letters stay unjoined (shaping needs ``uharfbuzz``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

REGULAR, BOLD, OBLIQUE, BOLD_OBLIQUE = "CBCT-Sans", "CBCT-Sans-Bold", "CBCT-Sans-Oblique", "CBCT-Sans-BoldOblique"
_DEJAVU = {
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    OBLIQUE: "DejaVuSans-Oblique.ttf",
    BOLD_OBLIQUE: "DejaVuSans-BoldOblique.ttf",
}
# Embedded fallbacks, in order, where Debian puts them.
_FALLBACK_FILES = {
    "CBCT-CJK": (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf",
    ),
    "CBCT-Symbols": ("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",),
}
CID_CHINESE, CID_KOREAN = "STSong-Light", "HYSMyeongJo-Medium"


@dataclass(frozen=True)
class Fonts:
    """The registered fonts: the embedded ones with the characters each has, in fallback order."""

    embedded: tuple[tuple[str, frozenset[int]], ...]

    def font_for(self, char: str) -> str | None:
        """The first fallback font that has `char` (None: DejaVu has it, or nothing has it)."""
        code = ord(char)
        for name, chars in self.embedded:
            if code in chars:
                return None if name == REGULAR else name
        if _is_hangul(code):
            return CID_KOREAN
        if _is_cjk(code):
            return CID_CHINESE
        return None


@cache
def register() -> Fonts:
    """Register DejaVu Sans (all four styles, as one family) and the fallbacks with reportlab, once."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    embedded: list[tuple[str, frozenset[int]]] = []
    for name, file in _DEJAVU.items():
        font = TTFont(name, str(folder / file))
        pdfmetrics.registerFont(font)
        if name == REGULAR:
            embedded.append((name, frozenset(font.face.charToGlyph)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=OBLIQUE, boldItalic=BOLD_OBLIQUE)
    for name, paths in _FALLBACK_FILES.items():
        path = next((p for p in paths if Path(p).is_file()), None)
        if path is None:
            continue  # the Debian package is not installed: CJK falls back to the CID fonts below
        font = TTFont(name, path)
        pdfmetrics.registerFont(font)
        embedded.append((name, frozenset(font.face.charToGlyph)))
    for cid in (CID_CHINESE, CID_KOREAN):
        pdfmetrics.registerFont(UnicodeCIDFont(cid))
    return Fonts(tuple(embedded))


def markup(text: str, fonts: Fonts) -> str:
    """`text` as paragraph markup: in visual order, escaped, each run that DejaVu lacks in a font that has it."""
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        from bidi import get_display

        text = get_display(text)
    out: list[str] = []
    run: list[str] = []
    current: str | None = None
    for char in text:
        # Combining marks and joiners stay with the run they belong to.
        wanted = current if unicodedata.combining(char) or char in "\u200d\ufe0f" else fonts.font_for(char)
        if wanted != current and run:
            out.append(_run("".join(run), current))
            run = []
        current = wanted
        run.append(char)
    if run:
        out.append(_run("".join(run), current))
    return "".join(out)


def _run(text: str, font: str | None) -> str:
    return escape(text) if font is None else f'<font face="{font}">{escape(text)}</font>'


def _is_hangul(code: int) -> bool:
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def _is_cjk(code: int) -> bool:
    return (
        0x2E80 <= code <= 0x9FFF  # radicals, punctuation, kana, bopomofo, ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms (the CID fonts encode the BMP only)
    )
