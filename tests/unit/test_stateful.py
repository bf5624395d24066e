"""Property-based: random command sequences at random moments never break the trajectory's invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import (
    Association,
    CancelAudit,
    ChangeContacts,
    Command,
    DecideCertification,
    DecideObjection,
    DecidePostponement,
    DeclareConflictOfInterest,
    DomainError,
    ExtendValidity,
    FileObjection,
    IssueDraftReport,
    OpenTrajectory,
    Phase,
    PostponementGround,
    Quarter,
    ReactToDraft,
    RecordAuditScores,
    RecordIntake,
    RecordSurveyAnswer,
    Remark,
    RequestHeraudit,
    RequestPostponement,
    Result,
    RoundKind,
    Satisfaction,
    ScheduleAudit,
    Score,
    SendAnnouncement,
    SendIntake,
    SubmitSelfEvaluation,
    WithdrawParticipation,
    deadlines,
    decide,
    event_from_dict,
    event_to_dict,
    event_type,
    register_entry,
    replay,
)
from domain import events as ev
from domain.calendar import AMSTERDAM, local_date, non_working_reason
from frameworks.loader import load_rules
from projections.calendar import CANCELLED, AuditRow, OrganisationRow, fold_event
from projections.message_texts import MessageContext, compose, evolve_context
from tests.unit.driver import CONTACT, Trajectory

AUDITORS = ["Anna", "Bram", "Cees", "Dewi"]
SERVICES = ["BoekStart", "Bibliotheek op school", "IDO", "Leesclub", "Taalhuis", "Makerspace"]
SCORE_VALUES = {Score.NOT: 0, Score.LIMITED: 1, Score.LARGELY: 2, Score.FULLY: 3}
ANSWERS = st.sampled_from(list(Score))
GOOD = st.sampled_from([Score.FULLY, Score.LARGELY])


def oracle_verdict(scores: dict[str, dict[str, Score]], heraudit_rule: bool) -> Result:
    """The verdict rule written out independently of domain.verdict (KiB thresholds: 1.5, 1.0, 2)."""
    means = {n: Fraction(sum(SCORE_VALUES[s] for s in qs.values()), len(qs)) for n, qs in scores.items()}
    failing = [n for n, m in means.items() if m < Fraction(3, 2)]
    if not failing:
        return Result.CERTIFIED
    if heraudit_rule:
        return Result.NOT_CERTIFIED
    if len(failing) <= 2 and all(m >= 1 for m in means.values()):
        return Result.CONDITIONAL
    return Result.NOT_CERTIFIED


class TrajectoryMachine(RuleBasedStateMachine):
    """One trajectory driven by random commands and a clock that only moves forward."""

    def __init__(self) -> None:
        super().__init__()
        self.t: Trajectory
        self.now = datetime(2025, 11, 3, 9, tzinfo=UTC)

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return local_date(self.now)

    def run(self, cls: type[Command], **fields: Any) -> None:
        """Decide at the current moment; a refusal must leave stream and state untouched."""
        command = self.t.command(cls, **fields)
        state, stream = self.t.state, list(self.t.events)
        try:
            events = decide(state, command, self.now, self.t.rules)
        except DomainError:
            assert self.t.state is state and self.t.events == stream
            return
        assert decide(state, command, self.now, self.t.rules) == events, "decide must be deterministic"
        for event in events:
            assert event_from_dict(event_type(event), event_to_dict(event)) == event
        self.t.apply(events)

    def phase_is(self, *phases: Phase) -> bool:
        return self.t.state is not None and self.t.s.phase in phases

    def is_open(self) -> bool:
        return self.t.state is not None and self.t.s.is_open

    # -- setup and time -----------------------------------------------------------------------------

    @initialize(
        version=st.sampled_from(["kib-2018", "kib-ii-2023"]),
        expiry_in=st.one_of(st.none(), st.integers(40, 420)),
        association=st.sampled_from(list(Association)),
    )
    def open(self, version: str, expiry_in: int | None, association: Association) -> None:
        self.t = Trajectory(load_rules(version))
        expiry = self.today + timedelta(days=expiry_in) if expiry_in is not None else None
        quarter = None if expiry else Quarter.of(self.today + timedelta(days=150))
        self.run(
            OpenTrajectory,
            organisation="Bibliotheek Test",
            certificate_number="1999",
            association=association,
            framework_version=version,
            previous_certificate_expiry=expiry,
            audit_quarter=quarter,
            previous_auditors=("Anna",),
        )
        assert self.t.state is not None

    @precondition(lambda self: self.is_open())
    @rule(days=st.integers(0, 45), hour=st.integers(0, 23), minute=st.sampled_from([0, 30, 59]))
    def advance(self, days: int, hour: int, minute: int) -> None:
        moment = datetime.combine(self.today + timedelta(days=days), time(hour, minute), tzinfo=AMSTERDAM)
        self.now = max(self.now, moment.astimezone(UTC))

    @precondition(lambda self: self.is_open())
    @rule()
    def fire_due_deadlines(self) -> None:
        self.t.fire_due(self.now)

    @precondition(lambda self: self.phase_is(Phase.SCHEDULED))
    @rule(extra=st.integers(0, 3))
    def go_to_audit_day(self, extra: int) -> None:
        first = self.t.s.round.audit_dates[0]
        moment = datetime.combine(first + timedelta(days=extra), time(10), tzinfo=AMSTERDAM).astimezone(UTC)
        self.now = max(self.now, moment)

    # -- the auditee's and CBCT's steps ------------------------------------------------------------

    @precondition(lambda self: self.phase_is(Phase.OPENED))
    @rule()
    def send_announcement(self) -> None:
        self.run(SendAnnouncement)

    @precondition(lambda self: self.phase_is(Phase.ANNOUNCED))
    @rule()
    def resend_intake(self) -> None:
        self.run(SendIntake)

    @precondition(lambda self: self.phase_is(Phase.ANNOUNCED))
    @rule(employees=st.integers(1, 300), locations=st.integers(1, 20), services=st.sets(st.sampled_from(SERVICES)))
    def record_intake(self, employees: int, locations: int, services: set[str]) -> None:
        self.run(
            RecordIntake,
            contacts=(CONTACT,),
            locations=tuple(f"L{i}" for i in range(locations)),
            employees=employees,
            services=tuple(sorted(services)),
        )

    @precondition(lambda self: self.is_open())
    @rule(first=st.sampled_from(["an@bieb.example", "bram@bieb.example"]), second=st.booleans())
    def change_contacts(self, first: str, second: bool) -> None:
        contacts = [{"name": first.split("@")[0].capitalize(), "email": first}]
        self.run(ChangeContacts, contacts=tuple(contacts + ([{"name": "Cor", "email": "cor@bieb.example"}] * second)))

    @precondition(lambda self: self.is_open() and self.t.s.version < 8)
    @rule(auditor=st.sampled_from(AUDITORS))
    def declare_conflict(self, auditor: str) -> None:
        self.run(DeclareConflictOfInterest, auditor=auditor, relation="bestuurslid")

    @precondition(lambda self: self.is_open() and self.t.s.self_evaluation_submitted_on is None)
    @rule()
    def submit_self_evaluation(self) -> None:
        self.run(SubmitSelfEvaluation, documents=("zelfevaluatie.pdf",))

    def candidate_days(self) -> list[date]:
        """Working days an audit of the current round could be planned on (what a planner would offer)."""
        s, rules = self.t.s, self.t.rules
        lead = 0
        if s.round.kind is RoundKind.AUDIT and s.self_evaluation_submitted_on is None:
            lead = rules.terms.self_evaluation_lead_days
        elif s.round.kind is RoundKind.HERAUDIT:
            lead = rules.heraudit.min_lead_days
        elif s.round.kind is RoundKind.REASSESSMENT:
            lead = rules.audit.reassessment_min_lead_days
        earliest = self.today + timedelta(days=lead)
        window = (
            (max(earliest, s.audit_quarter.start), s.audit_quarter.end)
            if s.round.kind is RoundKind.AUDIT
            else (earliest, earliest + timedelta(days=60))
        )
        days = [window[0] + timedelta(days=i) for i in range((window[1] - window[0]).days + 1)]
        return [d for d in days if non_working_reason(d) is None]

    @precondition(lambda self: self.phase_is(Phase.PLANNING, Phase.SCHEDULED))
    @rule(
        pick=st.integers(0, 10_000),
        wild=st.sampled_from([None] * 6 + [-3, 0, 17, 45, 200]),
        pair=st.permutations(AUDITORS),
    )
    def schedule(self, pick: int, wild: int | None, pair: list[str]) -> None:
        candidates = self.candidate_days()
        if wild is not None or not candidates:
            first = self.today + timedelta(days=wild or 0)  # possibly invalid: must be refused cleanly
        else:
            first = candidates[pick % len(candidates)]
        self.run(ScheduleAudit, audit_dates=(first,), expert_auditor=pair[0], peer_auditor=pair[1])

    @rule(
        command=st.sampled_from(
            [SendAnnouncement, SendIntake, SubmitSelfEvaluation, IssueDraftReport, DecideCertification, RequestHeraudit]
        )
    )
    def any_step_in_any_phase(self, command: type[Command]) -> None:
        self.run(command)

    @precondition(
        lambda self: (
            self.phase_is(Phase.OPENED, Phase.ANNOUNCED, Phase.PLANNING, Phase.SCHEDULED)
            and self.t.s.postponements.pending is None
        )
    )
    @rule(
        ground=st.sampled_from(list(PostponementGround)),
        effective_in=st.one_of(st.none(), st.integers(-30, 400)),
    )
    def request_postponement(self, ground: PostponementGround, effective_in: int | None) -> None:
        effective = self.today + timedelta(days=effective_in) if effective_in is not None else None
        self.run(RequestPostponement, ground=ground, reason="drukke periode", ground_effective_on=effective)

    @precondition(lambda self: self.t.state is not None and self.t.s.postponements.pending is not None)
    @rule(
        grant=st.booleans(),
        quarters_later=st.integers(0, 3),
        new_date_in=st.one_of(st.none(), st.integers(0, 90)),
        sloppy=st.sampled_from([False] * 5 + [True]),
    )
    def decide_postponement(self, grant: bool, quarters_later: int, new_date_in: int | None, sloppy: bool) -> None:
        s = self.t.s
        pending = s.postponements.pending
        assert pending is not None
        if sloppy:  # now and then a planner error, which must be refused cleanly
            self.run(DecidePostponement, grant=grant, reason="planner besluit", new_quarter=s.audit_quarter)
            return
        quarter = s.audit_quarter
        for _ in range(max(quarters_later, 0 if s.date_fixed else 1)):
            quarter = quarter.next()
        while quarter.end < self.today:
            quarter = quarter.next()
        dates = (quarter.start + timedelta(days=new_date_in),) if new_date_in is not None and s.date_fixed else None
        self.run(
            DecidePostponement,
            grant=grant or pending.force_majeure,
            reason="planner besluit",
            new_quarter=quarter,
            new_audit_dates=dates,
        )
        if self.t.s.postponements.pending is not None:  # e.g. a new date on a holiday: answer without one
            self.run(DecidePostponement, grant=True, reason="planner besluit", new_quarter=quarter.next())

    @precondition(lambda self: self.phase_is(Phase.SCHEDULED))
    @rule(data=st.data())
    def record_scores(self, data: st.DataObject) -> None:
        rules, scope = self.t.rules, self.t.s.round.scope
        answers = {}
        for norm in scope:  # most norms are in good shape; some are drawn from the whole scale
            pool = GOOD if data.draw(st.sampled_from([True] * 8 + [False] * 2)) else ANSWERS
            answers[norm] = {q.id: data.draw(pool) for q in rules.norm(norm).questions}
        indicators = {rules.ido_indicator.id: True} if data.draw(st.booleans()) else {}
        self.run(RecordAuditScores, scores=answers, indicators=indicators, findings=("bevinding",))

    @precondition(lambda self: self.phase_is(Phase.AUDITED))
    @rule()
    def issue_draft(self) -> None:
        self.run(IssueDraftReport)

    @precondition(lambda self: self.phase_is(Phase.DRAFT_ISSUED))
    @rule()
    def react(self) -> None:
        self.run(ReactToDraft, reaction="reactie")

    @precondition(lambda self: self.phase_is(Phase.AWAITING_DECISION))
    @rule(verdict=st.one_of(st.none(), st.sampled_from(list(Result))))
    def decide_certification(self, verdict: Result | None) -> None:
        self.run(DecideCertification, verdict=verdict)

    @precondition(lambda self: self.phase_is(Phase.DECIDED))
    @rule()
    def request_heraudit(self) -> None:
        self.run(RequestHeraudit)

    @precondition(lambda self: self.phase_is(Phase.DECIDED))
    @rule()
    def file_objection(self) -> None:
        self.run(FileObjection, grounds="oneens")

    @precondition(lambda self: self.t.state is not None and self.t.s.objection.status.value == "in behandeling")
    @rule(upheld=st.booleans())
    def decide_objection(self, upheld: bool) -> None:
        self.run(DecideObjection, upheld=upheld, reason="bestuur besluit")

    @precondition(lambda self: self.phase_is(Phase.SCHEDULED))
    @rule()
    def cancel(self) -> None:
        self.run(CancelAudit, reason="annulering")

    @precondition(lambda self: self.t.state is not None and self.t.s.survey.status.value == "verstuurd")
    @rule(answer=st.sampled_from(list(Satisfaction)))
    def answer_survey(self, answer: Satisfaction) -> None:
        self.run(RecordSurveyAnswer, answer=answer)

    @precondition(
        lambda self: (
            self.is_open()
            and self.t.s.previous_certificate is not None
            and self.t.s.previous_certificate.valid_until == self.t.s.previous_certificate.expiry
        )
    )
    @rule(months=st.integers(1, 8))
    def extend(self, months: int) -> None:
        self.run(ExtendValidity, months=months, reason="buitengewone omstandigheid")

    @precondition(lambda self: self.is_open())
    @rule(really=st.sampled_from([False] * 19 + [True]))
    def withdraw(self, really: bool) -> None:
        if really:  # rare, or trajectories would seldom get far
            self.run(WithdrawParticipation, reason="geen deelname")

    # -- the happy path, so random runs get deep: the natural next step for the current phase ---------

    def next_step(self, data: st.DataObject) -> None:
        s = self.t.s
        if s.phase is Phase.OPENED:
            self.run(SendAnnouncement)
        elif s.phase is Phase.ANNOUNCED:
            self.record_intake(
                data.draw(st.integers(1, 300)),
                data.draw(st.integers(1, 20)),
                data.draw(st.sets(st.sampled_from(SERVICES))),
            )
        elif s.phase is Phase.PLANNING and s.round.kind is RoundKind.AUDIT and s.self_evaluation_submitted_on is None:
            self.run(SubmitSelfEvaluation)
        elif s.phase is Phase.PLANNING:
            self.schedule(data.draw(st.integers(0, 10_000)), None, data.draw(st.permutations(AUDITORS)))
        elif s.phase is Phase.SCHEDULED:
            if s.round.kind is RoundKind.AUDIT and s.self_evaluation_submitted_on is None:
                self.run(SubmitSelfEvaluation)
            self.go_to_audit_day(data.draw(st.integers(0, 3)))
            self.record_scores(data)
        elif s.phase is Phase.AUDITED:
            self.run(IssueDraftReport)
        elif s.phase is Phase.DRAFT_ISSUED:
            if data.draw(st.booleans()):
                self.run(ReactToDraft, reaction="reactie")
            else:
                self.advance(15, 0, 5)
                self.t.fire_due(self.now)
        elif s.phase is Phase.AWAITING_DECISION:
            self.run(DecideCertification)
        elif s.phase is Phase.DECIDED:
            if s.survey.status.value == "verstuurd" and data.draw(st.booleans()):
                self.run(RecordSurveyAnswer, answer=data.draw(st.sampled_from(list(Satisfaction))))
            elif data.draw(st.booleans()):
                self.run(RequestHeraudit)
            else:
                self.advance(data.draw(st.integers(20, 200)), 12, 0)
                self.t.fire_due(self.now)

    @precondition(lambda self: self.is_open())
    @rule(data=st.data())
    def progress(self, data: st.DataObject) -> None:
        self.next_step(data)

    @precondition(lambda self: self.is_open())
    @rule(data=st.data())
    def progress_again(self, data: st.DataObject) -> None:
        self.next_step(data)

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def replay_gives_the_same_state(self) -> None:
        assert replay(self.t.events) == self.t.state

    @invariant()
    def regular_postponements_stay_within_the_limit(self) -> None:
        granted = [e for e in self.t.events if isinstance(e, ev.PostponementGranted) and not e.force_majeure]
        assert len(granted) == self.t.s.postponements.regular_granted <= self.t.rules.postponement.max_regular

    @invariant()
    def an_open_trajectory_always_has_a_pending_deadline(self) -> None:
        pending = deadlines(self.t.s, self.t.rules)
        assert len({d.deadline_id for d in pending}) == len(pending)
        assert bool(pending) == self.t.s.is_open

    @invariant()
    def every_verdict_follows_from_the_scores(self) -> None:
        heraudit_rule: dict[int, bool] = {0: False}
        scored: dict[int, dict[str, dict[str, Score]]] = {}
        last_decided_round = 0
        for event in self.t.events:
            if isinstance(event, ev.HerauditRequested):
                heraudit_rule[event.round] = True
            elif isinstance(event, ev.ObjectionDecided) and event.upheld and event.next_round is not None:
                heraudit_rule[event.next_round] = heraudit_rule[last_decided_round]
            elif isinstance(event, ev.AuditScoresRecorded):
                scored[event.round] = event.scores
            elif isinstance(event, ev.CertificationDecided):
                assert event.verdict is oracle_verdict(scored[event.round], heraudit_rule[event.round])
                last_decided_round = event.round

    @invariant()
    def never_certified_without_a_passing_audit(self) -> None:
        issued = [i for i, e in enumerate(self.t.events) if isinstance(e, ev.CertificateIssued)]
        assert len(issued) <= 1
        if self.t.s.certificate is not None:
            decided = self.t.events[issued[0] - 1]
            assert isinstance(decided, ev.CertificationDecided) and decided.verdict is Result.CERTIFIED
            assert all(score >= 1.5 for score in decided.norm_scores.values())

    @invariant()
    def the_register_entry_matches_the_outcome(self) -> None:
        s = self.t.s
        result, remark = register_entry(s)
        assert (remark is Remark.NO_PARTICIPATION) == s.withdrawn
        if s.certificate is not None:
            assert remark is Remark.CERTIFIED_AFTER_HERAUDIT or result is Result.CERTIFIED
        if not s.is_open:
            closed = self.t.events[-1] if isinstance(self.t.events[-1], ev.TrajectoryClosed) else None
            assert closed is None or (closed.result, closed.remark) == (result, remark)

    @invariant()
    def the_emailed_invitation_and_the_calendar_feed_agree(self) -> None:
        """The e-mails' `.ics` (folded in `message_texts`) and the feeds (folded in `calendar`) keep an
        audit's SEQUENCE, status and dates each by their own fold: a calendar that imported one must
        take the other as the same entry, no older and no newer."""
        trajectory_id = self.t.trajectory_id
        audits: dict[tuple[str, int], AuditRow] = {}
        organisations: dict[str, OrganisationRow] = {}
        context: MessageContext | None = None
        for event in self.t.events:
            if isinstance(event, ev.TrajectoryOpened):
                organisations[trajectory_id] = OrganisationRow(
                    trajectory_id=trajectory_id,
                    organisation=event.organisation,
                    certificate_number=event.certificate_number,
                )
            else:
                fold_event(audits, organisations, trajectory_id, event)
            context = evolve_context(context, event)
            draft = compose(event, context) if context is not None and isinstance(event, ev.ContactsChanged) else None
            if draft is not None and draft.invite is not None:  # a new contact's copy of the entry, as it is now
                assert context is not None and context.invite_round is not None
                welcome = audits[(trajectory_id, context.invite_round)]
                invite = draft.invite
                assert (welcome["sequence"], welcome["status"] == CANCELLED, welcome["audit_dates"]) == (
                    invite.sequence,
                    invite.cancelled,
                    invite.dates,
                )
        if context is None or context.invite_round is None:
            assert not audits
            return
        row = audits[(trajectory_id, context.invite_round)]
        assert (row["sequence"], row["status"] == CANCELLED, row["audit_dates"]) == (
            context.invite_sequence,
            context.invite_cancelled,
            context.invite_dates,
        )


TrajectoryMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_trajectory_invariants = TrajectoryMachine.TestCase
test_trajectory_invariants.__doc__ = "Random command sequences at random times keep every trajectory invariant."
