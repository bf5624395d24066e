"""What a planner needs to answer an uitstel request: the rule that applies, and what a grant would move.

Pure (no I/O, no clock): the caller passes the trajectory's state, the moment and its framework's rules.
The preview asks the domain itself: it decides the `DecidePostponement` grant on the state, folds the
events it would cause (nothing is stored), and compares the audit and every pending deadline before and
after. A grant the rules would refuse previews as that refusal, in the rule's own words, so the inbox
says so before anyone sends it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from domain import DecidePostponement, DomainError, Rules, TrajectoryState, deadlines, decide, evolve
from domain.calendar import Quarter, local_date
from domain.dutch import datum, datums, opsomming
from domain.postponement import decision_due, is_force_majeure
from domain.state import PendingPostponement
from domain.vocabulary import DeadlineKind, Phase, PostponementGround

Change = Literal["verschuift", "vervalt", "nieuw"]
PREVIEW_ID = "preview"
"""The command id of a previewed grant (never sent: a preview decides without storing)."""


@dataclass(frozen=True)
class RuleExplanation:
    """The uitstel rule as it applies to the pending request, in CBCT's terms."""

    ground: PostponementGround
    force_majeure: bool
    date_fixed: bool
    admissible: tuple[PostponementGround, ...]
    regular_granted: int
    regular_max: int
    force_majeure_granted: int
    decide_by: date
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DeadlineShift:
    """One deadline a grant would change: its Dutch label, for whom, and its date before and after."""

    label: str
    party: str
    before: date | None
    after: date | None

    @property
    def change(self) -> Change:
        if self.before is None:
            return "nieuw"
        if self.after is None:
            return "vervalt"
        return "verschuift"


@dataclass(frozen=True)
class GrantPreview:
    """The trajectory before and after granting with `command` (when the rules allow it; else `refusal`)."""

    command: DecidePostponement
    refusal: str | None
    rule: str | None
    quarter_before: Quarter
    quarter_after: Quarter
    dates_before: tuple[date, ...]
    dates_after: tuple[date, ...]
    phase_before: Phase
    phase_after: Phase
    deadlines: tuple[DeadlineShift, ...]

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def audit_moves(self) -> bool:
        return self.quarter_before != self.quarter_after or self.dates_before != self.dates_after


PARTY_NAMES = {
    "auditee": "organisatie",
    "planner": "planner",
    "auditor": "auditor",
    "director": "directeur",
    "board": "bestuur",
    "cbct": "CBCT",
}


def party_name(party: str) -> str:
    """Who must act before a deadline, in Dutch (the domain's `Party` values are English)."""
    return PARTY_NAMES.get(party, party)


def _names(grounds: tuple[PostponementGround, ...]) -> str:
    return opsomming(g.value for g in grounds) or "geen"


def explain_rule(state: TrajectoryState, rules: Rules) -> RuleExplanation:
    """The rule for the trajectory's pending request (there must be one), with Dutch lines to show."""
    pending = state.postponements.pending
    if pending is None:
        raise ValueError(f"traject {state.trajectory_id} heeft geen openstaand uitstelverzoek")
    policy = rules.postponement
    fixed = pending.date_fixed
    used = state.postponements.regular_granted
    force = pending.force_majeure
    due = decision_due(pending.requested_on, rules)
    lines = [_ground_line(pending, rules)]
    if force:
        lines.append(
            f"Overmacht ({_names(policy.force_majeure)}) wordt altijd toegekend en telt niet mee voor het maximum "
            f"van {policy.max_regular} reguliere uitstellen: weigeren kan niet."
        )
    else:
        left = policy.max_regular - used
        lines.append(
            f"Reguliere uitstellen: {used} van de maximaal {policy.max_regular} verleend"
            + (f"; toekennen maakt het {used + 1}." if left > 0 else "; er kan er geen meer bij.")
        )
    if pending.ground is PostponementGround.MERGER:
        lines.append(
            f"Een fusie telt alleen als zij binnen {policy.merger_within_months} maanden na het verzoek ingaat."
        )
    if state.date_fixed:
        lines.append(
            f"De auditdatum staat vast ({datums(state.round.audit_dates)}): toekennen met alleen een nieuw "
            "kwartaal zet de audit terug in de planning; met een nieuwe auditdatum blijft zij gepland."
        )
    lines.append(
        f"Beslis uiterlijk {datum(due)} (binnen {policy.decision_days} dagen na het verzoek), altijd met een reden."
    )
    return RuleExplanation(
        ground=pending.ground,
        force_majeure=force,
        date_fixed=fixed,
        admissible=policy.after_date_fixed if fixed else policy.before_date_fixed,
        regular_granted=used,
        regular_max=policy.max_regular,
        force_majeure_granted=state.postponements.force_majeure_granted,
        decide_by=due,
        lines=tuple(lines),
    )


def _ground_line(pending: PendingPostponement, rules: Rules) -> str:
    policy = rules.postponement
    kind = "overmacht" if is_force_majeure(pending.ground, rules) else "een reguliere grond"
    when = (
        f"Na het vastleggen van de auditdatum gelden alleen {_names(policy.after_date_fixed)}"
        if pending.date_fixed
        else f"Zolang de auditdatum niet vastligt gelden {_names(policy.before_date_fixed)}"
    )
    return f"Grond: {pending.ground.value} ({kind}). {when}."


def proposed_quarter(state: TrajectoryState, now: datetime) -> Quarter:
    """Where a grant moves the audit unless the planner says otherwise: the next quarter that has not
    ended yet."""
    today = local_date(now)
    quarter = state.audit_quarter.next()
    while quarter.end < today:
        quarter = quarter.next()
    return quarter


def grant_command(
    state: TrajectoryState,
    now: datetime,
    *,
    new_quarter: Quarter | None = None,
    new_audit_dates: tuple[date, ...] | None = None,
    reason: str = "Voorbeeld van de gevolgen.",
    actor: str = "web:preview",
) -> DecidePostponement:
    """A grant of the pending request to `new_quarter` and/or `new_audit_dates` (by default the proposed
    quarter), as a preview decides it."""
    pending = state.postponements.pending
    if new_quarter is None and not new_audit_dates:
        new_quarter = proposed_quarter(state, now)
    return DecidePostponement(
        command_id=PREVIEW_ID,
        trajectory_id=state.trajectory_id,
        actor=actor,
        grant=True,
        reason=reason,
        request_number=pending.number if pending else None,
        new_quarter=new_quarter,
        new_audit_dates=new_audit_dates or None,
    )


def _keyed(state: TrajectoryState, rules: Rules) -> dict[tuple[DeadlineKind, int], tuple[str, str, date]]:
    """The pending deadlines by (kind, n-th of that kind), but the decision on the request itself."""
    seen: Counter[DeadlineKind] = Counter()
    keyed: dict[tuple[DeadlineKind, int], tuple[str, str, date]] = {}
    for d in deadlines(state, rules):
        if d.kind is DeadlineKind.POSTPONEMENT_DECISION:
            continue
        keyed[(d.kind, seen[d.kind])] = (d.kind.label, d.party.value, d.due_on)
        seen[d.kind] += 1
    return keyed


def preview_grant(state: TrajectoryState, command: DecidePostponement, now: datetime, rules: Rules) -> GrantPreview:
    """What granting with `command` would change, decided by the domain on `state` and not stored."""
    after: TrajectoryState = state
    refusal: str | None = None
    rule: str | None = None
    try:
        for event in decide(state, command, now, rules):
            after = evolve(after, event)
    except DomainError as refused:
        refusal, rule, after = refused.message, refused.rule, state
    before_deadlines, after_deadlines = _keyed(state, rules), _keyed(after, rules)
    shifts = []
    for key in sorted(before_deadlines.keys() | after_deadlines.keys(), key=lambda k: (k[0].value, k[1])):
        was, will = before_deadlines.get(key), after_deadlines.get(key)
        if was is not None and will is not None and was[2] == will[2]:
            continue
        label, party, _ = was or will or ("", "", date.min)
        shifts.append(DeadlineShift(label, party_name(party), was[2] if was else None, will[2] if will else None))
    shifts.sort(key=lambda s: (s.after or s.before or date.max, s.label))
    return GrantPreview(
        command=command,
        refusal=refusal,
        rule=rule,
        quarter_before=state.audit_quarter,
        quarter_after=after.audit_quarter,
        dates_before=state.round.audit_dates,
        dates_after=after.round.audit_dates,
        phase_before=state.phase,
        phase_after=after.phase,
        deadlines=tuple(shifts),
    )
