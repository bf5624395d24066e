"""The planning backlog (*stuwmeer*) per quarter, from the events: how many audits were postponed in each
quarter, and how many postponed audits were still to be held at its end.

A trajectory is in the backlog at a quarter's end when a postponement of its audit had been granted by
then and its regular audit had not yet taken place, nor had it withdrawn. The last quarter ends at the
peildatum when that comes first (its label says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from application.reports.dutch import datum
from application.reports.facts import GRANTED, TrajectoryFacts


@dataclass(frozen=True)
class BacklogQuarter:
    """One quarter: postponements granted in it, audits of postponed trajectories held in it, the backlog at its end."""

    year: int
    quarter: int
    end: date
    granted: int
    caught_up: int
    backlog: int

    @property
    def label(self) -> str:
        """'2020 K2', or '2023 K1 (t/m 21-02-2023)' for a quarter cut at the peildatum."""
        label = f"{self.year} K{self.quarter}"
        return label if self.end == quarter_end(self.year, self.quarter) else f"{label} (t/m {datum(self.end)})"

    @property
    def spoken(self) -> str:
        """'het tweede kwartaal van 2020', for a sentence."""
        return f"het {ORDINALS[self.quarter - 1]} kwartaal van {self.year}"


ORDINALS = ("eerste", "tweede", "derde", "vierde")


def quarter_end(year: int, quarter: int) -> date:
    return (date(year + (quarter == 4), quarter % 4 * 3 + 1, 1)) - timedelta(days=1)


def backlog_per_quarter(rows: Sequence[TrajectoryFacts], start: date, until: date) -> tuple[BacklogQuarter, ...]:
    """Every quarter from the one holding `start` to the one holding `until` (cut at `until`); pure."""
    if until < start:
        return ()
    quarters = []
    year, quarter = start.year, (start.month - 1) // 3 + 1
    while (year, quarter) <= (until.year, (until.month - 1) // 3 + 1):
        end = min(quarter_end(year, quarter), until)
        begin = date(year, quarter * 3 - 2, 1)
        grants = [p.answered_on for r in rows for p in r.postponements if p.outcome == GRANTED and p.answered_on]
        postponed = [r for r in rows if any(p.outcome == GRANTED and p.answered_on for p in r.postponements)]
        quarters.append(
            BacklogQuarter(
                year,
                quarter,
                end,
                granted=sum(1 for d in grants if begin <= d <= end),
                caught_up=sum(1 for r in postponed if r.audited_on and begin <= r.audited_on <= end),
                backlog=sum(1 for r in postponed if _waiting(r, end)),
            )
        )
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return tuple(quarters)


def _waiting(row: TrajectoryFacts, end: date) -> bool:
    granted = [p.answered_on for p in row.postponements if p.outcome == GRANTED and p.answered_on]
    if not granted or min(granted) > end:
        return False
    audited = row.audited_on is not None and row.audited_on <= end
    withdrawn = row.withdrawn_on is not None and row.withdrawn_on <= end
    return not audited and not withdrawn


def peak(quarters: Sequence[BacklogQuarter]) -> BacklogQuarter | None:
    """The quarter with the largest backlog (the first, on a tie)."""
    return max(quarters, key=lambda q: (q.backlog, -q.year, -q.quarter), default=None)
