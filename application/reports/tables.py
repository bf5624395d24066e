"""The period report as titled tables with Dutch headings: one source for the console, CSV, XLSX and documents.

Cells stay numbers (percentages as floats with one decimal) so a workbook can compute with them; the
renderers write them the Dutch way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.reports.dutch import datum
from application.reports.facts import TrajectoryFacts
from application.reports.groups import ALL, BOTH_GROUP, CC_GROUP, VOB_GROUP, Group
from application.reports.period import (
    ANSWER_LABELS,
    ANSWERS,
    BANDS,
    CATEGORIES,
    NORMS,
    Bands,
    GroupFigures,
    PeriodReport,
    percentage,
)
from domain.vocabulary import Result

Cell = str | int | float | None

SCORE_GROUPS: Sequence[Group] = (ALL, VOB_GROUP, BOTH_GROUP, CC_GROUP)


@dataclass(frozen=True)
class ReportTable:
    """One table: `title` for people, `sheet` (≤ 31 characters) for a workbook, cells as numbers or text."""

    key: str
    title: str
    sheet: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


def _t(
    key: str, title: str, sheet: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]], note: str = ""
) -> ReportTable:
    return ReportTable(key, title, sheet[:31], tuple(columns), tuple(tuple(r) for r in rows), note)


def outcomes_table(report: PeriodReport, previous: PeriodReport | None = None) -> ReportTable:
    o = report.all.outcomes
    rows: list[list[Cell]] = [
        ["Uitgevoerde certificeringstrajecten", o.carried_out, percentage(o.carried_out, o.carried_out)],
        ["Direct gecertificeerd", o.certified_at_once, o.certified_at_once_pct],
        ["Niet of voorwaardelijk gecertificeerd na het eerste traject", o.not_or_conditional, o.not_or_conditional_pct],
        ["  waarvan later gecertificeerd na heraudit", o.certified_after_heraudit, None],
        ["  waarvan (nog) niet gecertificeerd", o.remaining, None],
        ["    heraudit in voorbereiding", o.heraudit_in_preparation, None],
        ["    geen heraudit aangevraagd", o.no_heraudit_requested, None],
        ["Nog geen besluit", o.undecided, None],
        ["Geen deelname (niet gecertificeerd, apart geteld)", o.no_participation, None],
        ["Nog niet geaudit", o.not_yet_audited, None],
        ["Regels in het register", o.register_rows, None],
    ]
    columns = ["omschrijving", "aantal", "%"]
    if previous is not None:
        p = previous.all.outcomes
        before = [
            p.carried_out,
            p.certified_at_once,
            p.not_or_conditional,
            p.certified_after_heraudit,
            p.remaining,
            p.heraudit_in_preparation,
            p.no_heraudit_requested,
            p.undecided,
            p.no_participation,
            p.not_yet_audited,
            p.register_rows,
        ]
        for row, value in zip(rows, before, strict=True):
            row.append(value)
        columns.append(f"vorige periode ({previous.date_from.year}-{previous.date_to.year})")
    return _t(
        "uitkomsten",
        "Uitgevoerde certificeringstrajecten en resultaten",
        "Trajecten en resultaten",
        columns,
        rows,
        "Percentages van de uitgevoerde trajecten.",
    )


def participation_table(report: PeriodReport) -> ReportTable:
    on = report.membership.on
    members = f"leden op {datum(on)}" if on else "leden"
    rows = []
    for g in (VOB_GROUP, BOTH_GROUP, CC_GROUP, ALL):
        f = report.groups[g.key]
        o = f.outcomes
        rows.append(
            (
                g.short,
                f.members,
                o.register_rows,
                o.carried_out,
                o.no_participation,
                o.not_yet_audited,
                o.participation_pct,
            )
        )
    return _t(
        "deelname",
        "Deelname per groep",
        "Deelname per groep",
        ["groep", members, "registerregels", "uitgevoerd", "geen deelname", "nog niet geaudit", "deelname %"],
        rows,
        "Het aantal leden is een opgave van de verenigingen (leden van beide tellen bij beide mee); "
        "registerregels en leden verschillen, omdat niet elke organisatie in het register lid is.",
    )


def averages_table(report: PeriodReport, previous: PeriodReport | None = None) -> ReportTable:
    columns = ["norm", "naam", *(report.groups[g.key].group.short for g in SCORE_GROUPS)]
    rows: list[list[Cell]] = [
        [n, report.norm_names[n], *(report.groups[g.key].norm_averages[n] for g in SCORE_GROUPS)] for n in NORMS
    ]
    rows.append(["", "Totaal", *(report.groups[g.key].average_total for g in SCORE_GROUPS)])
    if previous is not None:
        columns.append(f"Alle, vorige periode ({previous.date_from.year}-{previous.date_to.year})")
        for row, n in zip(rows, [*NORMS, None], strict=True):
            row.append(previous.all.norm_averages[n] if n else previous.all.average_total)
    return _t(
        "gemiddelden", "Gemiddelde score per norm (% van de maximale score)", "Gemiddelde score per norm", columns, rows
    )


def bands_table(figures: GroupFigures, report: PeriodReport) -> ReportTable:
    rows = [(n, report.norm_names[n], figures.norm_bands[n].total, *figures.norm_bands[n].shares) for n in NORMS]
    return _t(
        f"banden-{figures.group.key}",
        f"Scores per norm in kleurbanden — {figures.group.name}",
        f"Banden {figures.group.short}",
        ["norm", "naam", "beoordelingen", *(f"{b} %" for b in BANDS)],
        rows,
        f"{figures.outcomes.carried_out} uitgevoerde trajecten; rood = niet/beperkt (onvoldoende/zwak), "
        "geel = grotendeels (voldoende/ruim voldoende), groen = volledig ((zeer) goed).",
    )


def categories_table(report: PeriodReport, group: Group = VOB_GROUP) -> ReportTable:
    g = report.groups[group.key]
    rows = [(f"categorie {c}", g.categories[c].trajectories, g.categories[c].average_total) for c in CATEGORIES]
    return _t(
        f"categorieen-{group.key}",
        f"Gemiddelde totaalscore per auditcategorie — {group.short}",
        f"Categorie {group.short}",
        ["auditcategorie", "trajecten", "gemiddelde totaalscore %"],
        [*rows, ("alle categorieën", g.outcomes.carried_out, g.average_total)],
    )


def module_table(report: PeriodReport) -> ReportTable:
    m = report.groups[VOB_GROUP.key].module
    rows: list[tuple[Cell, ...]] = [
        (c, name, m.criteria[c].total, *m.criteria[c].shares) for c, name in report.criteria_names.items()
    ]
    return _t(
        "module",
        "Module leesbevordering (openbare bibliotheken) per criterium",
        "Module leesbevordering",
        ["criterium", "naam", "beoordelingen", *(f"{b} %" for b in BANDS)],
        rows,
        f"{m.libraries} bibliotheken met de module; bij {m.not_in_order} was de basis voor leesbevordering "
        "niet op orde (criterium a, inbedding en beleid, niet of beperkt).",
    )


def postponements_table(report: PeriodReport) -> ReportTable:
    groups = (ALL, VOB_GROUP, BOTH_GROUP, CC_GROUP)
    items = (
        ("Uitstelverzoeken", "requests"),
        ("  wegens overmacht (corona)", "force_majeure_requests"),
        ("    toegekend", "force_majeure_granted"),
        ("    afgewezen", "force_majeure_refused"),
        ("  regulier (andere gronden)", "regular_requests"),
        ("    toegekend", "regular_granted"),
        ("    afgewezen", "regular_refused"),
        ("  vervallen (geen deelname)", "lapsed"),
        ("  nog in behandeling", "pending"),
        ("Trajecten met uitstel", "trajectories_postponed"),
        ("Certificaten verlengd", "certificates_extended"),
        ("Uitstel werd afstel (geen audit)", "became_no_participation"),
    )
    rows = [(label, *(getattr(report.groups[g.key].postponements, attr) for g in groups)) for label, attr in items]
    return _t("uitstel", "Planning en uitstel per groep", "Uitstel", ["", *(g.short for g in groups)], rows)


def backlog_table(report: PeriodReport) -> ReportTable:
    """The stuwmeer per quarter: postponements granted, postponed audits held, postponed audits still to come."""
    quarters = list(report.backlog)
    while quarters and not (quarters[0].granted or quarters[0].caught_up or quarters[0].backlog):
        quarters.pop(0)  # the quiet start of the period says nothing
    rows = [(q.label, q.granted, q.caught_up, q.backlog) for q in quarters]
    return _t(
        "stuwmeer",
        "Uitgestelde audits per kwartaal (stuwmeer)",
        "Stuwmeer per kwartaal",
        ["kwartaal", "uitstel toegekend", "uitgestelde audits gehouden", "nog te houden aan het eind"],
        rows,
        "Nog te houden: trajecten met toegekend uitstel waarvan de audit aan het eind van het kwartaal nog niet "
        "had plaatsgevonden (en die niet hadden afgezien van deelname).",
    )


def satisfaction_table(report: PeriodReport) -> ReportTable:
    rows = [(ANSWER_LABELS[a], report.satisfaction.get(a, 0), _whole(report.satisfaction_pct(a))) for a in ANSWERS]
    return _t(
        "tevredenheid",
        f"Tevredenheid ({report.survey_answers} antwoorden, peildatum enquête {datum(report.survey_date)})",
        "Tevredenheid",
        ["antwoord", "aantal", "%"],
        rows,
    )


#: The order of the appendix's result groups, as CBCT's appendix lists them; rows without a verdict last.
RESULT_ORDER: Sequence[str] = tuple(r.value for r in Result)
APPENDIX_COLUMNS = ("nr", "certificaatnummer", "organisatie", "vereniging", "resultaat", "opmerking")


def _by_result(row: TrajectoryFacts) -> tuple[int, int, str]:
    result = RESULT_ORDER.index(row.result) if row.result in RESULT_ORDER else len(RESULT_ORDER)
    return result, len(row.certificate_number), row.certificate_number


def appendix_tables(report: PeriodReport) -> list[ReportTable]:
    """Appendix 1: the register per association, its rows grouped by result (then by certificate number)
    and numbered within each table."""
    tables = []
    for association, title in (
        ("VOB", "VOB"),
        ("Cultuurconnectie + VOB", "Leden van beide verenigingen (Cultuurconnectie + VOB)"),
        ("Cultuurconnectie", "Cultuurconnectie"),
    ):
        mine = sorted((r for r in report.register if r.association == association), key=_by_result)
        rows = [
            (i, r.certificate_number, r.organisation, r.association, r.result or "", r.remark or "")
            for i, r in enumerate(mine, start=1)
        ]
        tables.append(
            _t(
                f"bijlage-{association}",
                f"Bijlage 1 — {title}",
                f"Bijlage {association}",
                APPENDIX_COLUMNS,
                rows,
            )
        )
    return tables


def band_shares(bands: Bands) -> tuple[float, float, float]:
    """Shares for a stacked bar (0 for an empty norm)."""
    shares = bands.shares
    return (shares[0] or 0.0, shares[1] or 0.0, shares[2] or 0.0)


def report_tables(report: PeriodReport, previous: PeriodReport | None = None) -> list[ReportTable]:
    """Every table of the report, in the order CBCT's hoofdlijnenrapportage shows them."""
    return [
        outcomes_table(report, previous),
        participation_table(report),
        averages_table(report, previous),
        *(bands_table(report.groups[g.key], report) for g in SCORE_GROUPS),
        categories_table(report, VOB_GROUP),
        categories_table(report, CC_GROUP),
        module_table(report),
        postponements_table(report),
        backlog_table(report),
        satisfaction_table(report),
        *appendix_tables(report),
    ]


def _whole(value: float | None) -> int | None:
    """A percentage as CBCT prints satisfaction: whole, half up (39 %, not 39,2 %)."""
    return None if value is None else int(value + 0.5)
