"""Norm scores compared nationally: per norm the average, lowest and highest score of all trajectories.

CBCT shows an auditee its own score per norm beside these figures. They are taken over the latest scores
of every trajectory that has any (`trajectories.norm_scores`, the current round's) in the same framework
version, since another version asks other questions. No trajectory is named: only counts and figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from projections.overview import TABLE


@dataclass(frozen=True)
class NormFigures:
    """One norm's national figures over `count` trajectories."""

    norm: str
    average: float
    lowest: float
    highest: float
    count: int


async def national_norm_figures(
    pool: asyncpg.Pool | asyncpg.Connection, framework_version: str
) -> dict[str, NormFigures]:
    """Per norm (or module) id: the figures over the latest norm scores of every trajectory of this version."""
    rows = await pool.fetch(
        f"""SELECT s.key AS norm, avg(s.value::float8) AS average, min(s.value::float8) AS lowest,
                   max(s.value::float8) AS highest, count(*)::int AS count
            FROM {TABLE} t CROSS JOIN LATERAL jsonb_each_text(t.norm_scores) AS s(key, value)
            WHERE t.framework_version = $1
            GROUP BY s.key""",
        framework_version,
    )
    return {row["norm"]: NormFigures(**dict(row)) for row in rows}
