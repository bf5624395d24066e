"""Two planners decide the same uitstel request at the same moment, through the command handler on the
real store: one answer is recorded, the other is told who decided, how and when."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from application.command_handler import Accepted, Rejected
from application.trajectories import TrajectoryService
from domain import DecidePostponement, OpenTrajectory, RequestPostponement
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_the_planner_who_loses_the_race_is_told_who_won_and_how(database_url: str) -> None:
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        opened = OpenTrajectory(
            command_id="open",
            trajectory_id="t1",
            actor="planner:anna",
            organisation="Bibliotheek Hengelo",
            certificate_number="1002",
            association="VOB",
            framework_version="kib-ii-2023",
            previous_certificate_expiry=date(2026, 12, 31),
        )
        asked = RequestPostponement(
            command_id="ask", trajectory_id="t1", actor="auditee", ground="verhuizing of nieuwbouw", reason="nieuwbouw"
        )
        assert isinstance(await service.handle(opened, NOW), Accepted)
        assert isinstance(await service.handle(asked, NOW), Accepted)

        def decision(actor: str, grant: bool) -> DecidePostponement:
            quarter = {"new_quarter": "2027-K1"} if grant else {}
            return DecidePostponement(
                command_id=f"decide-{actor}", trajectory_id="t1", actor=actor, grant=grant, reason=actor, **quarter
            )

        later = NOW + timedelta(days=1)
        outcomes = await asyncio.gather(
            service.handle(decision("planner:anna", True), later),
            service.handle(decision("planner:bert", False), later),
        )
        won = [o for o in outcomes if isinstance(o, Accepted)]
        lost = [o for o in outcomes if isinstance(o, Rejected)]
        assert len(won) == 1 and len(lost) == 1
        winner = won[0].events[0]["data"]["decided_by"]
        assert lost[0].rule == "postponement.already_decided"
        assert "is zojuist al beslist" in lost[0].message and f"door {winner}" in lost[0].message
        decisions = [e for e in await service.history("t1") if e.event_type.startswith("Postponement")]
        assert [e.event_type for e in decisions][-1] in ("PostponementGranted", "PostponementRejected")
        assert len(decisions) == 2  # the request and one answer
