"""The cursor of a keyset page: the last row's key, carried by the `next` link as URL-safe base64 JSON.

`decode` checks each part with its parser (`text`, `number`, `moment`, `day`) and answers anything else
with 422 naming `cursor`: a cursor is the client's input like any other. Shared by the API's pages and
the pages of the web app.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from interfaces.http import problems

TEXT = r"^[^\x00-\x1f\x7f]+$"
"""Text in a query, a path or a cursor: no control characters (Postgres refuses NUL; none belongs in a
name or id)."""
UNKNOWN = "onbekende cursor: neem de next-link van de vorige pagina over"


def encode(key: tuple[Any, ...]) -> str:
    plain = [v.isoformat() if isinstance(v, (date, datetime)) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str | None, *parsers: Callable[[Any], Any]) -> tuple[Any, ...] | None:
    """The key a `next` link carries, each part checked by its parser; 422 naming `cursor` otherwise."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(parsers):
            raise ValueError(cursor)
        return tuple(parse(value) for parse, value in zip(parsers, values, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise problems.invalid([{"field": "query.cursor", "rule": "cursor", "message": UNKNOWN}]) from None


def text(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(TEXT, value):
        raise ValueError(value)
    return value


def number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(value)
    return value


def moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(text(value))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


def day(value: Any) -> date:
    return date.fromisoformat(text(value))
