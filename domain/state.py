"""The state of one trajectory, as folded from its events: immutable, comparable, rules-free.

Grouped by concept (previous certificate, intake, current round, standing decision, postponements,
objection, survey) so each rule module reads the part it owns.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from domain.calendar import Quarter
from domain.vocabulary import (
    Association,
    CostClass,
    DeadlineKind,
    ObjectionStatus,
    OrganisationType,
    Phase,
    PostponementGround,
    Result,
    RoundKind,
    Satisfaction,
    Score,
    SurveyStatus,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PreviousCertificate(_Frozen):
    """The certificate this trajectory renews: its anchor date, its (extended) end, and its fate."""

    expiry: date
    valid_until: date
    expired: bool = False
    interim_ended: bool = False


class IssuedCertificate(_Frozen):
    """The certificate this trajectory produced."""

    number: str
    issued_on: date
    valid_until: date


class Intake(_Frozen):
    """What the intake fixed: category, effort and scope."""

    category: str
    dagdelen: int
    auditor_hours: int
    modules: tuple[str, ...]
    ido: bool
    scope: tuple[str, ...]


class AuditRound(_Frozen):
    """The current audit, heraudit or reassessment, from planning up to its decision."""

    number: int = 0
    kind: RoundKind = RoundKind.AUDIT
    heraudit_rule: bool = False
    scope: tuple[str, ...] = ()
    excluded_auditors: frozenset[str] = frozenset()
    audit_dates: tuple[date, ...] = ()
    expert_auditor: str | None = None
    peer_auditor: str | None = None
    scheduled_on: date | None = None
    scores: dict[str, dict[str, Score]] = {}
    norm_scores: dict[str, float] = {}
    scores_recorded_on: date | None = None
    draft_issued_on: date | None = None
    reaction_ends_on: date | None = None
    decision_due_on: date | None = None
    reaction_received_on: date | None = None

    @property
    def last_audit_day(self) -> date | None:
        """The last day on site, from which the report terms run."""
        return self.audit_dates[-1] if self.audit_dates else None


class Decision(_Frozen):
    """The standing verdict and the windows it opened."""

    round: int
    verdict: Result
    decided_on: date
    failing_norms: tuple[str, ...]
    heraudit_window_opens_on: date | None
    heraudit_window_closes_on: date | None
    objection_term_ends_on: date | None


class PendingPostponement(_Frozen):
    """An uitstel request awaiting a planner's answer."""

    number: int
    ground: PostponementGround
    reason: str
    requested_on: date
    date_fixed: bool
    force_majeure: bool


class DecidedPostponement(_Frozen):
    """A request that was answered: how, when and by whom (to explain a second, late answer)."""

    number: int
    ground: PostponementGround
    granted: bool
    reason: str
    decided_on: date
    decided_at: datetime
    decided_by: str | None
    new_quarter: Quarter | None = None
    new_audit_dates: tuple[date, ...] | None = None


class Postponements(_Frozen):
    """Uitstel bookkeeping: regular ones count against the limit, force majeure apart."""

    requests: int = 0
    regular_granted: int = 0
    force_majeure_granted: int = 0
    pending: PendingPostponement | None = None
    decided: tuple[DecidedPostponement, ...] = ()

    def decided_request(self, number: int | None) -> DecidedPostponement | None:
        """The answered request with this number, or the last answered one when no number is given."""
        if number is None:
            return self.decided[-1] if self.decided else None
        return next((d for d in self.decided if d.number == number), None)


class Objection(_Frozen):
    """The bezwaar against the standing verdict."""

    status: ObjectionStatus = ObjectionStatus.NONE
    filed_on: date | None = None
    decision_due_on: date | None = None
    term_ended: bool = False


class Survey(_Frozen):
    """The satisfaction survey."""

    status: SurveyStatus = SurveyStatus.NOT_SENT
    sent_on: date | None = None
    reminder_on: date | None = None
    closes_on: date | None = None
    reminder_sent: bool = False
    answer: Satisfaction | None = None


class TrajectoryState(_Frozen):
    """Everything decide needs to judge the next command, and nothing else."""

    trajectory_id: str
    organisation: str
    certificate_number: str
    association: Association
    framework_version: str
    opened_on: date
    version: int
    organisation_type: OrganisationType | None = None
    phase: Phase
    phase_since: date
    audit_quarter: Quarter
    announcement_due_on: date
    previous_certificate: PreviousCertificate | None = None
    previous_auditors: frozenset[str] = frozenset()
    declared_relations: frozenset[str] = frozenset()
    announced_on: date | None = None
    intake_sent_on: date | None = None
    intake_due_on: date | None = None
    intake: Intake | None = None
    self_evaluation_submitted_on: date | None = None
    round: AuditRound = AuditRound()
    decision: Decision | None = None
    decisions_taken: int = 0
    remedied_verdict: Result | None = None
    certified_after_heraudit: bool = False
    certificate: IssuedCertificate | None = None
    heraudit_lapsed: bool = False
    postponements: Postponements = Postponements()
    objection: Objection = Objection()
    survey: Survey = Survey()
    cancellations: tuple[CostClass, ...] = ()
    withdrawn: bool = False
    fired: frozenset[str] = frozenset()
    deadline_extensions: dict[DeadlineKind, int] = {}
    """Days a party's term was extended by, per deadline kind (listed as *verlengd*); one extension each."""

    @property
    def is_open(self) -> bool:
        """Still running: not closed."""
        return self.phase is not Phase.CLOSED

    @property
    def verdict(self) -> Result | None:
        """The standing verdict, if any."""
        return self.decision.verdict if self.decision else None

    @property
    def date_fixed(self) -> bool:
        """Whether an audit date is fixed (decides which postponement grounds count)."""
        return self.phase is Phase.SCHEDULED

    @property
    def heraudit_in_preparation(self) -> bool:
        """A heraudit (or the reassessment of one) was requested and has not been decided yet."""
        return self.round.heraudit_rule and self.phase not in (Phase.DECIDED, Phase.CLOSED)
