"""The 2018-2022 period end to end under KiB 2018, clock up to 2023-02-21: every register outcome of the
published register arises from commands and deadlines alone, including the spring-2020 lockdown."""

from __future__ import annotations

from datetime import date

import pytest

from domain import (
    CertificateStatus,
    DecideCertification,
    DecidePostponement,
    ExtendValidity,
    OpenTrajectory,
    RecordIntake,
    RecordSurveyAnswer,
    Remark,
    RequestHeraudit,
    RequestPostponement,
    Result,
    Rules,
    ScheduleAudit,
    Score,
    SubmitSelfEvaluation,
    WithdrawParticipation,
    certificate_status,
    register_entry,
)
from domain.events import CertificateIssued, PostponementGranted
from tests.unit.driver import Trajectory, intake_fields, only, run_audit, scores

DEMO_END = "2023-02-21"
B, G = Score.LIMITED, Score.LARGELY


def opened_2019(
    rules: Rules,
    expiry: date = date(2019, 3, 31),
    dates: tuple[str, str, str, str] = ("2018-06-15", "2018-10-01", "2018-10-08", "2018-11-01"),
) -> Trajectory:
    """A VOB library whose certificate expires in 2019-K1; opened mid-2018; announced (by the deadline),
    intake and self-evaluation in, on the given dates."""
    opened_on, announced_on, intake_on, self_evaluation_on = dates
    t = Trajectory(rules, "kib-1036")
    t.do(
        OpenTrajectory,
        opened_on,
        organisation="Bibliotheek Helmond-Peel",
        certificate_number="1036",
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry=expiry,
    )
    t.fire_due(announced_on)
    t.do(RecordIntake, intake_on, **intake_fields(services=("BoekStart",)))
    t.do(SubmitSelfEvaluation, self_evaluation_on)
    return t


def test_spring_2020_lockdown_postponement_is_force_majeure_and_the_extension_keeps_the_anchor(kib2018: Rules) -> None:
    """Audit fixed for 2020-04-14; lockdown → force majeure to 2020-K4; validity extended 6 months;
    certified 2020-11-20 → gecertificeerd tot 2024-06-30, anchored on the original expiry."""
    t = opened_2019(kib2018, date(2020, 6, 30), ("2019-06-14", "2019-12-30", "2020-01-06", "2020-01-10"))
    t.do(ScheduleAudit, "2020-01-13", audit_dates=[date(2020, 4, 14)], expert_auditor="E", peer_auditor="P")
    t.do(RequestPostponement, "2020-03-16", ground="overmacht", reason="lockdown COVID-19")
    granted = only(
        t.do(DecidePostponement, "2020-03-17", grant=True, reason="pandemie: overmacht", new_quarter="2020-K4"),
        PostponementGranted,
    )
    assert granted.force_majeure and (granted.regular_granted, granted.force_majeure_granted) == (0, 1)
    t.do(ExtendValidity, "2020-03-18", months=6, reason="coronamaatregelen")
    t.fire_due("2020-07-01")
    assert certificate_status(t.s) is CertificateStatus.VALID
    run_audit(t, "2020-10-13", plan_on="2020-07-01")
    certificate = only(t.do(DecideCertification, "2020-11-20"), CertificateIssued)
    assert certificate.valid_until == date(2024, 6, 30)
    t.do(RecordSurveyAnswer, "2020-11-25", answer="tevreden")
    assert register_entry(t.s) == (Result.CERTIFIED, None) and not t.s.is_open


def conditional_2019(rules: Rules) -> Trajectory:
    t = opened_2019(rules)
    run_audit(t, "2019-02-12", scores(t.s.round.scope, rules, n6=[B, B, G, B]), plan_on="2018-12-03")
    t.do(DecideCertification, "2019-03-15")
    t.do(RecordSurveyAnswer, "2019-03-20", answer="matig")
    return t


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("certified", (Result.CERTIFIED, None)),
        ("withdrawn", (Result.NOT_CERTIFIED, Remark.NO_PARTICIPATION)),
        ("heraudit_passed", (Result.CONDITIONAL, Remark.CERTIFIED_AFTER_HERAUDIT)),
        ("heraudit_pending", (Result.CONDITIONAL, Remark.HERAUDIT_IN_PREPARATION)),
        ("conditional_lapsed", (Result.CONDITIONAL, Remark.NO_HERAUDIT_REQUESTED)),
        ("negative_lapsed", (Result.NOT_CERTIFIED, Remark.NO_HERAUDIT_REQUESTED)),
    ],
)
def test_every_register_outcome_arises_from_the_process(
    kib2018: Rules, outcome: str, expected: tuple[Result, Remark | None]
) -> None:
    """Each (result, remark) pair of the 2018-2022 register, as it stands on 2023-02-21."""
    if outcome == "certified":
        t = opened_2019(kib2018)
        run_audit(t, "2019-02-12", plan_on="2018-12-03")
        t.do(DecideCertification, "2019-03-15")
    elif outcome == "withdrawn":
        t = opened_2019(kib2018)
        t.do(WithdrawParticipation, "2018-12-01", reason="geen deelname aan KiB")
    elif outcome == "heraudit_passed":
        t = conditional_2019(kib2018)
        t.do(RequestHeraudit, "2019-06-03")
        run_audit(t, "2019-07-02", scores(("6",), kib2018, n6=G))
        t.do(DecideCertification, "2019-07-10")
    elif outcome == "heraudit_pending":
        t = Trajectory(kib2018, "kib-1052")
        t.do(
            OpenTrajectory,
            "2022-01-10",
            organisation="GIGANT",
            certificate_number="1052",
            association="Cultuurconnectie",
            framework_version="kib-2018",
            audit_quarter="2022-K2",
        )
        t.fire_due("2022-01-10")
        t.do(RecordIntake, "2022-01-20", **intake_fields())
        t.do(SubmitSelfEvaluation, "2022-02-01")
        run_audit(t, "2022-05-10", scores(t.s.round.scope, kib2018, n2=[B, B, G, B]), plan_on="2022-02-02")
        t.do(DecideCertification, "2022-10-03")
        t.do(RequestHeraudit, "2023-02-01")
    elif outcome == "conditional_lapsed":
        t = conditional_2019(kib2018)
    else:
        t = opened_2019(kib2018)
        run_audit(t, "2019-02-12", scores(t.s.round.scope, kib2018, n1=B, n2=B, n3=B), plan_on="2018-12-03")
        t.do(DecideCertification, "2019-03-15")
    t.fire_due(DEMO_END)
    assert register_entry(t.s) == expected
