"""Numbers as CBCT prints them: one decimal, Dutch comma, a real minus sign, a thousands point, and a
non-breaking space between a number and its unit (91,1 %), so a line never breaks between the two."""

from __future__ import annotations

from datetime import date

NBSP = "\u00a0"  # no-break space: reportlab and Word never wrap a line there
MINUS = "\u2212"  # the minus sign; a hyphen is not one

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def decimal(value: float | None, places: int = 1) -> str:
    """83,3 and −4,2 (minus sign); '-' for nothing."""
    if value is None:
        return "-"
    text = f"{abs(value):,.{places}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{MINUS}{text}" if value < 0 and text.strip("0,.") else text


def signed(value: float, places: int = 1) -> str:
    """+10,1 or −4,2: a difference, always with its sign."""
    return decimal(value, places) if value < 0 else f"+{decimal(value, places)}"


def number(n: int) -> str:
    """A count with a thousands point: 5.992 (never a certificate number or a year)."""
    text = f"{abs(n):,}".replace(",", ".")
    return f"{MINUS}{text}" if n < 0 else text


def pct(value: float | None, places: int = 1) -> str:
    """91,1 % with a no-break space; '-' for nothing. CBCT prints satisfaction whole (places=0: 39 %)."""
    return "-" if value is None else f"{decimal(value, places)}{NBSP}%"


def points(value: float) -> str:
    """A difference in percentage points: +10,1 procentpunt (no break inside)."""
    return f"{signed(value)}{NBSP}procentpunt"


def n_is(n: int) -> str:
    """'n = 144' that does not break."""
    return f"n{NBSP}={NBSP}{number(n)}"


def datum(day: date | None) -> str:
    return "-" if day is None else f"{day.day:02d}-{day.month:02d}-{day.year}"


def long_date(day: date) -> str:
    """21 februari 2023."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def count(n: int, one: str, many: str) -> str:
    """'1 traject', '5.992 beoordelingen'."""
    return f"{number(n)} {one if n == 1 else many}"


def lower_first(name: str) -> str:
    """A name inside a sentence: 'Middelen' → 'middelen', but 'PDCA' and 'Sturen op resultaten (PDCA)' keep
    their acronym ('sturen op resultaten (PDCA)')."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def listing(items: list[str] | tuple[str, ...]) -> str:
    """'a, b en c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} en {items[-1]}"


def cell_text(value: str | int | float | None) -> str:
    """A table cell in a document: counts with a thousands point, one decimal with a comma, '' for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number(value)
    if isinstance(value, float):
        return decimal(value)
    return value
