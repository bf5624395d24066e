"""Handling a command: load the stream, decide, append with the expected version — and explain.

The answer is always explicit: `Accepted` with the new events and version, or `Rejected` with the rule
that refused and its Dutch explanation. Nothing is written on a rejection. The same command id twice
appends once (the store's idempotency) and answers the same. A version conflict — someone else wrote
to the trajectory between our read and our append — is retried against the fresh state a bounded
number of times, so the domain decides on current facts and no update is lost.

Loading keeps the folded state of recently used streams (a bounded LRU) and reads only the events
appended since, so a command costs one short query rather than a fold of the whole stream. It is
never stale: every load reads the stream's newer events, and the version check on append catches a
write that lands in between (the entry is then dropped and the stream read afresh).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from application.event_store import (
    EventStore,
    IdempotencyViolation,
    NewEvent,
    RecordedEvent,
    Reservation,
    WrongExpectedVersion,
    read_as,
)

# Event ids are derived from the command id, so a retried append is recognised by ids as well.
EVENT_NAMESPACE = uuid.UUID("6d1c1c3e-6a0b-4f38-9a5e-1b3c2c0c7e11")

S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E")
R = TypeVar("R")
C_contra = TypeVar("C_contra", contravariant=True)


class Decider(Protocol[S, C_contra, E, R]):
    """The pure domain, as the handler sees it (bound by an adapter; see application/trajectories.py)."""

    def initial_state(self) -> S: ...
    def evolve(self, state: S, event: E) -> S: ...
    def decide(self, state: S, command: C_contra, now: datetime, rules: R) -> list[E]: ...
    def rules_for(self, state: S, command: C_contra) -> R: ...
    def stream_id(self, command: C_contra) -> str: ...
    def command_id(self, command: C_contra) -> str: ...
    def fingerprint(self, command: C_contra) -> str: ...
    def actor(self, command: C_contra) -> str | None: ...
    def to_stored(self, event: E) -> tuple[str, int, dict[str, Any]]: ...
    def from_stored(self, event_type: str, schema_version: int, data: dict[str, Any]) -> E: ...
    def rejection(self, error: Exception) -> tuple[str, str] | None: ...


@dataclass(frozen=True)
class Accepted:
    """The command was applied: these events were appended (or had been, for a retried command)."""

    command_id: str
    stream_id: str
    stream_version: int
    events: tuple[dict[str, Any], ...]
    duplicate: bool = False
    accepted: bool = field(default=True, init=False)


@dataclass(frozen=True)
class Rejected:
    """The command was refused; nothing was written. `rule` is a stable code, `message` the Dutch why."""

    command_id: str
    stream_id: str
    rule: str
    message: str
    accepted: bool = field(default=False, init=False)


Outcome = Accepted | Rejected


class ConflictPersisted(RuntimeError):
    """Still losing the race after every retry: the trajectory is too busy right now."""


def event_id_for(command_id: str, index: int, fingerprint: str | None = None) -> uuid.UUID:
    """The id of a command's `index`-th event: the same for a retry of the same request, so a retry is
    recognised; with the request's fingerprint in it, a command id reused for another request is too.
    (Events stored before fingerprints were carry the id without one.)"""
    if fingerprint is None:
        return uuid.uuid5(EVENT_NAMESPACE, f"{command_id}/{index}")
    return uuid.uuid5(EVENT_NAMESPACE, f"{command_id}/{index}/{fingerprint}")


ID_REUSED = "command.id_reused"


def _reused(command_id: str, stream_id: str, stored: Sequence[RecordedEvent]) -> Rejected:
    what = ", ".join(e.event_type for e in stored)
    return Rejected(
        command_id,
        stream_id,
        ID_REUSED,
        f"commando-id {command_id} is al gebruikt voor een ander verzoek op dit traject ({what}); "
        "herhaal precies hetzelfde verzoek of gebruik een nieuw commando-id",
    )


def _reused_elsewhere(command_id: str, stream_id: str) -> Rejected:
    """The store refused the append: the command id is another stream's (the key of another trajectory's
    request). Not a retry, and not a failure to try again: refused like a reuse on this stream."""
    return Rejected(
        command_id,
        stream_id,
        ID_REUSED,
        f"commando-id {command_id} is al gebruikt voor een ander verzoek (op een ander traject); "
        "gebruik een nieuw commando-id",
    )


def _same_request(first_event_id: uuid.UUID, command_id: str, fingerprint: str) -> bool:
    return first_event_id in (event_id_for(command_id, 0, fingerprint), event_id_for(command_id, 0))


@dataclass(frozen=True)
class Loaded(Generic[S, E]):
    """A stream folded into its state, with what a retry check needs: the command ids it holds."""

    state: S
    version: int
    command_ids: frozenset[str]
    last_event: E | None = None


def _describe(event: RecordedEvent) -> dict[str, Any]:
    return {"type": event.event_type, "version": event.stream_version, "data": event.data}


class CommandHandler(Generic[S, C, E, R]):
    """load → decide → append, with bounded retries on a version conflict."""

    def __init__(
        self,
        store: EventStore,
        decider: Decider[S, C, E, R],
        *,
        max_attempts: int = 5,
        correlation_id: Callable[[C], str | None] = lambda _c: None,
        cache_size: int = 10_000,
    ) -> None:
        self._store = store
        self._decider = decider
        self._cache: OrderedDict[str, Loaded[S, E]] = OrderedDict()
        self._cache_size = cache_size
        self._max_attempts = max_attempts
        self._correlation_id = correlation_id

    async def load(self, stream_id: str) -> Loaded[S, E]:
        """The stream's current state and version: the cached fold plus the events appended since."""
        d = self._decider
        base = self._cache.get(stream_id) or Loaded(d.initial_state(), 0, frozenset())
        recorded = await self._store.read_stream(stream_id, from_version=base.version + 1)
        if not recorded:
            self._remember(stream_id, base)
            return base
        state, ids, last = base.state, set(base.command_ids), base.last_event
        for event in recorded:
            last = read_as(event, lambda e: d.from_stored(e.event_type, e.schema_version, e.data))
            state = d.evolve(state, last)
            if event.command_id is not None:
                ids.add(event.command_id)
        loaded = Loaded(state, recorded[-1].stream_version, frozenset(ids), last)
        self._remember(stream_id, loaded)
        return loaded

    def cached(self, stream_id: str) -> Loaded[S, E] | None:
        """The fold as this handler last loaded or appended it (no read: it may be behind the store)."""
        return self._cache.get(stream_id)

    def cached_streams(self) -> list[str]:
        """The streams whose fold is cached, least recently used first."""
        return list(self._cache)

    def _remember(self, stream_id: str, loaded: Loaded[S, E]) -> None:
        cached = self._cache.get(stream_id)
        if cached is not None and cached.version > loaded.version:
            return  # a concurrent command got further already
        self._cache[stream_id] = loaded
        self._cache.move_to_end(stream_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _decide(self, command: C, state: S, now: datetime) -> list[E] | Rejected:
        """The events `command` causes in `state`, or its refusal explained."""
        d = self._decider
        try:
            return d.decide(state, command, now, d.rules_for(state, command))
        except Exception as error:
            explained = d.rejection(error)
            if explained is None:
                raise
            rule, message = explained
            return Rejected(d.command_id(command), d.stream_id(command), rule, message)

    async def handle(
        self, command: C, now: datetime, *, causation_id: str | None = None, reservation: Reservation | None = None
    ) -> Outcome:
        """Decide and append. With a `reservation`, events are appended only together with it; when its
        stream moved (someone changed the facts the command was informed by), WrongExpectedVersion for
        that stream is raised to the caller, who reads the facts again."""
        d = self._decider
        stream_id = d.stream_id(command)
        command_id = d.command_id(command)
        fingerprint = d.fingerprint(command)
        # The fold this process left is usually current (a trajectory's commands come one at a time
        # through its workflow): decide on it without reading the stream. Events decided from it are
        # appended at its version (a conflict reloads and decides again); a refusal or no change from it
        # stands only once the stream is read and found at that version.
        loaded: Loaded[S, E] | None = self._cache.get(stream_id)
        unverified = loaded is not None
        for _attempt in range(self._max_attempts):
            if loaded is None:
                loaded, unverified = await self.load(stream_id), False
            state, version = loaded.state, loaded.version
            if command_id in loaded.command_ids:  # a retry of a command that was applied: same answer
                recorded = await self._store.read_stream(stream_id)
                already = [e for e in recorded if e.command_id == command_id]
                if not _same_request(already[0].event_id, command_id, fingerprint):
                    return _reused(command_id, stream_id, already)
                return Accepted(
                    command_id,
                    stream_id,
                    already[-1].stream_version,
                    tuple(_describe(e) for e in already),
                    duplicate=True,
                )
            events = self._decide(command, state, now)
            if unverified and not (isinstance(events, list) and events):
                fresh = await self.load(stream_id)
                loaded, unverified = fresh, False
                if fresh.version != version:
                    continue  # the cached fold was behind: decide again on the stream as it is
            if isinstance(events, Rejected):
                return events
            if not events:
                return Accepted(command_id, stream_id, version, ())
            new = []
            for i, event in enumerate(events):
                event_type, schema_version, data = d.to_stored(event)
                new.append(NewEvent(event_type, data, schema_version, event_id_for(command_id, i, fingerprint)))
            try:
                result = await self._store.append(
                    stream_id,
                    new,
                    version,
                    command_id=command_id,
                    correlation_id=self._correlation_id(command) or command_id,
                    causation_id=causation_id or command_id,
                    actor=d.actor(command),
                    reservation=reservation,
                )
            except WrongExpectedVersion as conflict:
                if reservation is not None and conflict.stream_id == reservation.stream_id:
                    raise
                self._cache.pop(stream_id, None)
                loaded = None
                continue
            except IdempotencyViolation:  # nothing was appended
                return _reused_elsewhere(command_id, stream_id)
            if result.duplicate:  # a concurrent retry of this very command landed first: answer with it
                stored = await self._store.read_stream(stream_id, from_version=result.stream_version - len(new) + 1)
                theirs = [e for e in stored if e.command_id == command_id]
                if not _same_request(result.event_ids[0], command_id, fingerprint):
                    return _reused(command_id, stream_id, theirs)
                mine = tuple(_describe(e) for e in theirs)
            else:
                for event in events:
                    state = d.evolve(state, event)
                self._remember(
                    stream_id, Loaded(state, result.stream_version, loaded.command_ids | {command_id}, events[-1])
                )
                first = result.stream_version - len(new) + 1
                mine = tuple(
                    {"type": e.event_type, "version": first + i, "data": dict(e.data)} for i, e in enumerate(new)
                )
            return Accepted(command_id, stream_id, result.stream_version, mine, duplicate=result.duplicate)
        raise ConflictPersisted(f"{stream_id}: still conflicting after {self._max_attempts} attempts; try again")
