"""The steps a trajectory page offers: the role's commands that fit the trajectory's state now.

Pure: the state is folded from the domain's own decisions (no store, no browser).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from application.access import Principal, Role
from application.trajectories import rules_for_version
from domain import commands as c
from domain import decide, evolve
from domain.state import TrajectoryState
from interfaces.web.steps import steps_for

NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
PLANNER = Principal("piet", "Piet Planner", Role.PLANNER)
AUDITEE = Principal("an", "An de Vries", Role.AUDITEE, organisation="1002")
DIRECTOR = Principal("dirk", "Dirk Directeur", Role.DIRECTOR)


def _after(*commands: c.Command) -> TrajectoryState:
    state: TrajectoryState | None = None
    rules = rules_for_version("kib-ii-2023")
    for command in commands:
        for event in decide(state, command, NOW, rules):
            state = evolve(state, event)
    assert state is not None
    return state


def _cmd(cls: type[c.Command], n: int, **fields: Any) -> c.Command:
    return cls(command_id=f"c{n}", trajectory_id="T-1", actor="planner:piet", **fields)


OPENED = _cmd(
    c.OpenTrajectory, 1, organisation="Bibliotheek Hengelo", certificate_number="1002", association="VOB",
    framework_version="kib-ii-2023", previous_certificate_expiry="2026-06-30",
)  # fmt: skip


def _offered(viewer: Principal, state: TrajectoryState) -> list[str]:
    return [form.name for form in steps_for(viewer, state, NOW)]


def test_a_just_opened_trajectory_offers_what_fits_its_phase_to_each_role() -> None:
    state = _after(OPENED)
    assert _offered(PLANNER, state) == [
        "SendAnnouncement", "WithdrawParticipation", "ChangeContacts", "DeclareConflictOfInterest",
        "RequestPostponement",
    ]  # fmt: skip
    assert "ScheduleAudit" not in _offered(PLANNER, state)  # not in phase 'geopend'
    assert "DecidePostponement" not in _offered(PLANNER, state)  # no request pending
    assert _offered(AUDITEE, state) == ["WithdrawParticipation", "ChangeContacts", "RequestPostponement"]  # no survey
    assert _offered(DIRECTOR, state) == ["ExtendValidity"]  # no decision yet; the running certificate


def test_a_pending_request_is_offered_for_decision() -> None:
    state = _after(OPENED, _cmd(c.RequestPostponement, 2, ground="fusie", reason="Fusie.",
                                ground_effective_on="2026-01-01"))  # fmt: skip
    assert state.postponements.pending is not None
    assert "DecidePostponement" in _offered(PLANNER, state)


def test_a_closed_trajectory_offers_no_change_of_contacts() -> None:
    state = _after(OPENED, _cmd(c.WithdrawParticipation, 2, reason="De bibliotheek stopt met certificeren."))
    assert not state.is_open
    assert "ChangeContacts" not in _offered(PLANNER, state) + _offered(AUDITEE, state)
