"""Parsing JSON a user hands in (`--data '{…}'` or a file), bounded before the parser runs.

`json.loads` recurses once per nesting level and reads any number of digits: 100,000 `[` end in a
RecursionError, a 5,000-digit number in a ValueError, a 1 GB text in the memory. The text's size and
depth are measured first, in one pass that keeps nothing, and every refusal is one Dutch line naming
the input.
"""

from __future__ import annotations

import json
from typing import Any


class JsonInputError(ValueError):
    """The input is not a bounded JSON object; the message names the input and the rule (in Dutch)."""


def nesting_depth(text: str, limit: int) -> int:
    """The deepest nesting of `[`/`{` outside strings, counted up to just past `limit`."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is geen JSON-getal")


def parse_object(text: str, *, name: str, max_bytes: int, max_depth: int) -> dict[str, Any]:
    """The JSON object in `text`, or JsonInputError naming `name`: too large, too deep, not JSON, not an object."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise JsonInputError(f"{name}: te groot ({size} bytes; ten hoogste {max_bytes})")
    if nesting_depth(text, max_depth) > max_depth:
        raise JsonInputError(f"{name}: te diep genest (meer dan {max_depth} niveaus)")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise JsonInputError(
            f"{name}: is geen geldige JSON ({error.msg}, regel {error.lineno} kolom {error.colno})"
        ) from None
    except (ValueError, RecursionError) as error:  # NaN/Infinity, an integer of thousands of digits
        raise JsonInputError(f"{name}: is geen bruikbare JSON ({error})") from None
    if not isinstance(value, dict):
        raise JsonInputError(f"{name}: moet een JSON-object zijn ({{…}})")
    return value
