"""Processes racing on the same work: one trajectory, one postponement, one set of due deadlines."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest

from application.trajectories import TrajectoryService
from tests.workflows.support import (
    AFTER_ANNOUNCEMENT,
    Env,
    events_of,
    given,
    open_payload,
    workflow_status,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

POSTPONEMENT = {
    "command_id": "cmd-request",
    "trajectory_id": "t1",
    "actor": "auditee:bieb",
    "ground": "fusie",
    "reason": "Fusie met de bibliotheek van de buurgemeente",
    "ground_effective_on": "2026-09-01",
}


def decide(command_id: str, planner: str, grant: bool) -> str:
    payload: dict[str, Any] = {
        "command_id": command_id,
        "trajectory_id": "t1",
        "actor": planner,
        "grant": grant,
        "reason": "Fusie gaat in tijdens het auditkwartaal" if grant else "Fusie raakt de audit niet",
    }
    if grant:
        payload["new_quarter"] = "2027-K1"
    return json.dumps(payload)


async def test_two_planners_deciding_one_postponement_at_once_one_wins_and_the_other_is_told_why(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """Grant and refusal of one request, released together from two processes: one decision, one explanation."""
    await given(service, pool, ("OpenTrajectory", open_payload("cmd-open")), ("RequestPostponement", POSTPONEMENT))
    go = env.root / "go"
    grant = await env.agent(
        "grant", "submit", "DecidePostponement", decide("cmd-grant", "planner:anna", True), "--go", str(go)
    )
    refuse = await env.agent(
        "refuse", "submit", "DecidePostponement", decide("cmd-refuse", "planner:bert", False), "--go", str(go)
    )
    await env.barrier(go, 2)
    outcomes = [await grant.result(), await refuse.result()]

    accepted = [o for o in outcomes if o["accepted"]]
    rejected = [o for o in outcomes if not o["accepted"]]
    assert len(accepted) == 1 and len(rejected) == 1, outcomes
    # The loser is told the request was decided a moment ago, how and by whom (issue 11).
    winner = "planner:anna" if accepted[0]["command_id"] == "cmd-grant" else "planner:bert"
    assert rejected[0]["rule"] == "postponement.already_decided"
    assert "is zojuist al beslist" in rejected[0]["message"] and f"door {winner}" in rejected[0]["message"]
    events = await events_of(pool, "trajectory-t1")
    assert [e["stream_version"] for e in events] == list(range(1, len(events) + 1))
    decisions = [e for e in events if e["event_type"] in ("PostponementGranted", "PostponementRejected")]
    assert [e["command_id"] for e in decisions] == [accepted[0]["command_id"]]
    assert not [e for e in events if e["command_id"] == rejected[0]["command_id"]]


async def test_two_different_commands_at_once_both_land_without_a_lost_update(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """Two commands that do not exclude each other: the loser of the append race re-decides on fresh state."""
    await given(service, pool, ("OpenTrajectory", open_payload("cmd-open")))
    go = env.root / "go"
    request = await env.agent("request", "submit", "RequestPostponement", json.dumps(POSTPONEMENT), "--go", str(go))
    declare = json.dumps(
        {
            "command_id": "cmd-declare",
            "trajectory_id": "t1",
            "actor": "planner:anna",
            "auditor": "Karin Jansen",
            "relation": "oud-medewerker",
        }
    )
    relation = await env.agent("relation", "submit", "DeclareConflictOfInterest", declare, "--go", str(go))
    await env.barrier(go, 2)
    outcomes = [await request.result(), await relation.result()]

    assert all(o["accepted"] for o in outcomes), outcomes
    events = await events_of(pool, "trajectory-t1")
    assert [e["stream_version"] for e in events] == list(range(1, len(events) + 1))
    assert {e["command_id"] for e in events} == {"cmd-open", "cmd-request", "cmd-declare"}
    assert len(events) == 1 + sum(len(o["events"]) for o in outcomes)


async def test_two_dispatchers_at_once_fire_each_deadline_once(
    env: Env, pool: asyncpg.Pool, service: TrajectoryService
) -> None:
    """Two processes dispatching the same ten due deadlines at the same moment: each fires once."""
    trajectories = [f"t{i}" for i in range(5)]
    await given(service, pool, *(("OpenTrajectory", open_payload(f"open-{t}", t)) for t in trajectories))
    go = env.root / "go"
    at = AFTER_ANNOUNCEMENT.isoformat()
    dispatchers = [await env.agent(f"dispatch-{i}", "dispatch", at, "--go", str(go)) for i in range(2)]
    await env.barrier(go, 2)
    reports = [await d.result() for d in dispatchers]

    by_deadline = [{r["deadline_id"]: r["outcome"] for r in report} for report in reports]
    assert len(by_deadline[0]) == 2 * len(trajectories)  # the announcement and a reminder each
    assert by_deadline[0] == by_deadline[1]  # both saw the one recorded outcome of each deadline
    for deadline_id, outcome in by_deadline[0].items():
        assert outcome["accepted"] and outcome["events"], outcome
        appended = await pool.fetchval("SELECT count(*) FROM events WHERE command_id = $1", deadline_id)
        assert appended == len(outcome["events"]), deadline_id
        assert await workflow_status(pool, deadline_id) == "SUCCESS"
