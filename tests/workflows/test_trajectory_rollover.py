"""A long-lived workflow stays small: it continues as new when Temporal suggests it, every command
answered across the roll-over, its deadlines still timed in the next run."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from domain import DeclareConflictOfInterest, OpenTrajectory
from tests.workflows.rig import Rig

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROUND = 200
MOST = 2_400


async def test_the_workflow_continues_as_new_and_answers_every_command(
    rig: Rig, request: pytest.FixtureRequest
) -> None:
    """Commands 8 at a time, in rounds, until Temporal suggests a roll-over (at about 4,000 history
    events: 1,001-1,200 commands, measured, now that each is decided in a local activity); bounded."""
    if request.node.callspec.params.get("server_url") != "embedded":
        pytest.skip("about the workflow, not the Postgres server: once is enough")
    await rig.send(
        OpenTrajectory,
        "2025-11-03",
        "t-r",
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 12, 31),
        contact_email="an@bibliotheekhengelo.example",
    )
    client = await rig.client()
    gate = asyncio.Semaphore(8)

    async def declare(i: int) -> bool:
        async with gate:
            verdict = await client.submit(
                DeclareConflictOfInterest(
                    command_id=f"t-r/rel-{i}",
                    trajectory_id="t-r",
                    actor="test",
                    auditor=f"Auditor {i}",
                    relation="oud-collega",
                )
            )
            return verdict.accepted

    sent = 0
    while True:
        answers = await asyncio.gather(*(declare(i) for i in range(sent, sent + ROUND)))
        assert all(answers)
        sent += ROUND
        history = await client.handle("t-r").fetch_history()  # the latest run's
        started = history.events[0].workflow_execution_started_event_attributes
        if started.continued_execution_run_id:
            break
        assert sent < MOST, f"the workflow did not continue as new after {sent} commands"
    assert [v for v, _, _ in await rig.events("t-r")] == list(range(1, sent + 2))
    status = await client.status("t-r")
    assert status.commands_handled == sent + 1
    assert status.next_deadline is not None and status.next_deadline.kind == "announcement"
