"""The hoofdlijnenrapportage as a document: CBCT's chapters in order, as blocks any writer can render.

1 Algemeen · 2 Eerste ervaringen met een generiek kader · 3 Uitkomsten voor alle geauditeerden
(3.1 aantallen en resultaten, 3.2 scores per norm, 3.3 planning, uitvoering en deelname, 3.4 tevredenheid)
· 4 Scores per verenigingsgroep (4.1 VOB-groep with the reading-promotion module and the audit
categories, 4.2 leden van beide verenigingen, 4.3 Cultuurconnectie-groep with the audit categories)
· 5 Samenvattende conclusies · Bijlage 1 (the register per association group, numbered).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from application.reports import sentences as say
from application.reports.blocks import (
    Block,
    Cover,
    Document,
    FigureBlock,
    Heading,
    Items,
    PageBreak,
    Paragraph,
    Span,
    TableBlock,
)
from application.reports.charts import Chart, write_charts
from application.reports.conclusions import conclusions
from application.reports.dutch import datum, long_date
from application.reports.groups import ALL, BOTH_GROUP, CC_GROUP, VOB_GROUP
from application.reports.narrative import Narrative
from application.reports.period import NORMS, PeriodReport
from application.reports.tables import (
    ReportTable,
    appendix_tables,
    averages_table,
    backlog_table,
    bands_table,
    outcomes_table,
    participation_table,
    postponements_table,
    satisfaction_table,
)
from application.reports.tables import categories_table as categories_tbl
from application.reports.tables import module_table as module_tbl


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.tables = 0
        self.figures = 0

    def h(self, text: str, level: int = 1) -> None:
        self.blocks.append(Heading(text, level))

    def p(self, *texts: str, style: str = "body") -> None:
        self.blocks.extend(Paragraph(t, style) for t in texts)

    def table(self, table: ReportTable, small: bool = False, one_line: bool = False) -> None:
        self.tables += 1
        self.blocks.append(TableBlock(self.tables, table, small, one_line))

    def figure(self, chart: Chart) -> None:
        self.figures += 1
        self.blocks.append(FigureBlock(self.figures, chart))


def title_of(report: PeriodReport) -> str:
    return f"Hoofdlijnenrapportage Kwaliteit in Beeld {report.date_from.year}-{report.date_to.year}"


def cover_of(report: PeriodReport, previous: PeriodReport | None, place: str, issued: date) -> Cover:
    lines = [
        "Eerste bevindingen over de certificering, voor de verenigingen VOB en Cultuurconnectie",
        f"Certificeringstrajecten geopend van {long_date(report.date_from)} tot en met {long_date(report.date_to)}",
        f"Cijfers per peildatum {long_date(report.peildatum)}"
        + (f"; tevredenheid per {long_date(report.survey_date)}" if report.survey_date != report.peildatum else ""),
    ]
    if previous is not None:
        lines.append(f"Vergeleken met de periode {datum(previous.date_from)} tot en met {datum(previous.date_to)}")
    return Cover(
        title="Hoofdlijnenrapportage",
        subtitle=f"Kwaliteit in Beeld {report.date_from.year}-{report.date_to.year}",
        lines=tuple(lines),
        place_date=f"{place.strip()}, {long_date(issued)}" if place.strip() else long_date(issued),
        organisation="CBCT — Certificeringsorganisatie Bibliotheekwerk, Cultuur en Taal",
    )


def build(
    report: PeriodReport,
    chart_dir: Path | str,
    previous: PeriodReport | None = None,
    *,
    narrative: Narrative | None = None,
    place: str = "",
    issued: date | None = None,
) -> Document:
    """The whole document; charts are written into `chart_dir`. `narrative` holds the staff's own
    paragraphs per section (see ``narrative.SECTIONS``); `place` and `issued` make the title page's
    place-and-date line (default: the peildatum)."""
    charts = {c.key: c for c in write_charts(report, chart_dir, svg=False)}
    texts = narrative or Narrative()
    b = _Builder()
    title = title_of(report)
    day = issued or report.peildatum

    b.h("1 Algemeen")
    b.p(*say.general(report))

    b.h("2 Eerste ervaringen met een generiek kader")
    b.p(
        "Kwaliteit in Beeld is een generiek kader, gebaseerd op het INK-model, met zeven normen: "
        + ", ".join(f"{n} {report.norm_names[n]}" for n in NORMS)
        + ". Per norm beantwoordt de audit vier beoordelingsvragen, elk met niet, beperkt, grotendeels of volledig."
    )
    b.blocks.extend(texts.blocks("geschiedenis"))
    b.p(*say.effect(report, previous))

    b.h("3 Uitkomsten voor alle geauditeerden")
    b.h("3.1 Aantallen audits en resultaten", 2)
    b.p(*say.outcomes(report, previous))
    b.table(outcomes_table(report, previous))
    b.figure(charts["totaal-certificeringen"])
    b.h("3.2 Gemiddelde scores per norm", 2)
    b.p(*say.norms(report, ALL, previous))
    b.table(averages_table(report, previous), small=True)
    b.table(bands_table(report.all, report))
    b.figure(charts["banden-alle"])
    b.h("3.3 Planning, uitvoering en deelname", 2)
    b.p(*say.participation(report))
    b.table(participation_table(report), small=True)
    b.p(*say.postponements(report))
    b.table(postponements_table(report))
    b.p(*say.backlog(report))
    b.table(backlog_table(report), small=True)
    b.blocks.extend(texts.blocks("stuwmeer"))
    b.blocks.extend(texts.blocks("verlenging"))
    b.h("3.4 Tussenevaluatie en tevredenheid", 2)
    b.blocks.extend(texts.blocks("tussenevaluatie"))
    b.p(*say.satisfaction(report))
    b.table(satisfaction_table(report))
    b.figure(charts["tevredenheid"])

    b.h("4 Scores per verenigingsgroep")
    b.h(f"4.1 {VOB_GROUP.name}", 2)
    b.p(*say.norms(report, VOB_GROUP, previous))
    b.table(bands_table(report.groups[VOB_GROUP.key], report))
    b.figure(charts["banden-vob"])
    b.h("Module leesbevordering", 3)
    b.p(*say.module(report))
    b.table(module_tbl(report))
    b.figure(charts["module-leesbevordering"])
    b.h("Per auditcategorie", 3)
    b.p(*say.categories(report, VOB_GROUP))
    b.table(categories_tbl(report, VOB_GROUP), small=True)
    b.figure(charts["categorieen-vob"])
    b.h(f"4.2 {BOTH_GROUP.name}", 2)
    b.p(*say.both_members(report))
    b.table(bands_table(report.groups[BOTH_GROUP.key], report))
    b.figure(charts["banden-beide"])
    b.h(f"4.3 {CC_GROUP.name}", 2)
    b.p(*say.norms(report, CC_GROUP, previous))
    b.p(*say.differences(report, CC_GROUP))
    b.table(bands_table(report.groups[CC_GROUP.key], report))
    b.figure(charts["banden-cultuurconnectie"])
    b.h("Per auditcategorie", 3)
    b.p(*say.categories(report, CC_GROUP))
    b.table(categories_tbl(report, CC_GROUP), small=True)
    b.figure(charts["categorieen-cultuurconnectie"])
    if texts.has("oorzaken"):
        b.h("Verschillen tussen de auditcategorieën", 3)
        b.blocks.extend(texts.blocks("oorzaken"))

    b.h("5 Samenvattende conclusies")
    b.blocks.append(Items(tuple(conclusions(report))))

    b.blocks.append(PageBreak(landscape=True))
    b.h("Bijlage 1 Register per verenigingsgroep")
    b.p(
        f"Het certificaatregister van de {say.period_text(report)}, per vereniging en per resultaat gegroepeerd "
        "en genummerd."
    )
    for table in appendix_tables(report):
        b.table(table, one_line=True)
    return Document(title, b.blocks, cover_of(report, previous, place, day), day)


__all__ = [
    "Block",
    "Cover",
    "Document",
    "FigureBlock",
    "Heading",
    "Items",
    "PageBreak",
    "Paragraph",
    "Span",
    "TableBlock",
    "build",
    "cover_of",
    "title_of",
]
