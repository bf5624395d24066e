"""What the period report needs to know of one trajectory, read from its events: pure.

The report is computed from the events themselves (see ``as_of``), so a trajectory's facts are a fold of
its stream up to the reference date: the domain's own ``evolve`` for the state (register result and
remark, certificate status) and, beside it, what the state does not keep: the ratings of the regular
audit per question, every postponement request with its ground and answer, validity extensions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from domain import TrajectoryState, certificate_status, certified_until, evolve, register_entry
from domain import events as ev
from domain.calendar import AMSTERDAM
from domain.vocabulary import RoundKind, Score

GRANTED = "toegekend"
REFUSED = "afgewezen"
LAPSED = "vervallen"
PENDING = "in behandeling"


@dataclass(frozen=True)
class PostponementFact:
    """One uitstel request: its ground, whether it was force majeure, and how it was answered."""

    number: int
    ground: str
    force_majeure: bool
    requested_on: date
    outcome: str = PENDING
    answered_on: date | None = None


@dataclass(frozen=True)
class TrajectoryFacts:
    """One trajectory as the report counts it (Dutch values as the domain spells them)."""

    trajectory_id: str
    certificate_number: str
    organisation: str
    association: str
    organisation_type: str | None
    opened_on: date
    framework_version: str = ""
    last_event_at: datetime | None = None
    category: str | None = None
    modules: tuple[str, ...] = ()
    audited: bool = False
    audit_ratings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    audit_norm_scores: Mapping[str, float] = field(default_factory=dict)
    result: str | None = None
    remark: str | None = None
    certified_until: date | None = None
    status: str = ""
    closed: bool = False
    withdrawn: bool = False
    survey_answer: str | None = None
    postponements: tuple[PostponementFact, ...] = ()
    extended: bool = False
    audited_on: date | None = None  # the day the regular audit's scores were recorded
    withdrawn_on: date | None = None

    @property
    def no_participation(self) -> bool:
        return self.remark == "Geen deelname"

    @property
    def postponed(self) -> bool:
        """At least one postponement was granted."""
        return any(p.outcome == GRANTED for p in self.postponements)

    @property
    def postponement_became_cancellation(self) -> bool:
        """Uitstel werd afstel: postponed, then ended without an audit."""
        return self.postponed and not self.audited and (self.withdrawn or self.closed)


def status_on(state: TrajectoryState, day: date) -> str:
    """The certificate status on ``day``: a validity that ended before it reads 'verlopen' even when
    the closed trajectory never recorded its expiry."""
    status = certificate_status(state).value
    until = certified_until(state)
    if status == "gecertificeerd tot" and until is not None and until < day:
        return "verlopen"
    return status


def facts_of(events: Iterable[ev.Event], on: date) -> TrajectoryFacts | None:
    """The facts of one trajectory from its events (in stream order); None for an empty stream."""
    state: TrajectoryState | None = None
    last: datetime | None = None
    ratings: dict[str, dict[str, str]] = {}
    norm_scores: dict[str, float] = {}
    audited = extended = False
    audited_on: date | None = None
    withdrawn_on: date | None = None
    requests: dict[int, PostponementFact] = {}
    rejection: tuple[int, datetime] | None = None  # the last rejection: request number, instant
    for event in events:
        state = evolve(state, event)
        last = event.occurred_at
        if isinstance(event, ev.ParticipationWithdrawn) and rejection and rejection[1] == event.occurred_at:
            # The withdrawal answered the open request in the same command: it lapsed, nobody refused it.
            r = requests[rejection[0]]
            requests[rejection[0]] = PostponementFact(
                r.number, r.ground, r.force_majeure, r.requested_on, LAPSED, day_of(event.occurred_at)
            )
        if isinstance(event, ev.ParticipationWithdrawn) and withdrawn_on is None:
            withdrawn_on = day_of(event.occurred_at)
        if isinstance(event, ev.AuditScoresRecorded) and event.round_kind is RoundKind.AUDIT:
            audited = True
            audited_on = audited_on or day_of(event.occurred_at)
            ratings = {norm: {q: Score(s).value for q, s in answers.items()} for norm, answers in event.scores.items()}
            norm_scores = dict(event.norm_scores)
        elif isinstance(event, ev.PostponementRequested):
            requests[event.request_number] = PostponementFact(
                event.request_number, event.ground.value, event.force_majeure, event.requested_on
            )
        elif isinstance(event, ev.PostponementGranted) and event.request_number in requests:
            r = requests[event.request_number]
            requests[event.request_number] = PostponementFact(
                r.number,
                r.ground,
                event.force_majeure or r.force_majeure,
                r.requested_on,
                GRANTED,
                day_of(event.occurred_at),
            )
        elif isinstance(event, ev.PostponementRejected) and event.request_number in requests:
            r = requests[event.request_number]
            requests[event.request_number] = PostponementFact(
                r.number, r.ground, r.force_majeure, r.requested_on, REFUSED, day_of(event.occurred_at)
            )
            rejection = (event.request_number, event.occurred_at)
        elif isinstance(event, ev.ValidityExtended):
            extended = True
    if state is None:
        return None
    entry = register_entry(state)
    return TrajectoryFacts(
        trajectory_id=state.trajectory_id,
        certificate_number=state.certificate_number,
        organisation=state.organisation,
        association=state.association.value,
        organisation_type=state.organisation_type.value if state.organisation_type else None,
        opened_on=state.opened_on,
        framework_version=state.framework_version,
        last_event_at=last,
        category=state.intake.category if state.intake else None,
        modules=state.intake.modules if state.intake else (),
        audited=audited,
        audit_ratings=ratings,
        audit_norm_scores=norm_scores,
        result=entry.result.value if entry.result else None,
        remark=entry.remark.value if entry.remark else None,
        certified_until=certified_until(state),
        status=status_on(state, on),
        closed=not state.is_open,
        withdrawn=state.withdrawn,
        survey_answer=state.survey.answer.value if state.survey.answer else None,
        postponements=tuple(requests[n] for n in sorted(requests)),
        extended=extended,
        audited_on=audited_on,
        withdrawn_on=withdrawn_on,
    )


def day_of(moment: datetime) -> date:
    """The Amsterdam date of an event's instant."""
    return moment.astimezone(AMSTERDAM).date()
