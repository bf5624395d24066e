"""User text in files and on terminals stays text: cells for CSV and XLSX meant for Excel, text for the
documents (DOCX, PDF), and terminal-safe text.

Excel (and LibreOffice) evaluate a cell that starts with = + - @ (or a tab or carriage return before
one) as a formula, so an organisation named `=HYPERLINK(...)` would become a live link in the register
export (CSV/formula injection, OWASP). Text cells starting with one of those get a leading apostrophe
in CSV, which Excel shows as text; in XLSX they are stored as strings with Excel's quote prefix.
Control characters, which XLSX cannot hold and which mean nothing in a cell, are removed. Bidirectional
overrides and isolates (RLO U+202E and its kin) would show a name in another order than it is stored, in
Excel and Word as on a terminal (`Bieb\u202egnp.exe`), so every export writes them, like the terminal
does, as visible codes (`export_text`, the one function for CSV, XLSX, DOCX and PDF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strip(text: str) -> str:
    return _CONTROL.sub("", text)


def export_text(value: Any) -> str:
    """`value` as text for a file people open (CSV, XLSX, DOCX, PDF): control characters removed, C1
    controls and bidirectional overrides, isolates and marks shown as codes (\\u202e), as on a terminal."""
    return _SHOWN_AS_CODE.sub(_visible, _strip("" if value is None else str(value)))


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text that Excel would run as a formula gets a leading apostrophe."""
    if not isinstance(value, str):
        return value
    text = export_text(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_append(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl sheet; text stays text (never a formula), numbers stay numbers."""
    row = [export_text(v) if isinstance(v, str) else v for v in values]
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and (cell.data_type == "f" or cell.value.startswith(FORMULA_PREFIXES)):
            cell.data_type = "s"
            cell.quotePrefix = True


# Shown on a terminal: C0 controls except tab and newline, DEL, C1 controls (CSI 0x9b among them), and the
# bidirectional overrides and isolates that make a terminal show text in another order than it is stored.
_BIDI_AND_C1 = "\x80-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
TERMINAL_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_BIDI_AND_C1}]")
_SHOWN_AS_CODE = re.compile(f"[{_BIDI_AND_C1}]")


def terminal_text(value: Any) -> str:
    """`value` as text that is safe to write to a terminal: unsafe characters shown as codes (\\x1b)."""
    return TERMINAL_UNSAFE.sub(_visible, "" if value is None else str(value))


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
