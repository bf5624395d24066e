"""The score sheet is the framework's and makes exactly the command the domain accepts (pure, no browser)."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData, UploadFile

from domain import OpenTrajectory, RecordIntake, ScheduleAudit, Score, SubmitSelfEvaluation, decide
from domain.events import AuditScoresRecorded
from frameworks.loader import load_rules
from interfaces.web.forms import FormErrors
from interfaces.web.score_sheet import SCORES_FORM, ScoreSheet, recorded_rows
from tests.unit.driver import Trajectory, at, intake_fields

KIB2 = load_rules("kib-ii-2023")
AUDIT_DAY = "2026-04-14"


def _planned() -> Trajectory:
    """A VOB library with BoekStart and an IDO: module 1 in scope and the IDO indicator due."""
    t = Trajectory(KIB2)
    t.do(
        OpenTrajectory, "2025-11-03", organisation="Bibliotheek Hengelo", certificate_number="1002",
        association="VOB", framework_version=KIB2.version_id, previous_certificate_expiry=date(2026, 6, 30),
    )  # fmt: skip
    t.fire_due("2025-12-30")
    t.do(RecordIntake, "2026-01-05", **intake_fields(services=["BoekStart", "Informatiepunt Digitale Overheid"]))
    t.do(SubmitSelfEvaluation, "2026-01-10", documents=["zelfevaluatie.pdf"])
    t.do(ScheduleAudit, "2026-01-12", audit_dates=[date.fromisoformat(AUDIT_DAY)],
         expert_auditor="Ellen Expert", peer_auditor="Peer Bakker")  # fmt: skip
    return t


def test_the_sheet_has_every_question_of_every_norm_in_scope_and_the_due_indicator() -> None:
    t = _planned()
    sheet = ScoreSheet.of(t.s, KIB2)
    assert [n.id for n in sheet.norms] == [*KIB2.base_norm_ids, "M1"] == list(t.s.round.scope)
    assert [q.text for q in sheet.norms[-1].questions] == [q.text for q in KIB2.modules[0].questions]
    assert len(sheet.questions) == sum(len(KIB2.norm(n).questions) for n in t.s.round.scope)
    assert set(sheet.choices) == {s.value for s in Score} and sheet.choices[0] == "Niet"  # lowest first
    assert sheet.indicator is not None and sheet.indicator.required and sheet.indicator.id == KIB2.ido_indicator.id


def test_a_filled_sheet_makes_the_command_the_domain_accepts() -> None:
    t = _planned()
    sheet = ScoreSheet.of(t.s, KIB2)
    items: list[tuple[str, str | UploadFile]] = [
        (q.name, "Beperkt" if q.norm == "6" else "Volledig") for q in sheet.questions
    ]
    items += [("indicator.4.IDO", "ja"), ("findings", "Sterk.\n\nHelder."), ("improvement_points", "")]
    posted = FormData(items)
    values = sheet.values_of(posted)
    assert sheet.unanswered(values) == {}
    command = SCORES_FORM.command_of(
        sheet.command_values(values), command_id="c-1", trajectory_id=t.trajectory_id, actor="auditor:ellen"
    )
    [recorded] = decide(t.s, command, at(AUDIT_DAY), KIB2)
    assert isinstance(recorded, AuditScoresRecorded)
    assert recorded.indicators == {"4.IDO": True} and recorded.findings == ("Sterk.", "Helder.")
    t.apply([recorded])
    rows = recorded_rows(t.s, KIB2)
    assert [(r.norm.id, r.failing) for r in rows if r.failing] == [("6", True)]  # as the verdict rule judges


def test_an_empty_sheet_is_named_per_cell_and_as_the_field() -> None:
    t = _planned()
    sheet = ScoreSheet.of(t.s, KIB2)
    values = sheet.values_of(FormData([("score.1.a", "Volledig")]))
    missing = sheet.unanswered(values)
    assert "score.1.a" not in missing and len(missing) == len(sheet.questions)  # 31 cells + the indicator
    assert missing["indicator.4.IDO"] == "Kies ja of nee."
    try:
        SCORES_FORM.command_of(
            sheet.command_values(sheet.values_of(FormData([("score.1.a", "Heel goed")]))),
            command_id="c-2", trajectory_id=t.trajectory_id, actor="auditor:ellen",
        )  # fmt: skip
    except FormErrors as errors:
        assert list(errors.fields) == ["scores"] and "moet een van deze waarden zijn" in errors.fields["scores"][0]
    else:
        raise AssertionError("a score that is not on the scale was accepted")
