"""Hand-built event histories through the pure domain (decide/evolve), for the report's arithmetic."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import (
    DecideCertification,
    DecidePostponement,
    ExtendValidity,
    OpenTrajectory,
    RecordIntake,
    RecordSurveyAnswer,
    RequestHeraudit,
    RequestPostponement,
    Score,
    SubmitSelfEvaluation,
    WithdrawParticipation,
)
from domain.events import Event
from frameworks.loader import load_rules
from tests.unit.driver import Trajectory, intake_fields, run_audit, scores

KIB2018 = load_rules("kib-2018")
N, B, G, V = Score.NOT, Score.LIMITED, Score.LARGELY, Score.FULLY
#: Employees per audit category (locations 2, services ≤ 5 keep the size measure on employees).
EMPLOYEES = {"I": 20, "II": 60, "III": 150, "IV": 400}


def opened(
    tid: str,
    association: str = "VOB",
    *,
    organisation_type: str | None = None,
    category: str = "II",
    library: bool | None = None,
    opened_on: str = "2018-06-15",
    intake: bool = True,
) -> Trajectory:
    """Opened in 2018 (certificate expiring 31-03-2019), announced, intake and self-evaluation in."""
    t = Trajectory(KIB2018, tid)
    t.do(
        OpenTrajectory,
        opened_on,
        organisation=f"Organisatie {tid}",
        certificate_number=tid.removeprefix("t"),
        association=association,
        framework_version="kib-2018",
        previous_certificate_expiry=date(2019, 3, 31),
        organisation_type=organisation_type,
    )
    t.fire_due("2018-10-01")
    if intake:
        is_library = association != "Cultuurconnectie" if library is None else library
        services = ("BoekStart",) if is_library else ("Cursussen",)
        t.do(RecordIntake, "2018-10-08", **intake_fields(employees=EMPLOYEES[category], locations=2, services=services))
        t.do(SubmitSelfEvaluation, "2018-11-01", documents=("zelfevaluatie.pdf",))
    return t


def audited(
    t: Trajectory,
    survey: str | None = "tevreden",
    *,
    day: str = "2019-02-12",
    plan_on: str = "2018-12-03",
    decide_on: str = "2019-03-15",
    **norms: Any,
) -> Trajectory:
    """Audited on `day` with the given ratings (default Volledig; `n3=[B, G, V, V]`, `nM1=...`), decided."""
    run_audit(t, day, scores(t.s.round.scope, KIB2018, **norms), plan_on=plan_on)
    t.do(DecideCertification, decide_on)
    if survey:
        t.do(RecordSurveyAnswer, decide_on, answer=survey)
    return t


def heraudit(t: Trajectory, *, on: str = "2019-07-02") -> Trajectory:
    """Request and pass (Grotendeels on every failing norm) a heraudit after a voorwaardelijk verdict."""
    t.do(RequestHeraudit, "2019-06-03")
    run_audit(t, on, scores(t.s.round.scope, KIB2018, G))
    t.do(DecideCertification, "2019-07-10")
    return t


def postpone(
    t: Trajectory, ground: str, *, grant: bool, when: str = "2018-11-05", quarter: str = "2019-K3"
) -> Trajectory:
    t.do(RequestPostponement, when, ground=ground, reason=f"verzoek: {ground}")
    if grant:
        t.do(DecidePostponement, when, grant=True, reason="toegekend", new_quarter=quarter)
    else:
        t.do(DecidePostponement, when, grant=False, reason="afgewezen: geen geldige grond")
    return t


def withdraw(t: Trajectory, when: str = "2018-12-01") -> Trajectory:
    t.do(WithdrawParticipation, when, reason="geen deelname aan KiB")
    return t


def extend(t: Trajectory, when: str = "2019-03-01") -> Trajectory:
    t.do(ExtendValidity, when, months=6, reason="coronamaatregelen")
    return t


def events_of(*trajectories: Trajectory) -> list[Event]:
    return [e for t in trajectories for e in t.events]


FROM, TO, PEIL = date(2018, 1, 1), date(2022, 12, 31), date(2023, 2, 21)


def histories() -> list[Trajectory]:
    """Nine trajectories: every outcome, group, category, band and postponement the report counts."""
    t8 = opened("t1008", "Cultuurconnectie")
    t8.do(RequestPostponement, "2018-11-05", ground="fusie", reason="fusie", ground_effective_on=date(2019, 3, 1))
    return [
        audited(
            opened("t1001", category="I", organisation_type="openbare bibliotheek"),
            "zeer tevreden",
            n3=[B, B, G, V],
            nM1=[B, G, V, V],
        ),
        heraudit(audited(opened("t1002", category="III"), "matig", n6=[B, B, G, B], nM1=[N, B, B, G])),
        audited(
            opened("t1003", "Cultuurconnectie + VOB", organisation_type="multifunctionele organisatie"),
            "ontevreden",
            default=G,
        ),
        audited(
            postpone(opened("t1004", "Cultuurconnectie", category="IV"), "verhuizing of nieuwbouw", grant=True),
            day="2019-08-13",
            plan_on="2019-06-03",
            decide_on="2019-09-16",
            n4=G,
        ),
        audited(
            opened("t1005", "Cultuurconnectie", category="I", organisation_type="volksuniversiteit"), None, default=B
        ),
        withdraw(postpone(opened("t1006", "Cultuurconnectie"), "overmacht", grant=True), "2019-05-01"),
        withdraw(postpone(opened("t1007"), "verhuizing of nieuwbouw", grant=False)),
        withdraw(t8),
        extend(opened("t1009")),
    ]
