"""Stuck trajectories: a listed deadline overdue by more than a grace period, and no progress since.

A query over the deadlines and overview read models (no table of its own): a trajectory is stuck at
`now` when one of its listed deadlines fell due more than `grace_days` days ago — fired or not, since
a hard deadline stays listed until its step is done — and its last *progress* event (see
`projections.overview.NOT_PROGRESS`: the dispatcher's DeadlineMissed and reminders do not count)
happened before that deadline fell due. One row per trajectory: its longest-overdue deadline.
Workflows that stopped, and activities that keep failing, are ops' other source of stuck work and
come from Temporal (`cbct workflows failed`), not from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from domain.calendar import require_aware


@dataclass(frozen=True)
class StuckTrajectory:
    """A trajectory waiting on an overdue step."""

    trajectory_id: str
    organisation: str
    phase: str
    deadline_id: str
    kind: str
    label: str
    party: str
    due_on: date
    due_at: datetime
    fired: bool
    days_overdue: int
    last_event_at: datetime
    last_progress_at: datetime


async def stuck_trajectories(pool: asyncpg.Pool, now: datetime, grace_days: int) -> list[StuckTrajectory]:
    """Stuck trajectories at `now`, longest overdue first."""
    if grace_days < 0:
        raise ValueError(f"grace_days: must be >= 0, not {grace_days}")
    now = require_aware(now)
    rows = await pool.fetch(
        """SELECT * FROM (
               SELECT DISTINCT ON (d.trajectory_id)
                      d.trajectory_id, t.organisation, t.phase, d.deadline_id, d.kind, d.label, d.party,
                      d.due_on, d.due_at, d.fired, t.last_event_at, t.last_progress_at
               FROM deadlines d JOIN trajectories t USING (trajectory_id)
               WHERE d.due_at < $1 AND t.last_progress_at < d.due_at
               ORDER BY d.trajectory_id, d.due_at, d.deadline_id
           ) stuck
           ORDER BY due_at, trajectory_id""",
        now - timedelta(days=grace_days),
    )
    return [StuckTrajectory(**dict(row), days_overdue=(now - row["due_at"]).days) for row in rows]
