"""One durable workflow per due deadline: its id is the deadline id, so each deadline fires once.

The dispatcher passes the moment it fires at (`now`): the wall clock in production, the controlled
clock's position during `cbct clock tick` (which stops the clock at each due moment). That moment is
an input, so a recovered workflow decides exactly as the first attempt would have, and a reminder
sent a day late records the day it was really sent. The domain re-checks the trajectory (`FireDeadline`
→ `domain.on_deadline`): a deadline met a moment ago fires nothing. Like a command's workflow it has
no DBOS step (why: `workflows/commands.py`); transient failures are retried in place for about an hour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dbos import DBOS, WorkflowSerializationFormat

from application.command_handler import Outcome
from domain import FireDeadline
from infrastructure.logging import bind_operation, get_logger
from workflows import engine, faults
from workflows.commands import outcome_dict
from workflows.transient import retrying

log = get_logger(__name__)

ACTOR = "system:deadlines"


def deadline_input(deadline_id: str, trajectory_id: str, kind: str, due_at: datetime) -> dict[str, Any]:
    """A due deadline as JSON-safe workflow input."""
    return {"deadline_id": deadline_id, "trajectory_id": trajectory_id, "kind": kind, "due_at": due_at.isoformat()}


async def fire(deadline: dict[str, Any], now: str) -> dict[str, Any]:
    """`FireDeadline` through the command handler; command id = deadline id, so it appends at most once."""
    app = engine.runtime()
    command = FireDeadline(
        command_id=deadline["deadline_id"],
        trajectory_id=deadline["trajectory_id"],
        actor=ACTOR,
        deadline_id=deadline["deadline_id"],
    )
    with bind_operation(
        deadline_id=deadline["deadline_id"], trajectory_id=deadline["trajectory_id"], kind=deadline["kind"]
    ):
        # Nobody waits on a deadline: through a database restart or a long outage (1 s ... ~34 min,
        # about an hour in all) rather than fail and wait for ops.
        handled: Outcome = await retrying(12, first_wait=1.0, max_wait=3600.0)(
            app.service.handle, command, datetime.fromisoformat(now)
        )
        outcome = outcome_dict(handled)
        if outcome["accepted"]:
            log.info("deadline_fired", events=len(outcome["events"]), duplicate=outcome["duplicate"], at=now)
        else:
            log.warning("deadline_refused", rule=outcome["rule"], message=outcome["message"])
        await faults.pause_point("deadline:after_append", DBOS.workflow_id)
    return outcome


@DBOS.workflow(name="cbct.deadline", serialization_type=WorkflowSerializationFormat.PORTABLE)
async def deadline_workflow(deadline: dict[str, Any], now: str) -> dict[str, Any]:
    """Fire one due deadline at `now` (ISO 8601, chosen by the dispatcher)."""
    return await fire(deadline, now)
