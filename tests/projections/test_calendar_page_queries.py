"""What the planner's calendar page reads (projections/calendar.py): the audits with a day in a period,
and the auditors' names, on rows written straight into the read model (their index-backed forms,
migration 0012, must answer exactly what the plain forms did)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import pytest
import pytest_asyncio

from infrastructure.database import open_pool
from projections.calendar import auditor_names, audits_between

pytestmark = pytest.mark.asyncio(loop_scope="session")

AT = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with open_pool(database_url) as opened:
        await opened.executemany(
            """INSERT INTO calendar_audits (trajectory_id, round_number, round_kind, organisation,
                   certificate_number, audit_dates, expert_auditor, peer_auditor, status, sequence, held,
                   first_scheduled_at, changed_at)
               VALUES ($1, 0, 'audit', $2, $1, $3, $4, $5, $6, 0, false, $7, $7)""",
            [
                ("T-1", "Bibliotheek A", [date(2026, 4, 20)], "Ellen Expert", "Peter Peer", "confirmed", AT),
                # two days around the week of 21-04, none in it
                ("T-2", "Bibliotheek B", [date(2026, 4, 17), date(2026, 4, 27)], "Karel Kundig", "", "confirmed", AT),
                (
                    "T-3",
                    "Bibliotheek C",
                    [date(2026, 4, 24), date(2026, 4, 28)],
                    "Ellen Expert",
                    "Anna Ander",
                    "cancelled",
                    AT,
                ),  # cancelled
                ("T-4", "Bibliotheek D", [date(2026, 4, 26)], "Zora Zee", "Peter Peer", "confirmed", AT),
            ],
        )
        yield opened


async def test_audits_between_holds_the_audits_with_a_day_in_the_period(pool: asyncpg.Pool) -> None:
    week = await audits_between(pool, date(2026, 4, 20), date(2026, 4, 26))
    assert [e.trajectory_id for e, _ in week] == ["T-1", "T-3", "T-4"]  # by first day; T-2 straddles it
    assert [e.cancelled for e, _ in week] == [False, True, False]
    assert [e.trajectory_id for e, _ in await audits_between(pool, date(2026, 4, 27), date(2026, 4, 27))] == ["T-2"]
    assert await audits_between(pool, date(2026, 4, 21), date(2026, 4, 23)) == []
    peter = await audits_between(pool, date(2026, 4, 1), date(2026, 4, 30), auditor="Peter Peer")
    assert [e.trajectory_id for e, _ in peter] == ["T-1", "T-4"]


async def test_auditor_names_lists_each_expert_and_peer_once_by_name(pool: asyncpg.Pool) -> None:
    assert await auditor_names(pool) == ["Anna Ander", "Ellen Expert", "Karel Kundig", "Peter Peer", "Zora Zee"]
