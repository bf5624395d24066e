"""Trajectories as the application sees them: the domain bound to the command handler.

`TrajectoryService.handle(command, now)` is the one way a command reaches a trajectory — from the CLI,
a workflow or a fired deadline (`FireDeadline`, whose command id is the deadline id, so each deadline
appends at most once).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from application.command_handler import EVENT_NAMESPACE, CommandHandler, ConflictPersisted, Outcome
from application.event_store import START, EventStore, NewEvent, RecordedEvent, Reservation, WrongExpectedVersion
from application.input_errors import input_errors
from domain import (
    COMMAND_TYPES,
    CertificateFacts,
    Command,
    Deadline,
    DomainError,
    Event,
    OpenTrajectory,
    Rules,
    TrajectoryState,
    certificate_facts,
    deadlines,
    decide,
    event_from_dict,
    event_to_dict,
    event_type,
    evolve,
)
from frameworks.loader import available_versions, load_rules

STREAM_PREFIX = "trajectory-"
TRAJECTORY_OPENED = "TrajectoryOpened"


def stream_id(trajectory_id: str) -> str:
    return f"{STREAM_PREFIX}{trajectory_id}"


def trajectory_id_of(stream: str) -> str:
    return stream.removeprefix(STREAM_PREFIX)


class UnknownFramework(DomainError):
    """The command names a framework version that has no rule file."""

    default_rule = "framework.unknown"


class InvalidCommandInput(ValueError):
    """A command's input is malformed; the message names the field(s) and the rule."""

    def __init__(self, command_type: str, errors: list[dict[str, Any]]) -> None:
        parts = [f"{e.field}: {e.message}" for e in input_errors(errors)]
        super().__init__(f"{command_type}: " + "; ".join(parts))
        self.command_type = command_type
        self.errors = errors


def parse_command(command_type: str, payload: dict[str, Any]) -> Command:
    """Build a command from its type name and JSON payload; malformed input names the field."""
    cls = COMMAND_TYPES.get(command_type)
    if cls is None:
        raise InvalidCommandInput(
            command_type,
            [{"loc": ("command_type",), "msg": f"unknown command; known: {', '.join(sorted(COMMAND_TYPES))}"}],
        )
    try:
        return cls.model_validate(payload)
    except ValidationError as error:
        raise InvalidCommandInput(command_type, [dict(e) for e in error.errors()]) from None


def command_payload(command: Command) -> tuple[str, dict[str, Any]]:
    """A command as (type name, JSON-safe payload): what a workflow receives as input."""
    return type(command).__name__, command.model_dump(mode="json")


def rules_for_version(version: str) -> Rules:
    if version not in available_versions():
        raise UnknownFramework(
            f"onbekend kader '{version}'; bekend zijn: {', '.join(available_versions())}",
            version=version,
        )
    return load_rules(version)


@dataclass(frozen=True)
class Informed:
    """A command with the facts from other streams that its decision needs, read just before.

    Only an opening needs any: what the store knows about its certificate number.
    """

    command: Command
    facts: CertificateFacts


def _bare(command: Command | Informed) -> Command:
    return command.command if isinstance(command, Informed) else command


class TrajectoryDecider:
    """Binds the pure domain to the generic command handler."""

    def initial_state(self) -> TrajectoryState | None:
        return None

    def evolve(self, state: TrajectoryState | None, event: Event) -> TrajectoryState | None:
        return evolve(state, event)

    def decide(
        self, state: TrajectoryState | None, command: Command | Informed, now: datetime, rules: Rules
    ) -> list[Event]:
        if isinstance(command, Informed):
            return decide(state, command.command, now, rules, facts=command.facts)
        return decide(state, command, now, rules)

    def rules_for(self, state: TrajectoryState | None, command: Command | Informed) -> Rules:
        command = _bare(command)
        version = state.framework_version if state is not None else getattr(command, "framework_version", None)
        if version is None:  # not opened: decide explains that; any rules will do to get there
            version = available_versions()[0]
        return rules_for_version(version)

    def stream_id(self, command: Command | Informed) -> str:
        return stream_id(_bare(command).trajectory_id)

    def command_id(self, command: Command | Informed) -> str:
        return _bare(command).command_id

    def actor(self, command: Command | Informed) -> str | None:
        return _bare(command).actor

    def fingerprint(self, command: Command | Informed) -> str:
        """The request itself (not the facts read for it), as sent; a field added later with a default
        leaves the fingerprint of requests without it unchanged, so a retry across a release stays one."""
        bare = _bare(command)
        payload = f"{type(bare).__name__}:{bare.model_dump_json(exclude_defaults=True)}"
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def to_stored(self, event: Event) -> tuple[str, int, dict[str, Any]]:
        return event_type(event), type(event).schema_version, event_to_dict(event)

    def from_stored(self, event_type_name: str, schema_version: int, data: dict[str, Any]) -> Event:
        return event_from_dict(event_type_name, data)

    def rejection(self, error: Exception) -> tuple[str, str] | None:
        if isinstance(error, DomainError):
            return error.rule, error.message
        return None


class CertificateIndex:
    """Which trajectories used each certificate number, fed from TrajectoryOpened in the global order.

    Read when a trajectory is opened: it settles the store (every event committed before is visible),
    then reads only the openings recorded since its last read, so the first lookup of a process reads
    every opening once and later ones a few rows; everything committed before is seen. The read alone
    would let two openings of one number at the very same moment both pass: the reservation appended
    with each opening closes that (`TrajectoryService._open`).
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._after = START
        self._by_number: dict[str, dict[str, None]] = {}
        self._lock = asyncio.Lock()

    async def trajectories(self, certificate_number: str) -> list[str]:
        async with self._lock:
            await self._store.settle()
            while True:
                batch = await self._store.read_all(self._after, 1000, event_types=[TRAJECTORY_OPENED])
                for event in batch:
                    number = str(event.data.get("certificate_number", ""))
                    self._by_number.setdefault(number, {})[trajectory_id_of(event.stream_id)] = None
                if batch:
                    self._after = batch[-1].global_position
                if len(batch) < 1000:
                    break
            return list(self._by_number.get(certificate_number, {}))


CERTIFICATE_STREAM_PREFIX = "certificate-"
NUMBER_RESERVED = "CertificateNumberReserved"
_PLAIN_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,100}$")


def certificate_stream(number: str) -> str:
    """The stream that serialises the openings of one certificate number: `certificate-<number>`, or
    for a number with other characters `certificate-sha256.<digest>` (two numbers sharing one stream
    would only take turns; the facts stay each number's own)."""
    if _PLAIN_NUMBER.match(number):
        return f"{CERTIFICATE_STREAM_PREFIX}{number}"
    return f"{CERTIFICATE_STREAM_PREFIX}sha256.{hashlib.sha256(number.encode()).hexdigest()}"


def _reservation_event(command: OpenTrajectory, decider: TrajectoryDecider) -> NewEvent:
    """What an opening records in its number's stream; its id follows from the request, so a retried
    opening's reservation is recognised as the one stored."""
    fingerprint = decider.fingerprint(command)
    return NewEvent(
        NUMBER_RESERVED,
        {
            "certificate_number": command.certificate_number,
            "trajectory_id": command.trajectory_id,
            "organisation": command.organisation,
        },
        event_id=uuid.uuid5(EVENT_NAMESPACE, f"{command.command_id}/reservation/{fingerprint}"),
    )


class TrajectoryService:
    """Commands in, explained outcomes out; plus the current state of a trajectory."""

    def __init__(self, store: EventStore, *, max_attempts: int = 5, cache_size: int = 1_000) -> None:
        self._store = store
        self._max_attempts = max_attempts
        self._decider = TrajectoryDecider()
        self._handler: CommandHandler[TrajectoryState | None, Command | Informed, Event, Rules] = CommandHandler(
            store, self._decider, max_attempts=max_attempts, cache_size=cache_size
        )
        self._certificates = CertificateIndex(store)

    async def handle(self, command: Command, now: datetime, *, causation_id: str | None = None) -> Outcome:
        if isinstance(command, OpenTrajectory):
            return await self._open(command, now, causation_id)
        return await self._handler.handle(command, now, causation_id=causation_id)

    async def _open(self, command: OpenTrajectory, now: datetime, causation_id: str | None) -> Outcome:
        """An opening, decided on its certificate number's facts and appended only with a reservation of
        that number (`certificate_stream`) at the version it had before the facts were read: of two
        openings at once, the second to append finds the version moved, reads the facts again — the
        first one's opening among them — and is judged by the same rules as if it had come later.
        A store from before reservations starts the number's stream at its first opening since."""
        number = command.certificate_number
        reserved_in = certificate_stream(number)
        for _attempt in range(self._max_attempts):
            version = await self._store.stream_version(reserved_in)
            facts = await self.certificate_facts(number, excluding=command.trajectory_id)
            reservation = Reservation(reserved_in, _reservation_event(command, self._decider), version)
            try:
                return await self._handler.handle(
                    Informed(command, facts), now, causation_id=causation_id, reservation=reservation
                )
            except WrongExpectedVersion as conflict:
                if conflict.stream_id != reserved_in:
                    raise
        raise ConflictPersisted(
            f"certificaatnummer {number}: steeds gelijktijdig geopend na {self._max_attempts} pogingen; probeer opnieuw"
        )

    async def certificate_facts(self, certificate_number: str, *, excluding: str | None = None) -> CertificateFacts:
        """What the store knows about a certificate number: its holder, running certificate and any
        trajectory still in progress — from every trajectory that used it (except `excluding`).

        The openings reserved in the number's stream count too: a stream read sees every committed
        event at once, where the global order may lag behind a long transaction (`settle` gives up
        after a while) — so an opening that won a race is never missed by the one that lost it."""
        used = dict.fromkeys(await self._certificates.trajectories(certificate_number))
        for reserved in await self._store.read_stream(certificate_stream(certificate_number)):
            used[str(reserved.data.get("trajectory_id", ""))] = None
        states = []
        for trajectory_id in used:
            if not trajectory_id or trajectory_id == excluding:
                continue
            state = (await self._handler.load(stream_id(trajectory_id))).state
            if state is not None:
                states.append(state)
        return certificate_facts(certificate_number, states)

    def cached_trajectories(self) -> list[str]:
        """The trajectories whose fold is cached, least recently used first."""
        return [trajectory_id_of(s) for s in self._handler.cached_streams()]

    async def state(self, trajectory_id: str) -> TrajectoryState | None:
        return (await self._handler.load(stream_id(trajectory_id))).state

    async def due_deadlines(self, trajectory_id: str, until: datetime) -> tuple[list[Deadline], datetime | None]:
        """The trajectory's unfired deadlines due at `until` (earliest first), from its stream (the
        deadlines read model holds the same, a moment later), and when it last changed."""
        loaded = await self._handler.load(stream_id(trajectory_id))
        if loaded.state is None or loaded.last_event is None:
            return [], None
        pending = deadlines(loaded.state, rules_for_version(loaded.state.framework_version))
        return [d for d in pending if not d.fired and d.due_at <= until], loaded.last_event.occurred_at

    async def outlook(
        self, trajectory_id: str, *, just_handled: bool = False
    ) -> tuple[TrajectoryState | None, list[Deadline], datetime | None, int]:
        """The trajectory's state, its pending deadlines (earliest first, fired ones included), the
        moment of its last change and the stream version all this was read at: what its workflow
        schedules from (the version tells it whether it missed an event). `just_handled`: a command on it was
        handled by this service a moment ago (its workflow runs them one at a time), so the fold it
        left is current and the stream need not be read again."""
        cached = self._handler.cached(stream_id(trajectory_id)) if just_handled else None
        loaded = cached if cached is not None else await self._handler.load(stream_id(trajectory_id))
        if loaded.state is None:
            return None, [], None, loaded.version
        pending = deadlines(loaded.state, rules_for_version(loaded.state.framework_version))
        last = loaded.last_event.occurred_at if loaded.last_event is not None else None
        return loaded.state, pending, last, loaded.version

    async def history(self, trajectory_id: str) -> list[RecordedEvent]:
        return await self._store.read_stream(stream_id(trajectory_id))
