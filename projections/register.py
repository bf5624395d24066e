"""The certificate register: one row per certificate number, showing its most recent trajectory.

The certificate number is the key (organisation names repeat). When several trajectories share a
number, the row follows the one opened last (ties broken by trajectory id), so an older trajectory
that still receives events (a late survey answer) never overwrites the newer one — except that the
running certificate stays in the register until it ends or is replaced: a newer trajectory that so
far only renews it (no result, the same gecertificeerd tot) leaves the row to the certificate's own
trajectory until it has something to say (a verdict, the old certificate ending). Result and remark
come from `domain.register_entry`, gecertificeerd tot from `domain.certified_until`, and the status
from `domain.certificate_status` ('gecertificeerd tot', 'hercertificering loopt', 'verlopen', …).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

import asyncpg

from application.reports.as_of import cutoff
from application.reports.facts import TrajectoryFacts
from application.spreadsheet import csv_row
from domain import Association, CertificateStatus, certificate_status, certified_until, register_entry
from projections import bulk
from projections.trajectory_state import Folded

TABLE = "register"


_VALID = CertificateStatus.VALID.value


class RegisterTableRow(TypedDict):
    """The columns of the register table (migration 0004), written by `write`."""

    certificate_number: str
    trajectory_id: str
    organisation: str
    association: str
    framework_version: str
    opened_on: date
    result: str | None
    remark: str | None
    certified_until: date | None
    status: str
    updated_at: datetime


def _row(f: Folded) -> RegisterTableRow:
    state = f.state
    entry = register_entry(state)
    return RegisterTableRow(
        certificate_number=state.certificate_number,
        trajectory_id=state.trajectory_id,
        organisation=state.organisation,
        association=state.association.value,
        framework_version=state.framework_version,
        opened_on=state.opened_on,
        result=entry.result.value if entry.result else None,
        remark=entry.remark.value if entry.remark else None,
        certified_until=certified_until(state),
        status=certificate_status(state).value,
        updated_at=f.last.recorded_at,
    )


def takes_over(new: RegisterTableRow, old: RegisterTableRow) -> bool:
    """Whether `new` replaces `old` as the number's row (the same rule as `_TAKES_OVER` in SQL)."""
    if new["trajectory_id"] == old["trajectory_id"]:
        return True
    if (new["opened_on"], new["trajectory_id"]) <= (old["opened_on"], old["trajectory_id"]):
        return False
    only_renews = (
        new["result"] is None
        and new["status"] == _VALID
        and old["status"] == _VALID
        and old["result"] is not None
        and old["certified_until"] == new["certified_until"]
    )
    return not only_renews


_TAKES_OVER = f"""
    WHERE {TABLE}.trajectory_id = EXCLUDED.trajectory_id
       OR (({TABLE}.opened_on, {TABLE}.trajectory_id) < (EXCLUDED.opened_on, EXCLUDED.trajectory_id)
           AND NOT (EXCLUDED.result IS NULL AND EXCLUDED.status = '{_VALID}' AND {TABLE}.status = '{_VALID}'
                    AND {TABLE}.result IS NOT NULL
                    AND {TABLE}.certified_until IS NOT DISTINCT FROM EXCLUDED.certified_until))"""


async def write(conn: asyncpg.Connection, folded: Sequence[Folded]) -> None:
    """Upsert the register row of each certificate number in the batch, unless another trajectory keeps it."""
    by_number: dict[str, list[RegisterTableRow]] = {}
    for f in folded:
        by_number.setdefault(f.state.certificate_number, []).append(_row(f))
    rows = []
    for candidates in by_number.values():  # one row per number per statement, chosen as one at a time would
        candidates.sort(key=lambda r: (r["opened_on"], r["trajectory_id"]))
        kept = candidates[0]
        for row in candidates[1:]:
            if takes_over(row, kept):
                kept = row
        rows.append(kept)
    upsert = bulk.upsert_clause(["certificate_number"], bulk.columns(RegisterTableRow)) + _TAKES_OVER
    await bulk.insert(conn, TABLE, RegisterTableRow, rows, on_conflict=upsert)


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


def rows_as_of(facts: Iterable[TrajectoryFacts], peildatum: date) -> list[RegisterRow]:
    """Register lines from the facts as of a peildatum (`application.reports.as_of.register_as_of`)."""
    return [
        RegisterRow(
            certificate_number=r.certificate_number,
            organisation=r.organisation,
            association=r.association,
            result=r.result,
            remark=r.remark,
            certified_until=r.certified_until,
            status=r.status,
            trajectory_id=r.trajectory_id,
            framework_version=r.framework_version,
            opened_on=r.opened_on,
            updated_at=r.last_event_at or cutoff(peildatum),
        )
        for r in facts
    ]


CSV_COLUMNS = (
    "certificaatnummer",
    "organisatie",
    "vereniging",
    "resultaat",
    "opmerking",
    "gecertificeerd tot",
    "status",
)


def register_csv(rows: Iterable[RegisterRow]) -> str:
    """The register for Dutch Excel: semicolons, dates as 31-03-2026, a BOM so it reads UTF-8; user text
    stays text (no formulas)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            csv_row(
                [
                    r.certificate_number,
                    r.organisation,
                    r.association,
                    r.result or "",
                    r.remark or "",
                    r.certified_until.strftime("%d-%m-%Y") if r.certified_until else "",
                    r.status,
                ]
            )
        )
    return "\ufeff" + buffer.getvalue()
