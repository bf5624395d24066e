"""Correcting one stored event (docs/repairing-events.md), under the rules that made it.

A correction rewrites what every reader sees, so it is held to more than an append:

- the new data keeps the bounds of the command that made the event (`domain.event_bounds`): no date in
  year 1, no 2 KB organisation, no CR/LF in an e-mail address;
- an `EventCorrected` event is never corrected (it is the record of a repair);
- an event every reader can read is only rewritten on purpose (`force`), and always with a reason;
- the corrected stream must still fold under the domain's rules, its certificate number must not be
  held by another organisation, and — checked by `read_models`, in the writing transaction — every read
  model must be able to apply it. Any refusal leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from application.event_store import (
    CORRECTED,
    CORRECTION_PREFIX,
    AppendResult,
    Correction,
    EventStore,
    RecordedEvent,
)
from application.trajectories import STREAM_PREFIX, TrajectoryService, rules_for_version, trajectory_id_of
from domain import EVENT_TYPES, DomainError, deadlines
from domain.commands import Prose, ShortText, Text
from domain.correction import CorrectionRefused, check_holder, fold_corrected
from domain.event_bounds import Instant, bounded_event
from domain.events import event_to_dict
from domain.registry import event_from_dict

MAX_DATA_BYTES = 256 * 1024
"""Corrected data may be this big: the store's limit for one event."""

MAX_DATA_DEPTH = 32
"""…and nested this deep: the store's limit (`application.event_store.MAX_JSON_DEPTH`)."""

DELIVERED = "MessageDelivered"

ReadModelCheck = Callable[[Sequence[RecordedEvent], Any], Awaitable[None]]
"""Applies a corrected stream to scratch copies of the read models, on the writing transaction's
connection; raises when one of them cannot (projections/scratch.py)."""


class InvalidCorrection(ValueError):
    """The correction's input breaks a bound; the message names the field and the rule. Nothing is written."""

    def __init__(self, field_name: str, rule: str) -> None:
        super().__init__(f"{field_name}: {rule}")
        self.field = field_name
        self.rule = rule


class UnknownEvent(LookupError):
    """No stored event has this id."""


@dataclass(frozen=True)
class Corrected:
    """What a correction did: the event as it was read before, whether it was readable, and the append."""

    original: RecordedEvent
    was_readable: bool
    result: AppendResult


class _Delivery(BaseModel):
    """`MessageDelivered` (activities/email.py), bounded as the sender writes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: UUID
    delivered_at: Instant
    transport: ShortText | None = None


_REASON: TypeAdapter[str] = TypeAdapter(Prose)
_ACTOR: TypeAdapter[str] = TypeAdapter(Text)


def _problems(error: ValidationError, prefix: str = "") -> str:
    """Pydantic's errors as 'field: rule; …', every field named by its path."""
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"])
        parts.append(f"{prefix}{where}: {e['msg']}" if where else f"{prefix}{e['msg']}".rstrip(": "))
    return "; ".join(parts)


def _bounded_text(adapter: TypeAdapter[str], value: str, name: str) -> str:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        raise InvalidCorrection(name, _problems(error)) from None


def _is_trajectory_event(event: RecordedEvent) -> bool:
    return event.stream_id.startswith(STREAM_PREFIX) and event.event_type in EVENT_TYPES


def _is_delivery(event: RecordedEvent) -> bool:
    return event.event_type == DELIVERED and event.category == "message"


def _sound(event: RecordedEvent) -> bool:
    """Whether every reader can read the event as it stands: the domain decodes it within its bounds."""
    try:
        if _is_trajectory_event(event):
            bounded_event(event.event_type, dict(event.data))
        else:
            _Delivery.model_validate(event.data)
    except Exception:  # whatever stops the check stops a reader too
        return False
    return True


def corrected_data(original: RecordedEvent, data: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    """The data to store for `original` and its schema version, as a command would have given it.

    Raises CorrectionRefused for an event that cannot be corrected and InvalidCorrection naming the field
    and the rule for data out of bounds.
    """
    if original.event_type == CORRECTED or original.stream_id.startswith(CORRECTION_PREFIX):
        raise CorrectionRefused(
            f"dit is een {CORRECTED}-event, het verslag van een correctie: dat wordt niet gecorrigeerd "
            "(corrigeer het oorspronkelijke event opnieuw)",
            rule="correction.of_correction",
        )
    if _is_trajectory_event(original):
        where = f"{original.event_type}."
        try:
            event_from_dict(original.event_type, dict(data))
        except ValidationError as error:
            problems = _problems(error, where)
            raise InvalidCorrection("--data", f"de domeinlezer kan dit niet lezen — {problems}") from None
        try:
            event = bounded_event(original.event_type, dict(data))
        except ValidationError as error:
            raise InvalidCorrection(
                "--data", f"buiten de grenzen van het commando dat dit event maakte — {_problems(error, where)}"
            ) from None
        return event_to_dict(event), type(event).schema_version
    if _is_delivery(original):
        try:
            return _Delivery.model_validate(data).model_dump(mode="json"), 1
        except ValidationError as error:
            raise InvalidCorrection("--data", _problems(error, f"{DELIVERED}.")) from None
    raise CorrectionRefused(
        f"event {original.event_id} is een {original.event_type} in stream {original.stream_id}: alleen events "
        f"van een traject en {DELIVERED} kunnen worden gecorrigeerd",
        rule="correction.event_type",
    )


def _up_to_next_unsound(stream: Sequence[RecordedEvent], event_id: UUID) -> list[RecordedEvent]:
    """The stream up to (not including) the first *other* event no reader can read after the corrected
    one: that one still stops every reader and is repaired by a correction of its own. One *before* the
    corrected event is repaired first, since nothing after it can be judged until then."""
    out: list[RecordedEvent] = []
    reached = False
    for event in stream:
        if event.event_id == event_id:
            reached = True
        elif not _sound(event):
            if not reached:
                raise CorrectionRefused(
                    f"event {event.stream_version} ({event.event_type}, id {event.event_id}) ervóór is ook niet "
                    "te lezen: corrigeer dat eerst",
                    rule="correction.earlier_unreadable",
                )
            break
        out.append(event)
    return out


class Corrections:
    """Corrects stored events: `correct(event_id, data, reason=…, actor=…, force=…)`."""

    def __init__(
        self, store: EventStore, service: TrajectoryService, *, read_models: ReadModelCheck | None = None
    ) -> None:
        self._store = store
        self._service = service
        self._read_models = read_models

    async def correct(
        self, event_id: UUID, data: Mapping[str, Any], *, reason: str, actor: str, force: bool = False
    ) -> Corrected:
        """Record the correction, or refuse it with nothing written (see the module's rules)."""
        reason = _bounded_text(_REASON, reason, "--reason")
        actor = _bounded_text(_ACTOR, actor, "--actor")
        original = await self._store.read_event(event_id)
        if original is None:
            raise UnknownEvent(f"Event {event_id} bestaat niet.")
        new_data, schema_version = corrected_data(original, data)
        readable = _sound(original)
        if readable and not force:
            raise InvalidCorrection(
                "--force",
                f"event {event_id} ({original.event_type}) is leesbaar; een correctie herschrijft wat elke lezer "
                "ziet — alleen met --force (en een reden)",
            )

        async def verify(stream: Sequence[RecordedEvent], connection: Any) -> None:
            await self._verify(_up_to_next_unsound(stream, event_id), connection)

        result = await self._store.correct(
            event_id, new_data, reason=reason, actor=actor, schema_version=schema_version, verify=verify
        )
        return Corrected(original, readable, result)

    async def _verify(self, stream: Sequence[RecordedEvent], connection: Any) -> None:
        if stream and stream[0].stream_id.startswith(STREAM_PREFIX):
            trajectory_id = trajectory_id_of(stream[0].stream_id)
            events = [bounded_event(r.event_type, dict(r.data)) for r in stream]
            state = fold_corrected(trajectory_id, events)
            try:
                deadlines(state, rules_for_version(state.framework_version))
            except DomainError as error:
                raise CorrectionRefused(f"framework_version: {error.message}", rule="correction.framework") from None
            except Exception as error:
                raise CorrectionRefused(
                    f"de deadlines van het traject zijn niet meer te berekenen ({type(error).__name__}: {error})",
                    rule="correction.deadlines",
                ) from None
            facts = await self._service.certificate_facts(state.certificate_number, excluding=trajectory_id)
            check_holder(state, facts)
        if self._read_models is not None:
            await self._read_models(stream, connection)


def correction_summary(correction: Correction) -> str:
    """The timeline's line for a correction: which event, why, and where to see both versions."""
    return (
        f"Correctie (EventCorrected) van #{correction.stream_version}: {correction.reason} "
        f"— oorspronkelijk en gecorrigeerd: `cbct event show {correction.event_id}`"
    )
