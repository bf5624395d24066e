"""Issue 18, case 6: two openings of one certificate number at the same instant cannot both pass.

The ownership check reads the store; each opening is appended together with a reservation in the
number's stream (`certificate-<number>`) at the version read before the check, in one transaction. Of
two openings at once, the second finds that version moved, reads again and is refused by the rule that
always applied (the number belongs to the first one's organisation). The rules themselves are as
before: the same organisation's next cycle opens, and a store from before reservations keeps working.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import pytest

from application.command_handler import Accepted, Rejected
from application.event_store import EventStore, NewEvent, Reservation, WrongExpectedVersion
from application.trajectories import (
    NUMBER_RESERVED,
    Informed,
    TrajectoryDecider,
    TrajectoryService,
    certificate_stream,
    stream_id,
)
from domain import CertificateFacts, DecideCertification, OpenTrajectory, RecordSurveyAnswer
from frameworks.loader import load_rules
from infrastructure.database import open_pool
from infrastructure.memory_event_store import InMemoryEventStore
from infrastructure.postgres_event_store import PostgresEventStore
from tests.projections.world import World, opened_2019, run_audit
from tests.unit.driver import at

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROUNDS = 8


def opening(
    trajectory_id: str, organisation: str, number: str, expiry: date | None = date(2019, 3, 31)
) -> OpenTrajectory:
    return OpenTrajectory(
        command_id=f"open-{trajectory_id}",
        trajectory_id=trajectory_id,
        actor="planner",
        organisation=organisation,
        certificate_number=number,
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry=expiry,
    )


class Together(PostgresEventStore):
    """A store whose openings wait for each other just before appending: both have read the number's
    facts (nothing yet) when either writes — the race, made certain rather than likely."""

    def __init__(self, pool: asyncpg.Pool, barrier: asyncio.Barrier) -> None:
        super().__init__(pool)
        self._barrier = barrier
        self._waited: set[str] = set()

    async def append(self, stream_id: str, events: Sequence[NewEvent], expected_version: Any, **kw: Any) -> Any:
        if events and events[0].event_type == "TrajectoryOpened" and stream_id not in self._waited:
            self._waited.add(stream_id)
            async with asyncio.timeout(30):
                await self._barrier.wait()
        return await super().append(stream_id, events, expected_version, **kw)


def one_wins(outcomes: Sequence[Any], openings: Sequence[OpenTrajectory]) -> tuple[OpenTrajectory, Rejected]:
    """Exactly one opening accepted; the other refused by the existing rule, naming the winner."""
    accepted = [(o, c) for o, c in zip(outcomes, openings, strict=True) if isinstance(o, Accepted)]
    rejected = [o for o in outcomes if isinstance(o, Rejected)]
    assert len(accepted) == 1 and len(rejected) == 1, outcomes
    winner = accepted[0][1]
    refusal = rejected[0]
    assert refusal.rule == "certificate.number_taken", refusal
    assert f"hoort bij {winner.organisation} (traject {winner.trajectory_id})" in refusal.message
    return winner, refusal


async def test_two_openings_of_one_number_at_the_same_instant_one_wins(database_url: str) -> None:
    """Two services (as two workers), two organisations, one number, both past the read before either
    writes: one opening is stored, the other refused naming the holder, and nothing of it is written."""
    async with open_pool(database_url) as pool:
        for round_ in range(ROUNDS):
            barrier = asyncio.Barrier(2)
            here, there = TrajectoryService(Together(pool, barrier)), TrajectoryService(Together(pool, barrier))
            number = f"90{round_:02d}"
            openings = [
                opening(f"a-{number}", "Bibliotheek Aa", number),
                opening(f"b-{number}", "Bibliotheek Bee", number),
            ]

            outcomes = await asyncio.gather(
                here.handle(openings[0], at("2018-06-15")), there.handle(openings[1], at("2018-06-15"))
            )

            winner, _ = one_wins(outcomes, openings)
            loser = next(o for o in openings if o is not winner)
            assert await here.history(loser.trajectory_id) == []
            reserved = await PostgresEventStore(pool).read_stream(certificate_stream(number))
            assert [(e.event_type, e.data["trajectory_id"]) for e in reserved] == [
                (NUMBER_RESERVED, winner.trajectory_id)
            ]
            opened = await here.history(winner.trajectory_id)
            assert opened[0].transaction_id == reserved[0].transaction_id  # one transaction


class Lagging(Together):
    """Together, and its global order lags behind (a long transaction elsewhere holds it back; `settle`
    gives up): the index of openings sees none of them."""

    async def settle(self, within: float = 5.0) -> bool:
        return False

    async def read_all(self, *args: Any, **kw: Any) -> Any:
        return []


async def test_one_wins_even_while_the_global_order_lags(database_url: str) -> None:
    """The loser's second look reads the number's stream itself, which sees every committed opening at
    once: it is refused naming the winner though the global order shows nothing yet."""
    async with open_pool(database_url) as pool:
        barrier = asyncio.Barrier(2)
        here, there = TrajectoryService(Lagging(pool, barrier)), TrajectoryService(Lagging(pool, barrier))
        openings = [opening("a-lag", "Bibliotheek Aa", "9300"), opening("b-lag", "Bibliotheek Bee", "9300")]

        outcomes = await asyncio.gather(
            here.handle(openings[0], at("2018-06-15")), there.handle(openings[1], at("2018-06-15"))
        )

        one_wins(outcomes, openings)


async def test_many_openings_started_together_without_help_still_one_per_number(database_url: str) -> None:
    """No barrier: several pairs of openings gathered at once, on their own timing; one per number."""
    async with open_pool(database_url) as pool:
        services = [TrajectoryService(PostgresEventStore(pool)) for _ in range(2)]
        numbers = [f"91{n:02d}" for n in range(ROUNDS)]
        pairs = [(opening(f"c-{n}", "Bibliotheek Cee", n), opening(f"d-{n}", "Bibliotheek Dee", n)) for n in numbers]

        outcomes = await asyncio.gather(
            *(services[i].handle(pair[i], at("2018-06-15")) for pair in pairs for i in range(2))
        )

        for k, pair in enumerate(pairs):
            one_wins(outcomes[2 * k : 2 * k + 2], pair)


async def test_the_same_organisations_next_cycle_takes_the_number_again(world: World) -> None:
    """The rules as before: after a decision, the holder's next trajectory opens under its number (the
    reservation stream just moves on); another organisation is still refused, naming the holder."""
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await run_audit(world, "kib-1036", "2019-02-12", plan_on="2018-12-03")
    await world.do(DecideCertification, "2019-03-15", "kib-1036")
    await world.do(RecordSurveyAnswer, "2019-03-20", "kib-1036", answer="tevreden")

    other, mine = (
        opening("other", "Bibliotheek Eindhoven", "1036", None),
        opening("next", "Bibliotheek Helmond-Peel", "1036", None),
    )
    taken, opened = await asyncio.gather(
        world.service.handle(other, at("2019-04-01")), TrajectoryService(world.store).handle(mine, at("2019-04-01"))
    )

    assert isinstance(opened, Accepted), opened
    assert isinstance(taken, Rejected) and taken.rule == "certificate.number_taken"
    assert "hoort bij Bibliotheek Helmond-Peel" in taken.message
    reserved = await world.store.read_stream(certificate_stream("1036"))
    assert [e.data["trajectory_id"] for e in reserved] == ["kib-1036", "next"]


async def test_a_store_from_before_reservations_keeps_its_holders(world: World) -> None:
    """An opening stored without a reservation (before this change) still holds its number: two other
    organisations opening it at once are both refused naming it, and nothing is reserved for them; the
    number's first opening since starts the reservation stream."""
    legacy = opening("legacy", "Bibliotheek Oud", "1200")
    decider = TrajectoryDecider()
    events = decider.decide(
        None, Informed(legacy, CertificateFacts.unknown("1200")), at("2018-06-15"), load_rules("kib-2018")
    )
    stored = [NewEvent(kind, data, version) for kind, version, data in map(decider.to_stored, events)]
    await world.store.append(stream_id("legacy"), stored, 0, command_id=legacy.command_id)

    first, second = await asyncio.gather(
        world.service.handle(opening("x", "Bibliotheek X", "1200"), at("2018-07-01")),
        TrajectoryService(world.store).handle(opening("y", "Bibliotheek Y", "1200"), at("2018-07-01")),
    )

    for refused in (first, second):
        assert isinstance(refused, Rejected) and "hoort bij Bibliotheek Oud (traject legacy)" in refused.message
    assert await world.store.read_stream(certificate_stream("1200")) == []
    fresh = await world.service.handle(opening("new", "Bibliotheek Nieuw", "1201"), at("2018-07-01"))
    assert isinstance(fresh, Accepted)
    assert len(await world.store.read_stream(certificate_stream("1201"))) == 1


@pytest.mark.parametrize("kind", ["postgres", "memory"])
async def test_an_append_with_a_reservation_is_all_or_nothing(kind: str, database_url: str) -> None:
    """Both stores: a moved reservation stream refuses the append and writes neither stream; a current
    one writes both; a retry of the same append (same ids) is answered as a duplicate, reserved once."""
    async with open_pool(database_url) as pool:
        store: EventStore = PostgresEventStore(pool) if kind == "postgres" else InMemoryEventStore()
        await store.append("certificate-77", [NewEvent(NUMBER_RESERVED, {"n": 1})], 0)
        reserve = NewEvent(NUMBER_RESERVED, {"n": 2})
        event = NewEvent("TrajectoryOpened", {"t": 1})

        with pytest.raises(WrongExpectedVersion) as moved:
            await store.append(
                "trajectory-r", [event], 0, command_id="c-1", reservation=Reservation("certificate-77", reserve, 0)
            )
        assert moved.value.stream_id == "certificate-77"
        assert await store.stream_version("trajectory-r") == 0 and await store.stream_version("certificate-77") == 1

        done = await store.append(
            "trajectory-r", [event], 0, command_id="c-1", reservation=Reservation("certificate-77", reserve, 1)
        )
        again = await store.append(
            "trajectory-r", [event], 0, command_id="c-1", reservation=Reservation("certificate-77", reserve, 1)
        )

        assert not done.duplicate and again.duplicate and again.positions == done.positions
        assert await store.stream_version("certificate-77") == 2
        assert (await store.read_stream("trajectory-r"))[0].transaction_id == (
            await store.read_stream("certificate-77")
        )[1].transaction_id
