"""Hand-built overview rows for the period report's arithmetic."""

from __future__ import annotations

from datetime import date

from application.reports import ReportRow


def norms(value: float, **overrides: float) -> dict[str, float]:
    """Regular audit scores: every norm 1..7 at `value`, `n6=1.25` overrides one, `M1=2.5` adds module 1."""
    scores = {str(n): value for n in range(1, 8)}
    scores.update({k.removeprefix("n"): v for k, v in overrides.items()})
    return scores


ROWS = [
    ReportRow(
        trajectory_id="vob-certified",
        opened_on=date(2018, 6, 15),
        association="VOB",
        category="I",
        modules=("M1",),
        result="Gecertificeerd",
        audit_norm_scores=norms(3.0, M1=2.5),
        survey_answer="tevreden",
    ),
    ReportRow(
        trajectory_id="cc-heraudit",
        opened_on=date(2018, 7, 1),
        association="Cultuurconnectie",
        category="II",
        result="Voorwaardelijk gecertificeerd",
        remark="Gecertificeerd na heraudit",
        audit_norm_scores=norms(2.0, n6=1.25),
        survey_answer="matig",
    ),
    ReportRow(
        trajectory_id="both-not",
        opened_on=date(2019, 1, 1),
        association="Cultuurconnectie + VOB",
        category="I",
        modules=("M1",),
        result="Niet gecertificeerd",
        audit_norm_scores=norms(1.0, M1=1.0),
        survey_answer="zeer tevreden",
    ),
    ReportRow(
        trajectory_id="cc-withdrawn",
        opened_on=date(2018, 6, 15),
        association="Cultuurconnectie",
        result="Niet gecertificeerd",
        remark="Geen deelname",
    ),
    ReportRow(trajectory_id="vob-undecided", opened_on=date(2022, 12, 31), association="VOB"),
    ReportRow(
        trajectory_id="vob-outside",
        opened_on=date(2023, 3, 1),
        association="VOB",
        category="I",
        result="Gecertificeerd",
        audit_norm_scores=norms(0.0),
        survey_answer="ontevreden",
    ),
]
FROM, TO = date(2018, 1, 1), date(2023, 2, 21)
