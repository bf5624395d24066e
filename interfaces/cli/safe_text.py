"""User text is text: what people typed reaches the terminal as characters, never as markup or escapes.

Names, reasons and ids come from users (and, through the events, from any user). Rich would read
`Bieb [/]` as markup (and crash on it) and a terminal would obey an escape sequence in a name, so
everything user-supplied is printed through these helpers: control characters, escape sequences and
bidirectional overrides become visible codes (``\\x1b``), and Rich gets `Text`, which it never parses.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape
from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls (CSI 0x9b among them), and the bidirectional
# overrides and isolates that make a terminal show text in another order than it is stored.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_text(value: Any) -> str:
    """`value` as a string that is safe to write to a terminal: unsafe characters shown as codes."""
    return _UNSAFE.sub(_visible, "" if value is None else str(value))


def plain(value: Any) -> Text:
    """A Rich `Text` of `value`: printed literally, never parsed as markup."""
    return Text(terminal_text(value))


def markup_safe(value: Any) -> str:
    """`value` ready to be interpolated into a Rich markup string (escaped and terminal-safe)."""
    return escape(terminal_text(value))


def json_text(text: str) -> str:
    """JSON text with the characters `json.dumps(ensure_ascii=False)` leaves raw (DEL, C1, bidi
    controls) written as \\u escapes: the same JSON, safe on a terminal."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
