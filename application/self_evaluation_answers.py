"""The auditee's self-evaluation answers: per norm, each beoordelingsvraag (and indicator) answered ja/nee.

The domain's `SubmitSelfEvaluation` records that the self-evaluation was handed in, with its documents;
it holds no answers. The portal keeps them as events of their own, `SelfEvaluationAnswered` on the stream
`selfevaluation-<trajectory_id>`: every save records the whole set (the last one counts), so an auditee
can fill the form in over several visits and nothing typed is lost between them.

What is asked comes from the framework version's rule data: the norms (and modules) in the trajectory's
scope, each with its beoordelingsvragen, and the IDO indicator for a library with an IDO.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from application.event_store import EventStore, ExpectedVersion, NewEvent
from domain.rules import Rules
from domain.state import TrajectoryState

CATEGORY = "selfevaluation"
ANSWERED = "SelfEvaluationAnswered"
_NAMESPACE = uuid.UUID("0b5e8c3a-7d14-4e2f-a9c6-1d2e3f4a5b6c")


@dataclass(frozen=True)
class Item:
    """One question or indicator, answered ja/nee; `key` is `<norm>.<question>` (`1.a`, `4.IDO`)."""

    key: str
    text: str
    indicator: bool = False


@dataclass(frozen=True)
class NormItems:
    norm_id: str
    name: str
    items: tuple[Item, ...]


def items_for(state: TrajectoryState, rules: Rules) -> list[NormItems]:
    """What the self-evaluation asks of this trajectory: the norms in its scope (the seven norms until the
    intake fixed the scope), each with its questions, and the IDO indicator under its norm when it has one."""
    scope = state.round.scope or (state.intake.scope if state.intake else rules.base_norm_ids)
    ido = rules.ido_indicator if state.intake is not None and state.intake.ido else None
    found = []
    for norm_id in scope:
        try:
            norm = rules.norm(norm_id)
        except KeyError:
            continue
        items = [Item(f"{norm.id}.{q.id}", q.text) for q in norm.questions]
        if ido is not None and ido.norm == norm.id:
            items.append(Item(ido.id, ido.text, indicator=True))
        found.append(NormItems(norm.id, norm.name, tuple(items)))
    return found


def answers_stream(trajectory_id: str) -> str:
    return f"{CATEGORY}-{trajectory_id}"


@dataclass(frozen=True)
class Answers:
    """The last saved answers, by item key; when and by whom."""

    values: Mapping[str, bool]
    saved_at: datetime | None = None
    saved_by: str | None = None


async def answers_of(store: EventStore, trajectory_id: str) -> Answers:
    events = await store.read_stream(answers_stream(trajectory_id))
    for event in reversed(events):
        if event.event_type == ANSWERED:
            values = {str(k): bool(v) for k, v in dict(event.data["answers"]).items()}
            return Answers(values, datetime.fromisoformat(str(event.data["saved_at"])), event.actor)
    return Answers({})


async def save_answers(
    store: EventStore,
    trajectory_id: str,
    answers: Mapping[str, bool],
    *,
    actor: str,
    command_id: str,
    now: datetime,
) -> None:
    """Record the whole set of answers; the same form sent twice (its `command_id`) is recorded once."""
    await store.append(
        answers_stream(trajectory_id),
        [
            NewEvent(
                ANSWERED,
                {"trajectory_id": trajectory_id, "answers": dict(answers), "saved_at": now.isoformat()},
                event_id=uuid.uuid5(_NAMESPACE, command_id),
            )
        ],
        ExpectedVersion.ANY,
        command_id=f"selfevaluation-answers:{command_id}",
        actor=actor,
    )
