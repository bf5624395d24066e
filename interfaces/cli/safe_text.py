"""User text is text: what people typed reaches the terminal as characters, never as markup or escapes.

Names, reasons and ids come from users (and, through the events, from any user). Rich would read
`Bieb [/]` as markup (and crash on it) and a terminal would obey an escape sequence in a name, so
everything user-supplied is printed through these helpers: control characters, escape sequences and
bidirectional overrides become visible codes (``\\x1b``), and Rich gets `Text`, which it never parses.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.text import Text

from application.spreadsheet import TERMINAL_UNSAFE as _UNSAFE
from application.spreadsheet import terminal_text

__all__ = ["json_text", "markup_safe", "plain", "terminal_text"]


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
