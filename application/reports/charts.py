"""Charts of the period report (PNG and SVG), Dutch labels; matplotlib's Agg canvas, no pyplot state."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from application.reports.period import ANSWERS, ASSOCIATIONS, MODULE_1, NORMS, PeriodReport

COLOURS = ("#1f4e79", "#f28e2b", "#59a14f", "#b07aa1")


def _value(v: float | None) -> float:
    return math.nan if v is None else v


def _save(figure: object, directory: Path, name: str) -> list[Path]:
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    paths = []
    for suffix in ("png", "svg"):
        path = directory / f"{name}.{suffix}"
        figure.savefig(path, format=suffix, dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths


def _norm_chart(report: PeriodReport, directory: Path) -> list[Path]:
    from matplotlib.figure import Figure

    labels = [*(f"Norm {n}" for n in NORMS), "Module 1"]
    series: list[tuple[str, Sequence[float | None]]] = [
        ("Totaal", [*(report.average_score_per_norm[n] for n in NORMS), report.module_1.average_score]),
        *(
            (
                a,
                [
                    *(report.average_score_per_norm_by_association[a][n] for n in NORMS),
                    report.module_1.by_association[a],
                ],
            )
            for a in ASSOCIATIONS
        ),
    ]
    figure = Figure(figsize=(11, 5))
    axes = figure.subplots()
    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        axes.bar(xs, [_value(v) for v in values], width, label=name, color=COLOURS[i % len(COLOURS)])
    axes.set_xticks(range(len(labels)), labels)
    axes.set_ylim(0, 100)
    axes.set_ylabel("% van de maximale score")
    axes.set_title(f"Gemiddelde score per norm ({MODULE_1} = module 1 Educatieve dienstverlening)")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=len(series), fontsize="small", frameon=False)
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, directory, "gemiddelde-score-per-norm")


def _outcome_chart(report: PeriodReport, directory: Path) -> list[Path]:
    from matplotlib.figure import Figure

    items = [
        ("Trajecten", report.trajectories),
        ("Direct\ngecertificeerd", report.certified_at_once),
        ("Niet of\nvoorwaardelijk", report.not_or_conditionally_certified),
        ("Gecertificeerd\nna heraudit", report.certified_after_heraudit),
        ("Resterend niet of\nvoorwaardelijk", report.remaining_not_or_conditional),
        ("Geen\ndeelname", report.no_participation),
    ]
    figure = Figure(figsize=(10, 5))
    axes = figure.subplots()
    bars = axes.bar(range(len(items)), [v for _, v in items], color=COLOURS[0])
    axes.bar_label(bars)
    axes.set_xticks(range(len(items)), [label for label, _ in items])
    axes.set_ylabel("aantal trajecten")
    axes.set_title("Trajecten en resultaten")
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, directory, "trajecten-en-resultaten")


def _satisfaction_chart(report: PeriodReport, directory: Path) -> list[Path]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    values = [_value(report.satisfaction[a]) for a in ANSWERS]
    bars = axes.barh(range(len(ANSWERS)), values, color=COLOURS[2])
    axes.bar_label(bars, labels=["" if math.isnan(v) else f"{v:.1f}%".replace(".", ",") for v in values])
    axes.set_yticks(range(len(ANSWERS)), list(ANSWERS))
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("% van de antwoorden")
    axes.set_title(f"Tevredenheid ({report.survey_answers} antwoorden)")
    return _save(figure, directory, "tevredenheid")


def write_charts(report: PeriodReport, directory: Path | str) -> list[Path]:
    """Write the norm, outcome and satisfaction charts as PNG and SVG into `directory`; return the paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    return [
        *_norm_chart(report, target),
        *_outcome_chart(report, target),
        *_satisfaction_chart(report, target),
    ]
