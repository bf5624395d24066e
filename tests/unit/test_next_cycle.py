"""The next cycle knows its certificate, and a certificate number belongs to one organisation — the
pure rules, judged on the facts the application reads from the store, under both framework versions.

Bibliotheek Hengelo (1002) is certified on 2026-04-22 with its old certificate ending 2026-06-30, so
gecertificeerd tot is 2030-06-30 (anchored). The next trajectory opens on 2026-05-04.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import (
    CertificateFacts,
    CertificateMismatch,
    CertificateNumberTaken,
    DecideCertification,
    OpenTrajectory,
    RecordIntake,
    RecordSurveyAnswer,
    Rules,
    SendAnnouncement,
    SubmitSelfEvaluation,
    TrajectoryState,
    certificate_facts,
    decide,
)
from domain.calendar import Quarter
from domain.events import CertificateIssued, TrajectoryOpened
from tests.unit.driver import Trajectory, at, intake_fields, only, run_audit

Planned = Callable[..., Trajectory]


def certified(planned_each: Planned, *, survey: bool = True) -> Trajectory:
    t = planned_each()
    run_audit(t, "2026-04-21", plan_on="2026-01-08")
    t.do(DecideCertification, "2026-04-22")
    if survey:
        t.do(RecordSurveyAnswer, "2026-04-23", answer="tevreden")
    return t


def facts(*trajectories: Trajectory) -> CertificateFacts:
    return certificate_facts("1002", [t.s for t in trajectories])


def open_next(
    rules: Rules,
    known: CertificateFacts,
    *,
    organisation: str = "Bibliotheek Hengelo",
    day: str = "2026-05-04",
    **fields: object,
) -> TrajectoryOpened:
    command = OpenTrajectory(
        command_id="open-next",
        trajectory_id="t-2",
        actor="planner",
        organisation=organisation,
        certificate_number="1002",
        association="VOB",
        framework_version=rules.version_id,
        **fields,
    )
    opened: TrajectoryOpened = only(decide(None, command, at(day), rules, facts=known), TrajectoryOpened)
    return opened


def test_the_facts_name_holder_and_running_certificate(planned_each: Planned) -> None:
    t = certified(planned_each)
    known = facts(t)
    assert (known.holder, known.holder_trajectory) == ("Bibliotheek Hengelo", "t-1")
    assert known.certificate is not None
    assert (known.certificate.valid_until, known.certificate.issued_on) == (date(2030, 6, 30), date(2026, 4, 22))
    assert certificate_facts("9999", [t.s]) == CertificateFacts.unknown("9999")


def test_the_next_cycle_takes_the_running_certificate_from_the_store(planned_each: Planned) -> None:
    """No end date typed: gecertificeerd tot 2030-06-30 comes from the store, and so does the quarter."""
    t = certified(planned_each)
    opened = open_next(t.rules, facts(t))
    assert opened.previous_certificate_expiry == date(2030, 6, 30)
    assert opened.audit_quarter == Quarter(year=2030, number=2)
    assert opened.announcement_due_on == date(2029, 12, 30)


def test_a_typed_end_date_that_agrees_is_accepted(planned_each: Planned) -> None:
    t = certified(planned_each)
    opened = open_next(t.rules, facts(t), previous_certificate_expiry=date(2030, 6, 30))
    assert opened.previous_certificate_expiry == date(2030, 6, 30)


@pytest.mark.parametrize("typed", [date(2030, 6, 29), date(2030, 7, 1), date(2026, 6, 30)])
def test_a_typed_end_date_that_disagrees_is_refused_with_both_dates(planned_each: Planned, typed: date) -> None:
    t = certified(planned_each)
    with pytest.raises(CertificateMismatch) as refused:
        open_next(t.rules, facts(t), previous_certificate_expiry=typed)
    assert refused.value.rule == "certificate.expiry_mismatch"
    assert refused.value.message == (
        "certificaat 1002 van Bibliotheek Hengelo is geldig tot 2030-06-30 (afgegeven op 2026-04-22 in traject "
        f"t-1), niet tot {typed.isoformat()}; laat de einddatum weg, die volgt uit het register"
    )


def test_another_organisations_number_is_refused_naming_the_holder(planned_each: Planned) -> None:
    t = certified(planned_each)
    with pytest.raises(CertificateNumberTaken) as refused:
        open_next(t.rules, facts(t), organisation="Bibliotheek Oldenzaal")
    assert refused.value.rule == "certificate.number_taken"
    assert refused.value.message == (
        "certificaatnummer 1002 hoort bij Bibliotheek Hengelo (traject t-1), niet bij Bibliotheek Oldenzaal; "
        "open het traject onder het eigen certificaatnummer van Bibliotheek Oldenzaal"
    )
    assert refused.value.values["holder"] == "Bibliotheek Hengelo"


def test_the_holder_is_known_before_any_certificate(planned_each: Planned) -> None:
    """A trajectory in progress already holds its number."""
    t = planned_each()
    with pytest.raises(CertificateNumberTaken, match="hoort bij Bibliotheek Hengelo"):
        open_next(t.rules, facts(t), organisation="Bibliotheek Oldenzaal", day="2026-01-05")


def test_case_and_spacing_do_not_make_another_organisation(planned_each: Planned) -> None:
    t = certified(planned_each)
    assert open_next(t.rules, facts(t), organisation="bibliotheek  HENGELO").organisation == "bibliotheek  HENGELO"


def test_a_certified_trajectory_waiting_for_its_survey_is_done(planned_each: Planned) -> None:
    """The survey is still open, but the certificate is issued: the next cycle may open."""
    t = certified(planned_each, survey=False)
    assert t.s.is_open
    assert open_next(t.rules, facts(t)).previous_certificate_expiry == date(2030, 6, 30)


def test_a_certificate_that_ended_is_not_renewed_automatically(planned_each: Planned) -> None:
    """On 2030-07-01 the certificate has ended: the next trajectory starts afresh (quarter from today)."""
    t = certified(planned_each)
    opened = open_next(t.rules, facts(t), day="2030-07-01")
    assert opened.previous_certificate_expiry is None
    assert opened.audit_quarter == Quarter(year=2031, number=1)


def test_the_last_day_of_the_certificate_still_renews_it(planned_each: Planned) -> None:
    """On 2030-06-30 it still runs; its quarter 2030-K2 has not ended."""
    t = certified(planned_each)
    opened = open_next(t.rules, facts(t), day="2030-06-30")
    assert opened.previous_certificate_expiry == date(2030, 6, 30)


def test_an_unknown_number_keeps_the_typed_date(each_framework: Rules) -> None:
    """A certificate from before the system: the typed end date stands."""
    opened = open_next(each_framework, CertificateFacts.unknown("1002"), previous_certificate_expiry=date(2027, 3, 31))
    assert opened.previous_certificate_expiry == date(2027, 3, 31)


def test_the_new_certificate_is_anchored_on_the_running_one(planned_each: Planned) -> None:
    """The next cycle, decided 2030-05-15 before 2030-06-30: gecertificeerd tot 2034-06-30."""
    first = certified(planned_each)
    second = Trajectory(first.rules, "t-2")
    second.apply([open_next(first.rules, facts(first), day="2029-11-01")])
    state: TrajectoryState = second.s
    assert state.previous_certificate is not None and state.previous_certificate.expiry == date(2030, 6, 30)
    second.do(SendAnnouncement, "2029-12-30")
    second.do(RecordIntake, "2030-01-06", **intake_fields())
    second.do(SubmitSelfEvaluation, "2030-01-07")
    run_audit(second, "2030-04-16", plan_on="2030-01-08")
    issued = only(second.do(DecideCertification, "2030-05-15"), CertificateIssued)
    assert (issued.valid_until, issued.anchored_on) == (date(2034, 6, 30), date(2030, 6, 30))
