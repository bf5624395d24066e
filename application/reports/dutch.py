"""Numbers as CBCT prints them: one decimal, Dutch comma (91,1 %), dates as 21-02-2023."""

from __future__ import annotations

from datetime import date


def decimal(value: float | None, places: int = 1) -> str:
    """83,3; '-' for nothing."""
    if value is None:
        return "-"
    return f"{value:.{places}f}".replace(".", ",")


def pct(value: float | None, places: int = 1) -> str:
    """91,1 %; '-' for nothing. CBCT prints satisfaction in whole percentages (places=0: 39 %)."""
    return "-" if value is None else f"{decimal(value, places)} %"


def datum(day: date | None) -> str:
    return "-" if day is None else f"{day.day:02d}-{day.month:02d}-{day.year}"


def long_date(day: date) -> str:
    """21 februari 2023."""
    months = (
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
    return f"{day.day} {months[day.month - 1]} {day.year}"


def count(n: int, one: str, many: str) -> str:
    """'1 traject', '3 trajecten'."""
    return f"{n} {one if n == 1 else many}"
