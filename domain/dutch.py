"""How summaries and read models write dates, numbers and lists in Dutch: 21-04-2026, 2,75, "A, B en C"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

from domain.vocabulary import RoundKind

ROUND_NAMES = {RoundKind.AUDIT: "Audit", RoundKind.HERAUDIT: "Heraudit", RoundKind.REASSESSMENT: "Herbeoordeling"}
"""What a round is called in a sentence."""

_WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def datum(day: date) -> str:
    """A date the Dutch way: 21-04-2026."""
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


def dag(day: date) -> str:
    """A date with its weekday: dinsdag 21-04-2026."""
    return f"{_WEEKDAYS[day.weekday()]} {datum(day)}"


def opsomming(items: Iterable[str]) -> str:
    """'A', 'A en B', 'A, B en C'."""
    values = list(items)
    if len(values) <= 1:
        return "".join(values)
    return f"{', '.join(values[:-1])} en {values[-1]}"


def datums(days: Iterable[date]) -> str:
    """Several dates: 21-04-2026 en 22-04-2026."""
    return opsomming(datum(d) for d in days)


def getal(value: float) -> str:
    """A score with a decimal comma: 2,75."""
    return f"{value:.2f}".replace(".", ",")


def normen(ids: Iterable[str]) -> str:
    """'norm 6' or 'normen 2 en 6' (module ids such as M1 read 'module M1')."""
    values = list(ids)
    names = [f"module {n}" if not n.isdigit() else n for n in values]
    if all(n.isdigit() for n in values):
        return f"{'norm' if len(values) == 1 else 'normen'} {opsomming(names)}"
    return opsomming(n if not n.isdigit() else f"norm {n}" for n in names)


@cache
def kader(version: str) -> str:
    """The framework's name (Kwaliteit in Beeld II 2023-2026), or its id when there is no rule file."""
    from frameworks.loader import load_rules  # the packaged framework data, read once; it imports the domain

    try:
        return load_rules(version).name
    except LookupError:
        return version
