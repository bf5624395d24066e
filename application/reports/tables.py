"""The period report as titled tables with Dutch headings: one source for the console, CSV and XLSX."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.reports.period import (
    ANSWERS,
    ASSOCIATIONS,
    CATEGORIES,
    MODULE_1_NAME,
    NORMS,
    PeriodReport,
    percentage,
)

Cell = str | int | float | None


@dataclass(frozen=True)
class ReportTable:
    """One table: `title` for people, `sheet` (≤ 31 characters) for a workbook, cells as numbers or text."""

    title: str
    sheet: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _t(title: str, sheet: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> ReportTable:
    return ReportTable(title, sheet, tuple(columns), tuple(tuple(r) for r in rows))


def report_tables(report: PeriodReport) -> list[ReportTable]:
    """Every table of the report, in the order CBCT's hoofdlijnenrapportage shows them."""
    r = report
    outcomes = _t(
        "Trajecten en resultaten",
        "Trajecten en resultaten",
        ["omschrijving", "aantal"],
        [
            ("Trajecten in de periode", r.trajectories),
            ("Direct gecertificeerd", r.certified_at_once),
            ("Niet of voorwaardelijk gecertificeerd", r.not_or_conditionally_certified),
            ("Gecertificeerd na heraudit", r.certified_after_heraudit),
            ("Resterend niet of voorwaardelijk gecertificeerd", r.remaining_not_or_conditional),
            ("Geen deelname", r.no_participation),
            ("Nog geen besluit", r.undecided),
        ],
    )
    participation = _t(
        "Deelname per vereniging",
        "Deelname per vereniging",
        ["vereniging", "leden", "deelgenomen", "deelname %"],
        [(a, p.members, p.participated, percentage(p.participated, p.members)) for a, p in r.participation.items()],
    )
    norms = _t(
        "Gemiddelde score per norm (% van de maximale score)",
        "Gemiddelde score per norm",
        ["norm", "naam", "totaal", *ASSOCIATIONS],
        [
            (
                n,
                r.norm_names.get(n, ""),
                r.average_score_per_norm[n],
                *(r.average_score_per_norm_by_association[a][n] for a in ASSOCIATIONS),
            )
            for n in NORMS
        ],
    )
    categories = _t(
        "Gemiddelde score per norm per auditcategorie (% van de maximale score)",
        "Score per auditcategorie",
        ["norm", "naam", *(f"categorie {c}" for c in CATEGORIES)],
        [
            (n, r.norm_names.get(n, ""), *(r.average_score_per_norm_by_category[c][n] for c in CATEGORIES))
            for n in NORMS
        ],
    )
    m = r.module_1
    module_1 = _t(
        f"Module 1 {MODULE_1_NAME}",
        "Module 1",
        ["omschrijving", "waarde"],
        [
            ("Trajecten met module 1", m.in_scope),
            ("Trajecten met score module 1", m.scored),
            ("Gemiddelde score (% van de maximale score)", m.average_score),
            *((f"Gemiddelde score {a} (%)", m.by_association[a]) for a in ASSOCIATIONS),
            *((f"Gemiddelde score categorie {c} (%)", m.by_category[c]) for c in CATEGORIES),
        ],
    )
    satisfaction = _t(
        f"Tevredenheid ({r.survey_answers} antwoorden)",
        "Tevredenheid",
        ["antwoord", "percentage"],
        [(a, r.satisfaction[a]) for a in ANSWERS],
    )
    return [outcomes, participation, norms, categories, module_1, satisfaction]
