"""The command handler over the real store: explained answers, idempotency, conflicts."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from application.command_handler import Accepted, Rejected
from application.trajectories import InvalidCommandInput, TrajectoryService, parse_command
from domain import OpenTrajectory, SendAnnouncement, SendIntake
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def open_command(command_id: str = "cmd-open", trajectory_id: str = "t1") -> OpenTrajectory:
    return OpenTrajectory(
        command_id=command_id,
        trajectory_id=trajectory_id,
        actor="planner:anna",
        organisation="Bibliotheek Hengelo",
        certificate_number="1002",
        association="VOB",
        framework_version="kib-ii-2023",
        previous_certificate_expiry=date(2026, 12, 31),
    )


async def test_accepted_command_appends_events_once_and_a_retry_answers_the_same(database_url: str) -> None:
    """The same command id twice: one append, the same accepted answer, marked as a duplicate."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        first = await service.handle(open_command(), NOW)
        again = await service.handle(open_command(), NOW)
        assert isinstance(first, Accepted) and isinstance(again, Accepted)
        assert again.duplicate and not first.duplicate
        assert [e["type"] for e in again.events] == [e["type"] for e in first.events]
        assert len(await service.history("t1")) == len(first.events)
        state = await service.state("t1")
        assert state is not None and state.organisation == "Bibliotheek Hengelo"


async def test_a_command_id_reused_for_another_request_is_refused_and_nothing_is_written(database_url: str) -> None:
    """The same command id with another payload is not a retry: refused naming the rule, the stream as it
    was; the original request resent is still answered as the duplicate it is, also after the refusal."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        first = await service.handle(open_command(), NOW)
        assert isinstance(first, Accepted)
        other = open_command().model_copy(update={"organisation": "Bibliotheek Oldenzaal"})
        reused = await service.handle(other, NOW)
        assert isinstance(reused, Rejected) and reused.rule == "command.id_reused"
        assert "cmd-open" in reused.message and "TrajectoryOpened" in reused.message
        assert len(await service.history("t1")) == len(first.events)
        again = await service.handle(open_command(), NOW)
        assert isinstance(again, Accepted) and again.duplicate


async def test_a_command_id_of_another_trajectory_is_refused_and_nothing_is_written(database_url: str) -> None:
    """The same command id on another trajectory (an HTTP client reusing an Idempotency-Key): refused as
    a reused id, at once, not an error to retry; neither trajectory changes."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        first = await service.handle(open_command(), NOW)
        assert isinstance(first, Accepted)
        other_number = open_command(trajectory_id="t2").model_copy(update={"certificate_number": "1003"})
        elsewhere = await service.handle(other_number, NOW)
        assert isinstance(elsewhere, Rejected) and elsewhere.rule == "command.id_reused", elsewhere
        assert "cmd-open" in elsewhere.message
        assert await service.state("t2") is None
        opened = await service.handle(other_number.model_copy(update={"command_id": "cmd-open-2"}), NOW)
        assert isinstance(opened, Accepted)
        announce = SendAnnouncement(command_id="cmd-open", trajectory_id="t2", actor="planner:anna")
        reused = await service.handle(announce, NOW)
        assert isinstance(reused, Rejected) and reused.rule == "command.id_reused", reused
        assert len(await service.history("t2")) == len(opened.events)
        assert len(await service.history("t1")) == len(first.events)


async def test_a_retry_of_a_command_stored_before_fingerprints_is_still_a_retry(database_url: str) -> None:
    """Events appended with the id scheme of before (no fingerprint): resending that command is a retry."""
    from application.command_handler import event_id_for
    from application.event_store import NewEvent
    from application.trajectories import TrajectoryDecider

    async with open_pool(database_url) as pool:
        store = PostgresEventStore(pool)
        command = open_command(trajectory_id="t-legacy")
        decider = TrajectoryDecider()
        events = decider.decide(None, command, NOW, decider.rules_for(None, command))
        stored = []
        for i, event in enumerate(events):
            event_type, schema_version, data = decider.to_stored(event)
            stored.append(NewEvent(event_type, data, schema_version, event_id_for(command.command_id, i)))
        await store.append("trajectory-t-legacy", stored, 0, command_id=command.command_id, actor=command.actor)
        again = await TrajectoryService(store).handle(command, NOW)
        assert isinstance(again, Accepted) and again.duplicate


async def test_rejected_command_explains_the_rule_and_writes_nothing(database_url: str) -> None:
    """A command the rules refuse gets the rule and a Dutch explanation; nothing is appended."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        outcome = await service.handle(SendIntake(command_id="cmd-x", trajectory_id="nope", actor="planner:anna"), NOW)
        assert isinstance(outcome, Rejected)
        assert outcome.rule == "state.not_opened" and outcome.message
        assert await service.history("nope") == []


async def test_unknown_framework_is_refused_naming_the_known_ones(database_url: str) -> None:
    """Opening under a framework without a rule file is refused and lists the known versions."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        outcome = await service.handle(open_command().model_copy(update={"framework_version": "kib-1999"}), NOW)
        assert isinstance(outcome, Rejected) and outcome.rule == "framework.unknown"
        assert "kib-2018" in outcome.message


async def test_concurrent_commands_on_one_trajectory_are_serialised_without_lost_updates(database_url: str) -> None:
    """Two different commands racing on one trajectory both land, one after the other, gapless."""
    async with open_pool(database_url) as pool:
        store = PostgresEventStore(pool)
        service = TrajectoryService(store)
        outcomes = await asyncio.gather(*(service.handle(open_command(f"c{i}", "race"), NOW) for i in range(2)))
        accepted = [o for o in outcomes if isinstance(o, Accepted)]
        rejected = [o for o in outcomes if isinstance(o, Rejected)]
        assert len(accepted) == 1 and len(rejected) == 1, outcomes
        assert rejected[0].rule.startswith("state")
        versions = [e.stream_version for e in await service.history("race")]
        assert versions == list(range(1, len(versions) + 1))


def test_malformed_command_input_names_the_field() -> None:
    """parse_command reports the field and the rule for bad input and unknown command types."""
    with pytest.raises(InvalidCommandInput, match="certificate_number"):
        parse_command("OpenTrajectory", {"command_id": "c", "trajectory_id": "t", "actor": "a"})
    with pytest.raises(InvalidCommandInput, match="command_type: unknown command"):
        parse_command("DoSomething", {})


async def test_a_cached_fold_sees_what_another_process_appended(database_url: str) -> None:
    """Two services (two processes) on one trajectory: each decides on the other's events too."""
    async with open_pool(database_url) as pool:
        here, there = TrajectoryService(PostgresEventStore(pool)), TrajectoryService(PostgresEventStore(pool))
        assert isinstance(await here.handle(open_command(trajectory_id="shared"), NOW), Accepted)
        assert await here.state("shared") is not None  # cached here at version 1

        def announce(command_id: str) -> SendAnnouncement:
            return SendAnnouncement(command_id=command_id, trajectory_id="shared", actor="planner:anna")

        sent = await there.handle(announce("announce"), NOW)
        assert isinstance(sent, Accepted)

        state = await here.state("shared")
        assert state is not None and state.version == sent.stream_version and state.announced_on is not None
        again = await here.handle(announce("announce-2"), NOW)
        assert isinstance(again, Rejected)  # decided on the announcement the other service sent
        retry = await here.handle(announce("announce"), NOW)
        assert isinstance(retry, Accepted) and retry.duplicate and retry.events == sent.events


async def test_the_cache_stays_bounded_and_an_evicted_trajectory_is_read_again(database_url: str) -> None:
    """Only the most recently used folds are kept; an evicted one is rebuilt from its stream."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool), cache_size=2)
        for i in range(3):
            assert isinstance(await service.handle(open_command(f"open-{i}", f"lru-{i}"), NOW), Accepted)
        assert service.cached_trajectories() == ["lru-1", "lru-2"]
        state = await service.state("lru-0")
        assert state is not None and state.trajectory_id == "lru-0" and state.version == 1
        assert service.cached_trajectories() == ["lru-2", "lru-0"]


async def test_due_deadlines_of_one_trajectory_come_from_its_stream(database_url: str) -> None:
    """The deadlines due by a moment, earliest first, and when the trajectory last changed."""
    async with open_pool(database_url) as pool:
        service = TrajectoryService(PostgresEventStore(pool))
        assert await service.due_deadlines("none-yet", NOW) == ([], None)
        await service.handle(open_command(trajectory_id="due"), NOW)
        due, changed = await service.due_deadlines("due", datetime(2027, 6, 1, tzinfo=UTC))
        assert changed == NOW
        assert due and [d.due_at for d in due] == sorted(d.due_at for d in due)
        assert all(not d.fired and d.trajectory_id == "due" for d in due)
        earlier, _ = await service.due_deadlines("due", due[0].due_at)
        assert [d.deadline_id for d in earlier] == [d.deadline_id for d in due if d.due_at <= due[0].due_at]


async def test_a_fold_cached_behind_the_store_never_decides_alone(database_url: str) -> None:
    """Two services (two workers' caches) on one store: each decides on the fold it cached, and is
    never wrong for it. Events from a fold that was behind meet a version conflict and are decided
    again; a refusal from it is checked against the stream first — so a command is answered as the
    stream stands, whichever worker handles it, and the versions stay gapless."""
    async with open_pool(database_url) as pool:
        here, there = TrajectoryService(PostgresEventStore(pool)), TrajectoryService(PostgresEventStore(pool))
        assert isinstance(await here.handle(open_command(), NOW), Accepted)  # `here` caches: opened
        assert isinstance(
            await there.handle(SendAnnouncement(command_id="a1", trajectory_id="t1", actor="x"), NOW), Accepted
        )

        # By its cache `here` would refuse the intake (not announced yet): the stream says otherwise.
        intake = await here.handle(SendIntake(command_id="i1", trajectory_id="t1", actor="x"), NOW)
        assert isinstance(intake, Accepted) and [e["type"] for e in intake.events] == ["IntakeSent"]
        # `there` decides a reminder of the intake on its cache (version 2): the append conflicts (the
        # stream is at 3), so it is decided again on the stream and appended after the first intake.
        again = await there.handle(SendIntake(command_id="i2", trajectory_id="t1", actor="x"), NOW)
        assert isinstance(again, Accepted) and again.stream_version == 4
        # A second announcement is refused, as the stream stands.
        late = await there.handle(SendAnnouncement(command_id="a2", trajectory_id="t1", actor="x"), NOW)
        assert isinstance(late, Rejected) and late.rule == "state.phase"
        history = await here.history("t1")
        assert [(e.stream_version, e.event_type) for e in history] == [
            (1, "TrajectoryOpened"),
            (2, "AnnouncementSent"),
            (3, "IntakeSent"),
            (4, "IntakeSent"),
        ]
