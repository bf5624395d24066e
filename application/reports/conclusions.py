"""Chapter 5, *Samenvattende conclusies*: CBCT's observations, each said from the figures with the norms'
names, the groups compared and the audit categories split as CBCT splits them ("I en II lager dan III
en IV"). Nothing is claimed that a number does not show; a staff member can keep, edit or drop each.
"""

from __future__ import annotations

from application.reports.dutch import listing, pct
from application.reports.groups import BOTH_GROUP, CC_GROUP, CC_ONLY, VOB_GROUP
from application.reports.period import GroupFigures, PeriodReport
from application.reports.sentences import TOP, category_split, norm_ref, satisfied

#: How far (in % of the maximum) a group must differ from all auditees to be called higher or lower.
CLEARLY = 1.0


def conclusions(report: PeriodReport) -> list[str]:
    """The numbered observations of chapter 5."""
    a = report.all
    ranked = _ranked(a)
    if not ranked:
        return ["Op de peildatum zijn nog geen audits uitgevoerd; conclusies volgen."]
    vob, both, cc = (report.groups[g.key] for g in (VOB_GROUP, BOTH_GROUP, CC_GROUP))
    items = [_pattern(report, a, ranked), _group_vs_all(report, vob, a, ranked)]
    module = _module(report)
    if module:
        items.append(module)
    items.append(_categories(vob, "In de VOB-groep"))
    items.append(_both(report, both))
    items.append(_group_vs_all(report, cc, a, ranked))
    items.append(_categories(cc, "In de Cultuurconnectie-groep"))
    items.append(_participation(report))
    return [i for i in items if i]


def _ranked(g: GroupFigures) -> list[str]:
    scored = [n for n, v in g.norm_averages.items() if v is not None and n.isdigit()]
    return sorted(scored, key=lambda n: (-(g.norm_averages[n] or 0), n))


def _pattern(report: PeriodReport, a: GroupFigures, ranked: list[str]) -> str:
    top, bottom = ranked[:TOP], list(reversed(ranked[-TOP:]))
    text = (
        "Alle geauditeerden scoren relatief goed op "
        + listing([norm_ref(report, n) for n in top])
        + " en duidelijk lager op "
        + listing([norm_ref(report, n) for n in bottom])
        + "."
    )
    if "7" in ranked and "7" not in top and "7" not in bottom:
        text += f" Compliance (norm 7) scoort redelijk goed ({pct(a.norm_averages['7'])})."
    return text


def _compare(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None:
        return "niet te vergelijken met"
    if ours - theirs >= CLEARLY:
        return "hoger dan"
    if theirs - ours >= CLEARLY:
        return "lager dan"
    return "ongeveer even hoog als"


def _group_vs_all(report: PeriodReport, g: GroupFigures, a: GroupFigures, ranked: list[str]) -> str:
    """Same pattern or not, higher or lower than all auditees, and on which norms most."""
    mine = _ranked(g)
    if not mine:
        return ""
    same = set(mine[:TOP]) == set(ranked[:TOP]) and set(mine[-TOP:]) == set(ranked[-TOP:])
    pattern = "dezelfde sterke en zwakke normen" if same else "een ander patroon"
    verdict = _compare(g.average_total, a.average_total)
    text = (
        f"De {g.group.short} laat {pattern} zien en scoort gemiddeld {verdict} alle geauditeerden samen "
        f"({pct(g.average_total)} tegen {pct(a.average_total)})"
    )
    deltas = [
        (n, ours - theirs)
        for n in mine
        if (ours := g.norm_averages[n]) is not None and (theirs := a.norm_averages[n]) is not None
    ]
    if verdict == "lager dan":
        worst = [n for n, d in sorted(deltas, key=lambda d: d[1])[:2] if d < 0]
        if worst:
            text += ", vooral op " + listing([norm_ref(report, n) for n in sorted(worst)])
    elif verdict == "hoger dan":
        best = [n for n, d in sorted(deltas, key=lambda d: -d[1])[:2] if d > 0]
        if best:
            text += ", vooral op " + listing([norm_ref(report, n) for n in sorted(best)])
    return text + "."


def _module(report: PeriodReport) -> str:
    m = report.groups[VOB_GROUP.key].module
    if not m.libraries:
        return ""
    greens = {c: m.criteria[c].shares[2] or 0 for c in report.criteria_names}
    return (
        f"Module leesbevordering (openbare bibliotheken): het groene aandeel is op elk criterium minstens "
        f"{pct(min(greens.values()))}; bij {m.not_in_order} van de {m.libraries} bibliotheken was de basis "
        "voor leesbevordering niet op orde."
    )


def _categories(g: GroupFigures, where: str) -> str:
    split = category_split(g)
    return split.sentence(where) if split else ""


def _both(report: PeriodReport, both: GroupFigures) -> str:
    cc_only = report.groups[CC_ONLY.key]
    if both.average_total is None:
        return ""
    verdict = _compare(both.average_total, cc_only.average_total)
    text = (
        f"Leden van beide verenigingen ({both.outcomes.carried_out}) scoren {verdict} de overige "
        f"Cultuurconnectie-leden ({pct(both.average_total)} tegen {pct(cc_only.average_total)})"
    )
    a = report.all
    deltas = [
        (n, ours - theirs)
        for n in sorted(both.norm_averages)
        if (ours := both.norm_averages[n]) is not None and (theirs := a.norm_averages.get(n)) is not None
    ]
    higher = max(deltas, key=lambda d: d[1], default=None)
    lower = min(deltas, key=lambda d: d[1], default=None)
    if higher and higher[1] >= CLEARLY:
        text += f"; op {norm_ref(report, higher[0])} scoren zij hoger dan het KiB-gemiddelde"
        if lower and lower[1] <= -CLEARLY:
            text += f", op {norm_ref(report, lower[0])} lager"
    elif lower and lower[1] <= -CLEARLY:
        text += f"; op {norm_ref(report, lower[0])} scoren zij lager dan het KiB-gemiddelde"
    return text + "."


def _participation(report: PeriodReport) -> str:
    vob, cc = (report.groups[g.key].outcomes for g in (VOB_GROUP, CC_GROUP))
    text = (
        f"De deelname verschilt tussen de groepen ({pct(vob.participation_pct)} in de VOB-groep, "
        f"{pct(cc.participation_pct)} in de Cultuurconnectie-groep)"
    )
    if report.survey_answers:
        text += f"; {pct(satisfied(report), 0)} van de geauditeerden is (zeer) tevreden over de certificering"
    return text + "."
