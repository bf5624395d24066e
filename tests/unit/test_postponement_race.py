"""Two planners answer the same uitstel request: the second answer says who decided it, how and when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from domain import DecidePostponement, InvalidCommand, RequestPostponement, decide
from domain.events import PostponementGranted, PostponementRejected
from tests.unit.driver import Trajectory, at

Planned = Callable[..., Trajectory]


def answer(t: Trajectory, when: datetime, actor: str, **fields: object) -> None:
    """A planner's answer, decided and applied at `when` under their own name."""
    command = DecidePostponement(command_id=f"{actor}-{when.isoformat()}", trajectory_id="t-1", actor=actor, **fields)
    t.apply(decide(t.state, command, when, t.rules))


def requested(planned_each: Planned) -> Trajectory:
    t = planned_each()
    t.do(RequestPostponement, "2026-01-05", ground="verhuizing of nieuwbouw", reason="nieuwbouw centrale")
    return t


def test_the_answer_records_the_planner(planned_each: Planned) -> None:
    """Granted and rejected both carry who decided (the command's actor)."""
    t = requested(planned_each)
    answer(t, at("2026-01-06"), "planner:anna", grant=True, reason="akkoord", new_quarter="2026-K3")
    assert isinstance(t.events[-1], PostponementGranted) and t.events[-1].decided_by == "planner:anna"
    t.do(RequestPostponement, "2026-01-07", ground="langdurige afwezigheid management", reason="ziek")
    answer(t, at("2026-01-08"), "planner:bert", grant=False, reason="interim geregeld")
    assert isinstance(t.events[-1], PostponementRejected) and t.events[-1].decided_by == "planner:bert"


@pytest.mark.parametrize(
    ("later", "when"),
    [
        (timedelta(seconds=0), "zojuist"),
        (timedelta(seconds=59), "zojuist"),
        (timedelta(seconds=60), "1 minuut geleden"),
        (timedelta(minutes=59, seconds=59), "59 minuten geleden"),
        (timedelta(hours=1), "1 uur geleden"),
        (timedelta(hours=23, minutes=59), "23 uur geleden"),
        (timedelta(days=1), "op 2026-01-06"),
    ],
)
def test_a_second_answer_says_it_was_decided_a_moment_ago_how_and_by_whom(
    planned_each: Planned, later: timedelta, when: str
) -> None:
    """Anna grants request 1 at 10:00; Bert's rejection a moment later is refused, naming Anna's answer."""
    t = requested(planned_each)
    first = at("2026-01-06")
    answer(t, first, "planner:anna", grant=True, reason="nieuwbouw is aangetoond", new_quarter="2026-K3")
    before = len(t.events)
    with pytest.raises(InvalidCommand) as refused:
        answer(t, first + later, "planner:bert", grant=False, reason="geen grond")
    assert refused.value.rule == "postponement.already_decided"
    assert refused.value.message == (
        f"uitstelverzoek 1 (verhuizing of nieuwbouw) is {when} al beslist: verleend (nieuw auditkwartaal "
        "2026-K3) door planner:anna, met als reden 'nieuwbouw is aangetoond'; er ligt geen ander verzoek"
    )
    assert len(t.events) == before


def test_a_second_answer_to_a_rejected_request_names_the_rejection(planned_each: Planned) -> None:
    """Bert rejected; Anna's grant a minute later is refused with Bert's reason."""
    t = requested(planned_each)
    answer(t, at("2026-01-06"), "planner:bert", grant=False, reason="geen grond")
    with pytest.raises(
        InvalidCommand,
        match=r"is 2 minuten geleden al beslist: geweigerd door planner:bert, met als reden 'geen grond'",
    ):
        answer(
            t, at("2026-01-06") + timedelta(minutes=2), "planner:anna", grant=True, reason="ok", new_quarter="2026-K3"
        )


def test_naming_an_answered_request_while_another_waits_points_to_the_waiting_one(planned_each: Planned) -> None:
    """Request 1 was granted and request 2 waits: an answer aimed at request 1 says so and names 2."""
    t = requested(planned_each)
    answer(t, at("2026-01-06"), "planner:anna", grant=True, reason="ok", new_quarter="2026-K3")
    t.do(RequestPostponement, "2026-01-07", ground="langdurige afwezigheid management", reason="ziek")
    with pytest.raises(InvalidCommand, match=r"uitstelverzoek 1 .* al beslist: .*; verzoek 2 wacht nog op een besluit"):
        answer(t, at("2026-01-07"), "planner:bert", request_number=1, grant=False, reason="nee")


def test_an_answer_recorded_without_a_planner_is_explained_without_one(planned_each: Planned) -> None:
    """Events from before the planner was kept have no decided_by: the explanation leaves 'door' out."""
    t = requested(planned_each)
    t.apply(
        [
            PostponementRejected(
                trajectory_id="t-1",
                occurred_at=at("2026-01-06"),
                request_number=1,
                reason="nee",
                decided_on=at("2026-01-06").date(),
            )
        ]
    )
    with pytest.raises(InvalidCommand, match=r"al beslist: geweigerd, met als reden 'nee'"):
        answer(t, at("2026-01-06"), "planner:anna", grant=False, reason="nee")


def test_without_any_request_the_old_answer_stands(planned_each: Planned) -> None:
    """Nothing was ever requested: 'geen uitstelverzoek ter beslissing'."""
    t = planned_each()
    with pytest.raises(InvalidCommand) as refused:
        answer(t, at("2026-01-06"), "planner:anna", grant=False, reason="nee")
    assert refused.value.rule == "postponement.none_pending"
