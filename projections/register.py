"""The certificate register: one row per certificate number, showing its most recent trajectory.

The certificate number is the key (organisation names repeat). When several trajectories share a
number, the row follows the one opened last (ties broken by trajectory id), so an older trajectory
that still receives events (a late survey answer) never overwrites the newer one. Result and remark
come from `domain.register_entry`, gecertificeerd tot from `domain.certified_until`, and the status
from `domain.certificate_status` ('gecertificeerd tot', 'hercertificering loopt', 'verlopen', …).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from domain import Association, certificate_status, certified_until, register_entry
from projections import bulk
from projections.trajectory_state import Folded

TABLE = "register"


async def write(conn: asyncpg.Connection, folded: Sequence[Folded]) -> None:
    """Upsert the register row of each certificate number in the batch, unless a newer trajectory owns it."""
    latest: dict[str, Folded] = {}
    for f in folded:  # one row per number per statement: the batch's newest trajectory for it
        number, seen = f.state.certificate_number, latest.get(f.state.certificate_number)
        if seen is None or (seen.state.opened_on, seen.trajectory_id) < (f.state.opened_on, f.trajectory_id):
            latest[number] = f
    rows = []
    for f in latest.values():
        state = f.state
        entry = register_entry(state)
        rows.append(
            {
                "certificate_number": state.certificate_number,
                "trajectory_id": state.trajectory_id,
                "organisation": state.organisation,
                "association": state.association.value,
                "framework_version": state.framework_version,
                "opened_on": state.opened_on,
                "result": entry.result.value if entry.result else None,
                "remark": entry.remark.value if entry.remark else None,
                "certified_until": certified_until(state),
                "status": certificate_status(state).value,
                "updated_at": f.last.recorded_at,
            }
        )
    newer_or_same = (
        f" WHERE {TABLE}.trajectory_id = EXCLUDED.trajectory_id"
        f" OR ({TABLE}.opened_on, {TABLE}.trajectory_id) < (EXCLUDED.opened_on, EXCLUDED.trajectory_id)"
    )
    await bulk.insert(
        conn, TABLE, rows, on_conflict=bulk.upsert_clause(["certificate_number"], rows[0]) + newer_or_same
    )


@dataclass(frozen=True)
class RegisterRow:
    """One register line: result and remark as CBCT publishes them, and gecertificeerd tot."""

    certificate_number: str
    organisation: str
    association: str
    result: str | None
    remark: str | None
    certified_until: date | None
    status: str
    trajectory_id: str
    framework_version: str
    opened_on: date
    updated_at: datetime


async def list_register(
    pool: asyncpg.Pool, *, association: Association | str | None = None, on: date | None = None
) -> list[RegisterRow]:
    """The register, by certificate number; optionally one association ('VOB', 'Cultuurconnectie', …).

    The stored status is the domain's as of the trajectory's last event; a closed trajectory gets no
    CertificateExpired, so pass `on` (a date) to show 'verlopen' for a validity that ended before it.
    """
    wanted = association.value if isinstance(association, Association) else association
    rows = await pool.fetch(
        f"""SELECT certificate_number, organisation, association, result, remark, certified_until,
                   CASE WHEN $2::date IS NOT NULL AND status = 'gecertificeerd tot' AND certified_until < $2::date
                        THEN 'verlopen' ELSE status END AS status,
                   trajectory_id, framework_version, opened_on, updated_at
            FROM {TABLE} WHERE ($1::text IS NULL OR association = $1)
            ORDER BY length(certificate_number), certificate_number""",
        wanted,
        on,
    )
    return [RegisterRow(**dict(row)) for row in rows]
