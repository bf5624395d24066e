"""Charts of the period report (PNG and SVG) as CBCT draws them; matplotlib's Agg canvas, no pyplot state.

Every chart is titled with the period and the peildatum and names n; score bands are 100 % stacked
bars in CBCT's colours: niet/beperkt red, grotendeels yellow, volledig green; satisfaction runs from
green (zeer tevreden) to red (zeer ontevreden).

Every chart is exactly as wide as the document's text column (WIDTH_INCHES, 17 cm on A4) and is laid
out inside it (constrained layout, titles wrapped), so the documents place it at 100 %: its text is then
the size it was set in, in the body text's font (DejaVu Sans, as the PDF embeds it).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from application.output_file import make_directory, write_file
from application.reports.dutch import NBSP, datum, decimal, n_is, number
from application.reports.groups import ALL, BOTH_GROUP, CC_GROUP, VOB_GROUP
from application.reports.period import ANSWER_LABELS, ANSWERS, BANDS, CATEGORIES, NORMS, Bands, PeriodReport
from application.reports.tables import band_shares

BAND_COLOURS = ("#d7191c", "#f5c400", "#2e9e44")
BAND_LABELS = ("niet/beperkt", "grotendeels", "volledig")
BLUE = "#1f4e79"
#: Zeer tevreden … zeer ontevreden, as CBCT colours its survey chart.
SATISFACTION_COLOURS = ("#1a7a33", "#7cc46f", "#f5c400", "#f08a24", "#d7191c")
WIDTH_INCHES = 17 / 2.54  # the text column of an A4 page with 2 cm margins
FONT_SIZE = 8.5
TITLE_CHARS = 84  # a title line at FONT_SIZE + 1 that fits WIDTH_INCHES


@dataclass(frozen=True)
class Chart:
    """One chart: a stable key, its Dutch title, and where its PNG (and SVG) were written."""

    key: str
    title: str
    png: Path
    svg: Path | None


def subtitle(report: PeriodReport) -> str:
    return f"Kwaliteit in Beeld {report.date_from.year}-{report.date_to.year} · peildatum {datum(report.peildatum)}"


def survey_subtitle(report: PeriodReport) -> str:
    """Survey figures are dated by the survey's own cut-off, when it has one (CBCT: 20-02-2023)."""
    return (
        f"Kwaliteit in Beeld {report.date_from.year}-{report.date_to.year} · "
        f"peildatum enquête {datum(report.survey_date)}"
    )


def _figure(height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_INCHES, height), layout="constrained")


def _title(axes: Any, title: str, sub: str) -> None:
    """The chart's title and its period line, wrapped to the chart's width (never widening it)."""
    wrapped = "\n".join([textwrap.fill(title, TITLE_CHARS), textwrap.fill(sub, int(TITLE_CHARS * 1.1))])
    axes.figure.suptitle(wrapped, x=0.01, ha="left", fontsize=FONT_SIZE + 1)


@dataclass(frozen=True)
class Target:
    """Where charts go, and whether an SVG is written beside each PNG (a document needs only the PNG)."""

    directory: Path
    svg: bool = True


def _save(figure: Any, target: Target, key: str, title: str) -> Chart:
    png = write_file(target.directory / f"{key}.png", _image(figure, "png", dpi=150))
    if not target.svg:
        return Chart(key, title, png, None)
    svg = write_file(target.directory / f"{key}.svg", _image(figure, "svg"))
    return Chart(key, title, png, svg)


def _image(figure: Any, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, **options)
    return buffer.getvalue()


def _stacked(directory: Target, key: str, title: str, sub: str, labels: Sequence[str], bands: Sequence[Bands]) -> Chart:
    figure = _figure(0.4 * len(labels) + 1.6)
    axes = figure.subplots()
    left = [0.0] * len(labels)
    ys = list(range(len(labels)))
    for b, (name, colour) in enumerate(zip(BAND_LABELS, BAND_COLOURS, strict=True)):
        widths = [band_shares(x)[b] for x in bands]
        bars = axes.barh(ys, widths, left=left, color=colour, label=name, edgecolor="white", height=0.7)
        axes.bar_label(
            bars,
            labels=[f"{decimal(w)}" if w >= 6 else "" for w in widths],
            label_type="center",
            fontsize=FONT_SIZE,
            color="white" if b != 1 else "black",
        )
        left = [a + w for a, w in zip(left, widths, strict=True)]
    axes.set_yticks(ys, labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel(f"%{NBSP}van de beoordelingen")
    _title(axes, title, sub)
    figure.legend(loc="outside lower center", ncols=3, frameon=False)
    for spine in ("top", "right"):
        axes.spines[spine].set_visible(False)
    return _save(figure, directory, key, title)


def _norm_labels(report: PeriodReport) -> list[str]:
    return [f"{n} {report.norm_names[n]}" for n in NORMS]


def band_charts(report: PeriodReport, directory: Target) -> list[Chart]:
    charts = []
    for group in (ALL, VOB_GROUP, BOTH_GROUP, CC_GROUP):
        g = report.groups[group.key]
        title = f"Scores per norm — {group.name}"
        sub = (
            f"{subtitle(report)} · {n_is(g.outcomes.carried_out)} trajecten, {number(g.all_bands.total)} beoordelingen"
        )
        charts.append(
            _stacked(
                directory, f"banden-{group.key}", title, sub, _norm_labels(report), [g.norm_bands[n] for n in NORMS]
            )
        )
    return charts


def module_chart(report: PeriodReport, directory: Target) -> Chart:
    m = report.groups[VOB_GROUP.key].module
    title = "Module leesbevordering per criterium — openbare bibliotheken"
    sub = f"{subtitle(report)} · {n_is(m.libraries)} bibliotheken"
    labels = [f"{c} {name}" for c, name in report.criteria_names.items()]
    return _stacked(
        directory, "module-leesbevordering", title, sub, labels, [m.criteria[c] for c in report.criteria_names]
    )


def _value(v: float | None) -> float:
    return math.nan if v is None else v


def category_charts(report: PeriodReport, directory: Target) -> list[Chart]:
    charts = []
    for group in (VOB_GROUP, CC_GROUP):
        g = report.groups[group.key]
        figure = _figure(3.2)
        axes = figure.subplots()
        values = [_value(g.categories[c].average_total) for c in CATEGORIES]
        bars = axes.bar(range(len(CATEGORIES)), values, color=BLUE, width=0.6)
        axes.bar_label(bars, labels=["" if math.isnan(v) else decimal(v) for v in values])
        axes.set_xticks(
            range(len(CATEGORIES)), [f"categorie {c}\n({n_is(g.categories[c].trajectories)})" for c in CATEGORIES]
        )
        axes.set_ylim(0, 100)
        axes.set_ylabel("gemiddelde totaalscore (% van max.)")
        title = f"Gemiddelde totaalscore per auditcategorie — {group.name}"
        _title(axes, title, f"{subtitle(report)} · {n_is(g.outcomes.carried_out)} trajecten")
        axes.grid(axis="y", alpha=0.3)
        charts.append(_save(figure, directory, f"categorieen-{group.key}", title))
    return charts


def outcome_chart(report: PeriodReport, directory: Target) -> Chart:
    o = report.all.outcomes
    items = [
        ("Uitgevoerd", o.carried_out, BLUE),
        ("Direct\ngecertificeerd", o.certified_at_once, BAND_COLOURS[2]),
        ("Niet of\nvoorwaardelijk", o.not_or_conditional, BAND_COLOURS[0]),
        ("Gecertificeerd\nna heraudit", o.certified_after_heraudit, BAND_COLOURS[1]),
        ("(Nog) niet\ngecertificeerd", o.remaining, BAND_COLOURS[0]),
        ("Geen\ndeelname", o.no_participation, "#999999"),
    ]
    figure = _figure(3.4)
    axes = figure.subplots()
    bars = axes.bar(range(len(items)), [v for _, v, _ in items], color=[c for _, _, c in items])
    axes.bar_label(bars)
    axes.set_xticks(range(len(items)), [label for label, _, _ in items])
    axes.set_ylabel("aantal trajecten")
    title = "Totaal certificeringen"
    _title(axes, title, f"{subtitle(report)} · {n_is(o.carried_out)} uitgevoerde trajecten")
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, directory, "totaal-certificeringen", title)


def satisfaction_chart(report: PeriodReport, directory: Target) -> Chart:
    figure = _figure(2.8)
    axes = figure.subplots()
    values = [_value(report.satisfaction_pct(a)) for a in ANSWERS]
    bars = axes.barh(range(len(ANSWERS)), values, color=SATISFACTION_COLOURS)
    axes.bar_label(bars, labels=["" if math.isnan(v) else f"{decimal(v, 0)}{NBSP}%" for v in values])  # whole
    axes.set_yticks(range(len(ANSWERS)), [ANSWER_LABELS[a] for a in ANSWERS])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel(f"%{NBSP}van de antwoorden")
    title = "Tevredenheid over de certificering"
    _title(axes, title, f"{survey_subtitle(report)} · {n_is(report.survey_answers)} antwoorden")
    return _save(figure, directory, "tevredenheid", title)


def write_charts(report: PeriodReport, directory: Path | str, *, svg: bool = True) -> list[Chart]:
    """Write every chart as PNG (and SVG) into `directory`, in the report's order."""
    from matplotlib import rc_context

    make_directory(directory)
    target = Target(Path(directory), svg)
    with rc_context({"font.size": FONT_SIZE, "font.family": "DejaVu Sans", "svg.hashsalt": "cbct"}):
        return _all_charts(report, target)


def _all_charts(report: PeriodReport, target: Target) -> list[Chart]:
    bands = band_charts(report, target)
    return [
        outcome_chart(report, target),
        bands[0],
        satisfaction_chart(report, target),
        bands[1],
        module_chart(report, target),
        *category_charts(report, target),
        *bands[2:],
    ]


__all__ = ["BANDS", "Chart", "write_charts"]
