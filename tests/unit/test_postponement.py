"""The uitstel policy: grounds before and after the date is fixed, the limit, and force majeure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    DecidePostponement,
    Event,
    InvalidCommand,
    Phase,
    PostponementRefused,
    Quarter,
    RequestPostponement,
    ScheduleAudit,
    SchedulingRefused,
    WithdrawParticipation,
)
from domain.events import PostponementGranted, PostponementRejected, PostponementRequested
from tests.unit.driver import Trajectory, names, only

Planned = Callable[..., Trajectory]


def ask(t: Trajectory, when: str, ground: str, reason: str = "reden", **fields: object) -> list[Event]:
    return t.do(RequestPostponement, when, ground=ground, reason=reason, **fields)


def grant(t: Trajectory, when: str, quarter: str, reason: str = "toegekend", **fields: object) -> list[Event]:
    return t.do(DecidePostponement, when, grant=True, reason=reason, new_quarter=quarter, **fields)


def fixed(planned: Planned) -> Trajectory:
    t = planned()
    t.do(ScheduleAudit, "2026-01-08", audit_dates=[date(2026, 4, 21)], expert_auditor="E", peer_auditor="P")
    return t


def test_a_busy_period_is_no_calamity_once_the_date_is_fixed(planned: Planned) -> None:
    """After the audit date is fixed only a calamity counts: 'drukke periode' is refused, with the rule."""
    t = fixed(planned)
    with pytest.raises(PostponementRefused) as refused:
        ask(t, "2026-03-02", "overig", "drukke periode")
    assert refused.value.message == (
        "uitstel geweigerd: de auditdatum staat vast (2026-04-21) en 'drukke periode' is geen "
        "calamiteit, pandemie of overmacht"
    )
    assert refused.value.rule == "postponement.ground_after_date_fixed"


def test_a_relocation_counts_before_but_not_after_the_date_is_fixed(planned: Planned) -> None:
    """'verhuizing of nieuwbouw' is admissible while planning, refused once the date is fixed."""
    t = planned()
    assert names(ask(t, "2026-01-05", "verhuizing of nieuwbouw", "nieuwbouw centrale")) == ["PostponementRequested"]
    with pytest.raises(PostponementRefused, match="staat vast"):
        ask(fixed(planned), "2026-03-02", "verhuizing of nieuwbouw")


def test_a_calamity_after_the_date_is_fixed_is_admissible_and_moves_the_audit(planned: Planned) -> None:
    """A fire after fixing 2026-04-21 is force majeure: the planner grants it to 2026-K3, it is counted
    apart from the regular postponements, and the audit is back in planning."""
    t = fixed(planned)
    requested = only(ask(t, "2026-03-02", "calamiteit", "brand in de centrale"), PostponementRequested)
    assert requested.date_fixed and requested.force_majeure
    granted = only(grant(t, "2026-03-04", "2026-K3", "brand, audit naar Q3"), PostponementGranted)
    assert granted.new_quarter == Quarter.model_validate("2026-K3")
    assert (granted.regular_granted, granted.force_majeure_granted) == (0, 1)
    assert t.s.phase is Phase.PLANNING and t.s.round.audit_dates == ()


def test_a_granted_postponement_may_name_the_new_date(planned: Planned) -> None:
    """Granted with a new date 2026-09-15 the audit stays planned, in 2026-K3."""
    t = fixed(planned)
    ask(t, "2026-03-02", "calamiteit", "wateroverlast")
    grant(t, "2026-03-04", "2026-K3", new_audit_dates=[date(2026, 9, 15)])
    assert t.s.phase is Phase.SCHEDULED and t.s.round.audit_dates == (date(2026, 9, 15),)


def test_a_third_regular_postponement_is_refused_while_force_majeure_is_still_granted(planned: Planned) -> None:
    """KiB II: two regular postponements, the third is refused; a pandemic is still granted and counted apart."""
    t = planned()
    ask(t, "2026-01-05", "verhuizing of nieuwbouw", "verbouwing")
    grant(t, "2026-01-06", "2026-K3")
    ask(t, "2026-01-07", "langdurige afwezigheid management", "directeur ziek")
    grant(t, "2026-01-08", "2026-K4")
    with pytest.raises(PostponementRefused, match="maximaal 2 reguliere uitstellen") as refused:
        ask(t, "2026-01-09", "langdurige afwezigheid management", "nog steeds ziek")
    assert refused.value.values == {"used": "2", "limit": "2"}
    requested = only(ask(t, "2026-01-09", "overmacht", "lockdown"), PostponementRequested)
    assert requested.force_majeure
    granted = only(grant(t, "2026-01-10", "2027-K1", "pandemie: overmacht"), PostponementGranted)
    assert (granted.regular_granted, granted.force_majeure_granted) == (2, 1)


def test_force_majeure_cannot_be_rejected(planned: Planned) -> None:
    """Rejecting a force majeure request is refused; nothing is recorded."""
    t = planned()
    ask(t, "2026-01-05", "overmacht", "lockdown")
    before = len(t.events)
    with pytest.raises(PostponementRefused, match="altijd toegekend"):
        t.do(DecidePostponement, "2026-01-06", grant=False, reason="nee")
    assert len(t.events) == before


def test_a_rejection_carries_the_planners_reason(planned: Planned) -> None:
    """Every answer is explained: the rejection event carries the reason."""
    t = planned()
    ask(t, "2026-01-05", "langdurige afwezigheid management", "interim-directeur")
    rejected = only(
        t.do(DecidePostponement, "2026-01-06", grant=False, reason="interim-directeur is aanwezig"),
        PostponementRejected,
    )
    assert rejected.reason == "interim-directeur is aanwezig"
    assert t.s.postponements.pending is None


def test_a_merger_counts_only_within_nine_months(planned: Planned) -> None:
    """A merger on 2026-12-01 (requested 2026-01-05) is within 9 months; one on 2026-11-01 a year on is not."""
    t = planned()
    with pytest.raises(PostponementRefused, match="binnen 9 maanden"):
        ask(t, "2026-01-05", "fusie", "fusie met buurbibliotheek", ground_effective_on=date(2026, 11, 1))
    assert names(ask(t, "2026-01-05", "fusie", "fusie", ground_effective_on=date(2026, 10, 5))) == [
        "PostponementRequested"
    ]


def test_an_open_request_is_answered_before_anything_else(planned: Planned) -> None:
    """A pending request blocks scheduling and a second request, and has a planner deadline of 2 weeks."""
    t = planned()
    ask(t, "2026-01-05", "verhuizing of nieuwbouw", "nieuwbouw")
    assert [d.due_on for d in t.deadlines_of("postponement_decision")] == [date(2026, 1, 19)]
    with pytest.raises(SchedulingRefused, match="wacht nog op een besluit"):
        t.do(ScheduleAudit, "2026-01-06", audit_dates=[date(2026, 4, 21)], expert_auditor="E", peer_auditor="P")
    with pytest.raises(PostponementRefused, match="wacht nog"):
        ask(t, "2026-01-06", "overmacht")


def test_deciding_without_a_request_is_refused(planned: Planned) -> None:
    """No request, no decision."""
    with pytest.raises(InvalidCommand, match="geen uitstelverzoek"):
        grant(planned(), "2026-01-06", "2026-K3")


def test_postponement_cannot_move_the_audit_to_an_earlier_quarter(planned: Planned) -> None:
    """Granting to 2026-K1 while the audit quarter is 2026-K2 is refused."""
    t = planned()
    ask(t, "2026-01-05", "verhuizing of nieuwbouw")
    with pytest.raises(PostponementRefused, match="vóór het huidige auditkwartaal"):
        grant(t, "2026-01-06", "2026-K1")


def test_withdrawing_answers_a_pending_request(planned: Planned) -> None:
    """Geen deelname with an open request: the request lapses with an explained rejection."""
    t = planned()
    ask(t, "2026-01-05", "verhuizing of nieuwbouw")
    events = t.do(WithdrawParticipation, "2026-01-06", reason="stopt met certificering")
    assert names(events) == ["PostponementRejected", "ParticipationWithdrawn", "TrajectoryClosed"]
