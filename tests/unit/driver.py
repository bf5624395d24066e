"""A test driver: runs commands through decide/evolve with a controlled clock, like the app layer will."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from domain import (
    Command,
    Event,
    IssueDraftReport,
    ReactToDraft,
    RecordAuditScores,
    Rules,
    ScheduleAudit,
    Score,
    TrajectoryState,
    deadlines,
    decide,
    due_deadlines,
    evolve,
    on_deadline,
)
from domain.calendar import AMSTERDAM
from domain.commands import Contact

_ids = itertools.count(1)


def at(day: date | str, hour: int = 10) -> datetime:
    """A UTC instant at ``hour`` o'clock Amsterdam time on ``day``."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time(hour), tzinfo=AMSTERDAM).astimezone(UTC)


def scores(
    scope: Iterable[str], rules: Rules, default: Score = Score.FULLY, **norms: Iterable[Score] | Score
) -> dict[str, dict[str, Score]]:
    """Scores for every question of every norm in scope; override a norm with ``n3=[...]`` or ``n3=Score``."""
    result: dict[str, dict[str, Score]] = {}
    for norm_id in scope:
        questions = [q.id for q in rules.norm(norm_id).questions]
        given = norms.get(f"n{norm_id}", default)
        answers = [given] * len(questions) if isinstance(given, Score) else list(given)
        result[norm_id] = dict(zip(questions, answers, strict=True))
    return result


CONTACT = Contact(name="Anna de Vries", email="anna@bibliotheek.example", role="directeur")


class Trajectory:
    """One trajectory under test: its events, its state, and commands at chosen moments."""

    def __init__(self, rules: Rules, trajectory_id: str = "t-1") -> None:
        self.rules = rules
        self.trajectory_id = trajectory_id
        self.events: list[Event] = []
        self.state: TrajectoryState | None = None

    @property
    def s(self) -> TrajectoryState:
        """The state, which must exist."""
        assert self.state is not None
        return self.state

    def command(self, cls: type[Command], **fields: Any) -> Command:
        """A command for this trajectory with a fresh command id."""
        return cls(command_id=f"cmd-{next(_ids)}", trajectory_id=self.trajectory_id, actor="test", **fields)

    def apply(self, events: Iterable[Event]) -> list[Event]:
        """Fold events into the state and keep them."""
        new = list(events)
        for event in new:
            self.state = evolve(self.state, event)
        self.events.extend(new)
        return new

    def do(self, cls: type[Command], when: datetime | str, **fields: Any) -> list[Event]:
        """Decide and apply ``cls(**fields)`` at ``when`` (a UTC instant or an Amsterdam date)."""
        now = at(when) if isinstance(when, str) else when
        return self.apply(decide(self.state, self.command(cls, **fields), now, self.rules))

    def fire(self, kind: str, when: datetime | str) -> list[Event]:
        """Fire the pending deadline of ``kind`` at ``when``."""
        now = at(when) if isinstance(when, str) else when
        match = [d for d in deadlines(self.s, self.rules) if d.kind.value == kind]
        assert match, f"no pending {kind} deadline in {[d.kind.value for d in deadlines(self.s, self.rules)]}"
        return self.apply(on_deadline(self.state, match[0].deadline_id, now, self.rules))

    def fire_due(self, when: datetime | str) -> list[Event]:
        """Fire every deadline due at ``when``, as a dispatcher would, until nothing more fires."""
        now = at(when) if isinstance(when, str) else when
        fired: list[Event] = []
        while self.state is not None:
            due = list(due_deadlines(self.state, now, self.rules))
            if not due:
                break
            fired += self.apply(on_deadline(self.state, due[0].deadline_id, now, self.rules))
        return fired

    def deadlines_of(self, kind: str) -> list[Any]:
        """Pending deadlines of ``kind``."""
        return [d for d in deadlines(self.s, self.rules) if d.kind.value == kind]

    def kinds(self) -> list[str]:
        """Kinds of the pending deadlines."""
        return [d.kind.value for d in deadlines(self.s, self.rules)]


def names(events: Iterable[Event]) -> list[str]:
    """Event type names, for compact assertions."""
    return [type(e).__name__ for e in events]


def only(events: Iterable[Event], cls: type[Event]) -> Any:
    """The single event of ``cls`` in ``events``."""
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, f"expected one {cls.__name__}, got {names(events)}"
    return found[0]


def intake_fields(
    employees: int = 40, locations: int = 3, services: Iterable[str] = ("Leesbevordering",)
) -> Mapping[str, Any]:
    """A valid intake."""
    return {
        "contacts": (CONTACT,),
        "locations": tuple(f"Vestiging {i}" for i in range(1, locations + 1)),
        "employees": employees,
        "services": tuple(services),
    }


def run_audit(
    t: Trajectory,
    audit_day: str,
    answers: Mapping[str, Mapping[str, Score]] | None = None,
    *,
    plan_on: str | None = None,
    expert: str = "Ellen Expert",
    peer: str = "Peer Bakker",
) -> None:
    """From planning to 'wacht op besluit': schedule, score (all Volledig unless given), draft, react."""
    day = date.fromisoformat(audit_day)
    t.do(
        ScheduleAudit,
        plan_on or t.s.phase_since.isoformat(),
        audit_dates=[day],
        expert_auditor=expert,
        peer_auditor=peer,
    )
    given = answers if answers is not None else scores(t.s.round.scope, t.rules)
    indicators = {t.rules.ido_indicator.id: True} if t.s.intake and t.s.intake.ido else {}
    t.do(RecordAuditScores, audit_day, scores=given, indicators=indicators)
    t.do(IssueDraftReport, audit_day)
    t.do(ReactToDraft, audit_day, reaction="Geen opmerkingen.")
