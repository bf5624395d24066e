"""A workflow follows its trajectory's stream (patch `follow-store`): events appended outside its history
(here straight through the service, as an update the server lost in a crash leaves them) are picked
up by the `refresh` update and by the next decision that finds the stream moved.

`CBCT_RECORD_HISTORY=1` also writes the run's history as `histories/trajectory-followed-store-<date>.json`
for the replay test.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType

from domain import DeclareConflictOfInterest, OpenTrajectory, RecordIntake, RequestPostponement, WithdrawParticipation
from tests.unit.driver import CONTACT
from tests.workflows.rig import Rig
from tests.workflows.support import wait_until
from workflows.contracts import TrajectoryStatus
from workflows.trajectory import FOLLOW_STORE

pytestmark = pytest.mark.asyncio(loop_scope="session")

HISTORIES = Path(__file__).parent / "histories"
TID = "t-h"  # the replay test reads every recorded history under this workflow id


async def _store(rig: Rig) -> tuple[int, object]:
    """The stream's version and its next unfired deadline, as the store has them."""
    _state, pending, _last, version = await rig.service.outlook(TID)
    return version, next((d.due_at for d in pending if not d.fired), None)


async def _append_outside(rig: Rig, command: RecordIntake | DeclareConflictOfInterest) -> None:
    """Store a command's events without its workflow knowing (what a lost update leaves behind)."""
    assert (await rig.service.handle(command, await rig.now())).__class__.__name__ == "Accepted"


async def test_a_workflow_picks_up_events_appended_outside_its_history(rig: Rig) -> None:
    """Refresh: the schedule is read again (version and next deadline equal the store's); a later
    command that finds the stream moved reloads it too."""
    await rig.send(
        OpenTrajectory,
        "2025-11-03",
        TID,
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 12, 31),
        contact_email="an@bibliotheekhengelo.example",
    )
    await rig.until("2026-07-20")  # the announcement and the intake reminders fire by timer
    client = await rig.client()
    await wait_until(lambda: _idle(rig), "the timers' e-mails to go out")
    intake = RecordIntake(
        command_id="outside/intake", trajectory_id=TID, actor="test", contacts=(CONTACT,), locations=("C",), employees=9
    )
    await _append_outside(rig, intake)
    version, due = await _store(rig)
    behind = await client.status(TID)
    assert behind.version is not None and behind.version < version

    refreshed = await client.refresh(TID, version)
    assert refreshed.version == version
    assert (refreshed.next_deadline.due_at if refreshed.next_deadline else None) == due

    await _append_outside(
        rig,
        DeclareConflictOfInterest(
            command_id="outside/relation", trajectory_id=TID, actor="test", auditor="E", relation="oud-collega"
        ),
    )
    verdict = await rig.send(RequestPostponement, "2026-07-21", TID, ground="overmacht", reason="brand")
    status = await client.status(TID)
    assert status.version == verdict.stream_version == (await _store(rig))[0]

    await rig.send(WithdrawParticipation, "2026-07-22", TID, reason="fusie")
    handle = client.handle(TID)
    await handle.result()
    history = await handle.fetch_history()
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert any(FOLLOW_STORE.encode() in e.SerializeToString() for e in markers)
    if os.environ.get("CBCT_RECORD_HISTORY") == "1":
        path = HISTORIES / f"trajectory-followed-store-{date.today().isoformat()}.json"
        path.write_text(history.to_json(), encoding="utf-8")


async def _idle(rig: Rig) -> TrajectoryStatus | None:
    status = await (await rig.client()).status(TID)
    return status if status.emails_pending == 0 else None
