"""Dutch sentences that say what the figures say, each with its numbers: rankings, strongest and weakest
norms, differences between groups and categories, participation, postponements, satisfaction.

They are generated from the figures only, so a staff member can keep, edit or drop them; nothing here
claims more than a number shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from application.reports.backlog import peak
from application.reports.dutch import count, datum, listing, long_date, lower_first, n_is, number, pct, points
from application.reports.groups import ALL, BOTH_GROUP, CC_GROUP, CC_ONLY, VOB_GROUP, Group
from application.reports.period import (
    ANSWER_LABELS,
    ANSWERS,
    CATEGORIES,
    NORMS,
    GroupFigures,
    PeriodReport,
    percentage,
)

TOP = 3
CLEAR_GAP = 5.0  # percentage points between two sets of categories that CBCT would call "duidelijk"


#: Organisation types in the plural, for "de meeste zijn multifunctionele organisaties".
PLURALS = {
    "openbare bibliotheek": "openbare bibliotheken",
    "multifunctionele organisatie": "multifunctionele organisaties",
    "centrum voor de kunsten": "centra voor de kunsten",
    "volksuniversiteit": "volksuniversiteiten",
    "overig": "overige organisaties",
}


def _list(items: Sequence[str]) -> str:
    return listing(list(items))


def norm_ref(report: PeriodReport, n: str, value: float | None = None, detail: str = "") -> str:
    """'norm 4 (samenwerking)', with its score or a difference inside the one pair of brackets."""
    inside = [lower_first(report.norm_names[n])]
    if value is not None:
        inside.append(pct(value))
    if detail:
        inside.append(detail)
    return f"norm {n} ({', '.join(inside)})"


def subject(group: Group) -> tuple[str, str]:
    """The group as a sentence's subject and its verb 'scoort'/'scoren' (its heading already names it whole)."""
    return ("Alle geauditeerden", "scoren") if group is ALL else (f"De {group.short}", "scoort")


def _ranked(g: GroupFigures) -> list[str]:
    scored = [n for n in NORMS if g.norm_averages[n] is not None]
    return sorted(scored, key=lambda n: (-(g.norm_averages[n] or 0), n))


def _compare(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "niet te vergelijken met"
    if a > b:
        return "hoger dan"
    if a < b:
        return "lager dan"
    return "gelijk aan"


def period_text(report: PeriodReport) -> str:
    return (
        f"trajecten geopend van {datum(report.date_from)} tot en met {datum(report.date_to)}, "
        f"stand per peildatum {datum(report.peildatum)}"
    )


def general(report: PeriodReport) -> list[str]:
    m = report.membership
    members = ""
    if m.counts:
        counts = _list([f"{a} {n}" for a, n in m.counts.items()])
        members = (
            f" Alle leden van beide verenigingen zijn uitgenodigd; op {datum(m.on) if m.on else '-'} "
            f"telden de verenigingen {counts} leden (leden van beide tellen bij beide mee)."
        )
    return [
        "Deze hoofdlijnenrapportage deelt de eerste bevindingen over de certificering met Kwaliteit in Beeld met "
        f"de verenigingen VOB en Cultuurconnectie. Zij beschrijft de {period_text(report)}.{members}",
        "Scores worden per norm weergegeven als verdeling van alle beoordelingen over drie kleurbanden: "
        "niet/beperkt = rood (onvoldoende/zwak), grotendeels = geel (voldoende/ruim voldoende), "
        "volledig = groen ((zeer) goed).",
    ]


def outcomes(report: PeriodReport, previous: PeriodReport | None = None) -> list[str]:
    o = report.all.outcomes
    text = [
        f"In de periode zijn {o.carried_out} certificeringstrajecten uitgevoerd (trajecten waarin een audit "
        f"plaatsvond). Daarvan werden er {o.certified_at_once} ({pct(o.certified_at_once_pct)}) direct "
        f"gecertificeerd; {o.not_or_conditional} ({pct(o.not_or_conditional_pct)}) werden na het eerste traject "
        "niet of voorwaardelijk gecertificeerd en kregen een heraudit (of die volgt nog).",
        f"Van die {o.not_or_conditional} zijn er inmiddels {o.certified_after_heraudit} na een heraudit "
        f"gecertificeerd; {o.remaining} resteren ({o.no_heraudit_requested} zonder aangevraagde heraudit, "
        f"{o.heraudit_in_preparation} met een heraudit in voorbereiding).",
        f"{o.no_participation} organisaties namen niet deel. Zij staan in het register als niet gecertificeerd "
        "(opmerking Geen deelname), maar tellen niet als uitgevoerd traject.",
    ]
    if o.undecided or o.not_yet_audited:
        text.append(
            f"Op de peildatum wachtten {o.undecided} uitgevoerde trajecten nog op een besluit en waren "
            f"{o.not_yet_audited} trajecten nog niet geaudit."
        )
    if previous is not None:
        p = previous.all.outcomes
        text.append(
            f"In de vorige periode ({previous.date_from.year}-{previous.date_to.year}) waren dat "
            f"{p.carried_out} uitgevoerde trajecten, waarvan {p.certified_at_once} "
            f"({pct(p.certified_at_once_pct)}) direct gecertificeerd."
        )
    return text


def norms(report: PeriodReport, group: Group = ALL, previous: PeriodReport | None = None) -> list[str]:
    g = report.groups[group.key]
    ranked = _ranked(g)
    if not ranked:
        return [f"Voor de {group.short} zijn op de peildatum nog geen scores vastgelegd."]
    top, bottom = ranked[:TOP], list(reversed(ranked[-TOP:]))
    who, verb = subject(group)
    text = [
        f"{who} ({count(g.outcomes.carried_out, 'uitgevoerd traject', 'uitgevoerde trajecten')}) {verb} "
        "relatief goed op "
        + _list([norm_ref(report, n, g.norm_averages[n]) for n in top])
        + " en duidelijk lager op "
        + _list([norm_ref(report, n, g.norm_averages[n]) for n in bottom])
        + f". De gemiddelde totaalscore is {pct(g.average_total)}.",
    ]
    greenest = max(NORMS, key=lambda n: (g.norm_bands[n].shares[2] or 0, -int(n)))
    reddest = max(NORMS, key=lambda n: (g.norm_bands[n].shares[0] or 0, -int(n)))
    text.append(
        f"Het groene aandeel (volledig) is het grootst bij {norm_ref(report, greenest)}: "
        f"{pct(g.norm_bands[greenest].shares[2])} van de beoordelingen; het rode aandeel (niet/beperkt) het grootst "
        f"bij {norm_ref(report, reddest)}: {pct(g.norm_bands[reddest].shares[0])}."
    )
    if "7" in ranked:
        text.append(
            f"Compliance (norm 7) staat met {pct(g.norm_averages['7'])} op plaats {ranked.index('7') + 1} "
            f"van {len(ranked)} normen."
        )
    if group is not ALL:
        a = report.all
        text.append(
            f"Daarmee scoort de {group.short} gemiddeld {_compare(g.average_total, a.average_total)} "
            f"alle geauditeerden samen ({pct(g.average_total)} tegen {pct(a.average_total)})."
        )
    if previous is not None:
        p = previous.groups[group.key]
        deltas = [
            (n, (g.norm_averages[n] or 0) - (p.norm_averages[n] or 0))
            for n in NORMS
            if g.norm_averages[n] is not None and p.norm_averages[n] is not None
        ]
        if deltas:
            up = max(deltas, key=lambda d: d[1])
            down = min(deltas, key=lambda d: d[1])
            text.append(
                f"Ten opzichte van {previous.date_from.year}-{previous.date_to.year} "
                f"(gemiddelde totaalscore {pct(p.average_total)}) steeg "
                f"{norm_ref(report, up[0], detail=points(up[1]))} het meest en daalde "
                f"{norm_ref(report, down[0], detail=points(down[1]))} het meest."
            )
    return text


def differences(report: PeriodReport, group: Group) -> list[str]:
    """Where a group differs most from all auditees, per norm."""
    g, a = report.groups[group.key], report.all
    deltas = [
        (n, ours - theirs)
        for n in NORMS
        if (ours := g.norm_averages[n]) is not None and (theirs := a.norm_averages[n]) is not None
    ]
    if not deltas:
        return []
    lower = sorted((d for d in deltas if d[1] < 0), key=lambda d: d[1])
    higher = sorted((d for d in deltas if d[1] > 0), key=lambda d: -d[1])
    text = []
    if higher:
        text.append(
            "Hoger dan het KiB-gemiddelde: "
            + _list([norm_ref(report, n, detail=points(d)) for n, d in higher[:TOP]])
            + "."
        )
    if lower:
        text.append(
            "Lager dan het KiB-gemiddelde: "
            + _list([norm_ref(report, n, detail=points(d)) for n, d in lower[:TOP]])
            + "."
        )
    return text


def categories(report: PeriodReport, group: Group) -> list[str]:
    g = report.groups[group.key]
    scored = [c for c in CATEGORIES if g.categories[c].average_total is not None]
    if len(scored) < 2:
        return []
    values = _list(
        [
            f"categorie {c} {pct(g.categories[c].average_total)} ({n_is(g.categories[c].trajectories)})"
            for c in CATEGORIES
            if c in scored
        ]
    )
    text = f"Per auditcategorie ({group.short}): {values}."
    split = category_split(g)
    return [f"{text} {split.sentence()}" if split else text]


@dataclass(frozen=True)
class CategorySplit:
    """'categorieën I en II' 'scoren' 'wat lager dan III en IV': the parts, so a sentence can put its verb
    where Dutch wants it ('In de VOB-groep scoren categorieën I en II …')."""

    subject: str
    verb: str
    rest: str

    def sentence(self, where: str = "") -> str:
        if where:
            return f"{where} {self.verb} {self.subject} {self.rest}."
        return f"{self.subject[:1].upper()}{self.subject[1:]} {self.verb} {self.rest}."


def category_split(g: GroupFigures) -> CategorySplit | None:
    """The categories below the group's average total score against those above it, as CBCT describes
    them ('I en II wat lager dan III en IV'); None with fewer than two scored categories."""
    scored = [c for c in CATEGORIES if g.categories[c].average_total is not None]
    if len(scored) < 2 or g.average_total is None:
        return None
    lower = [c for c in scored if (g.categories[c].average_total or 0) < g.average_total]
    higher = [c for c in scored if c not in lower]
    if not lower or not higher:
        return CategorySplit(_categories(scored), "scoren", "ongeveer gelijk")
    gap = min(g.categories[c].average_total or 0 for c in higher) - max(
        g.categories[c].average_total or 0 for c in lower
    )
    how = "duidelijk lager" if gap >= CLEAR_GAP else "wat lager"
    return CategorySplit(_categories(lower), "scoort" if len(lower) == 1 else "scoren", f"{how} dan {_list(higher)}")


def _categories(names: Sequence[str]) -> str:
    return f"categorie {names[0]}" if len(names) == 1 else f"categorieën {_list(list(names))}"


def module(report: PeriodReport) -> list[str]:
    m = report.groups[VOB_GROUP.key].module
    if not m.libraries:
        return ["Op de peildatum is de module leesbevordering nog bij geen bibliotheek beoordeeld."]
    names = report.criteria_names
    greens = {c: m.criteria[c].shares[2] or 0 for c in names}
    weakest = sorted(names, key=lambda c: (greens[c], c))[: max(1, len(names) - 1)]
    return [
        f"De module leesbevordering is bij {m.libraries} openbare bibliotheken beoordeeld. Het groene aandeel is "
        f"op elk criterium minstens {pct(min(greens.values()))} en het hoogst bij "
        f"{lower_first(names[max(names, key=lambda c: greens[c])])} met {pct(max(greens.values()))}. Minder sterk "
        "zijn "
        + _list([f"{lower_first(names[c])} met {pct(greens[c])} groen" for c in weakest[:3]])
        + f". In {m.not_in_order} gevallen was de basis voor leesbevordering bij de bibliotheek niet op orde.",
    ]


def both_members(report: PeriodReport) -> list[str]:
    g, cc_only = report.groups[BOTH_GROUP.key], report.groups[CC_ONLY.key]
    ranked = _ranked(g)
    if not ranked:
        return []
    rows = [r for r in report.register if BOTH_GROUP.includes(r)]
    kinds = Counter(r.organisation_type for r in rows if r.organisation_type)
    text = [f"{g.outcomes.carried_out} leden van beide verenigingen namen deel."]
    if kinds:
        kind, n = kinds.most_common(1)[0]
        text[0] += " " + _mostly(n, len(rows), kind)
    text += differences(report, BOTH_GROUP)
    if "7" in ranked:
        place = ranked.index("7") + 1
        where = "hoort bij hun betere normen" if place <= TOP else f"staat op plaats {place} van {len(ranked)}"
        text.append(f"Compliance ({pct(g.norm_averages['7'])}) {where}.")
    text.append(
        f"Zij scoren gemiddeld {_compare(g.average_total, cc_only.average_total)} de overige "
        f"Cultuurconnectie-leden ({pct(g.average_total)} tegen {pct(cc_only.average_total)})."
    )
    return text


def _mostly(n: int, of: int, kind: str) -> str:
    """'Het zijn allemaal …', 'De meeste (12 van de 15) zijn …' or '4 van de 15 zijn …'."""
    kinds = PLURALS.get(kind, kind)
    if of == 1:
        return f"Het is een {kind}."
    if n == of:
        return f"Het zijn {'allebei' if of == 2 else 'allemaal'} {kinds}."
    if 2 * n > of:
        return f"De meeste ({n} van de {of}) zijn {kinds}."
    return f"{n} van de {of} zijn {kinds}."


def participation(report: PeriodReport) -> list[str]:
    vob, cc = report.groups[VOB_GROUP.key], report.groups[CC_GROUP.key]
    text = []
    for g in (vob, cc):
        o = g.outcomes
        members = f"; de vereniging telde {g.members} leden" if g.members is not None else ""
        text.append(
            f"{g.group.short}: {number(o.carried_out)} van de {number(o.register_rows)} organisaties in het register "
            f"namen deel ({pct(o.participation_pct)}), {o.no_participation} niet{members}."
        )
    text.append(
        f"De deelname verschilt daarmee duidelijk tussen de twee groepen ({pct(vob.outcomes.participation_pct)} "
        f"tegen {pct(cc.outcomes.participation_pct)})."
    )
    return text


def postponements(report: PeriodReport) -> list[str]:
    a = report.all.postponements
    vob, cc = report.groups[VOB_GROUP.key].postponements, report.groups[CC_GROUP.key].postponements
    fm_all = (
        "alle toegekend"
        if a.force_majeure_granted == a.force_majeure_requests
        else (f"{a.force_majeure_granted} toegekend")
    )
    return [
        f"Er kwamen {a.requests} uitstelverzoeken binnen. {a.force_majeure_requests} daarvan waren het gevolg van "
        f"een lockdown of de directe gevolgen ervan ({fm_all}); bij {a.certificates_extended} certificaten is de "
        "geldigheid verlengd, zodat uitgestelde audits konden worden ingehaald.",
        f"Los van corona vroegen organisaties {a.regular_requests} keer om uitstel ({a.regular_granted} toegekend, "
        f"{a.regular_refused} afgewezen): {cc.regular_requests} keer in de Cultuurconnectie-groep en "
        f"{vob.regular_requests} keer in de VOB-groep.",
        (
            f"Bij {a.became_no_participation} trajecten werd uitstel afstel: na toegekend uitstel vond geen audit "
            f"plaats ({cc.became_no_participation} in de Cultuurconnectie-groep)."
            if a.became_no_participation
            else "Uitstel werd in deze periode nergens afstel: na toegekend uitstel vond overal een audit plaats."
        ),
    ]


def satisfaction(report: PeriodReport) -> list[str]:
    if not report.survey_answers:
        return [f"Op {long_date(report.survey_date)} is de evaluatie nog door niemand ingevuld."]
    parts = _list([f"{pct(report.satisfaction_pct(a), 0)} {ANSWER_LABELS[a].lower()}" for a in ANSWERS])
    return [
        f"Na elke audit is om een evaluatie gevraagd; tot en met {long_date(report.survey_date)} antwoordden "
        f"{number(report.survey_answers)} geauditeerden: {parts}. Samen is {pct(satisfied(report), 0)} "
        "(zeer) tevreden."
    ]


def backlog(report: PeriodReport) -> list[str]:
    """The stuwmeer: its peak and how far it had been caught up by the peildatum."""
    top = peak(report.backlog)
    if top is None or not top.backlog:
        return ["Er zijn geen audits uitgesteld; een stuwmeer van uit te voeren audits is niet ontstaan."]
    last = report.backlog[-1]
    granted = sum(q.granted for q in report.backlog)
    now = (
        "Op de peildatum waren ze alle gehouden (of was van deelname afgezien)."
        if not last.backlog
        else f"Op de peildatum waren er nog {number(last.backlog)} te houden."
    )
    return [
        f"Door het uitstel ontstond een stuwmeer van uit te voeren audits: in totaal werd {number(granted)} keer "
        f"uitstel toegekend, en aan het eind van {top.spoken} wachtten {number(top.backlog)} uitgestelde audits, "
        f"het meest in de periode. {now}"
    ]


def effect(report: PeriodReport, previous: PeriodReport | None) -> list[str]:
    """'Het kader heeft het beoogde effect' when both the average score and participation rose since the
    previous period; otherwise what did and did not rise. Without a previous period: nothing."""
    if previous is None:
        return []
    now, then = report.all, previous.all
    scores = (now.average_total, then.average_total)
    taking_part = (now.outcomes.participation_pct, then.outcomes.participation_pct)
    if None in scores or None in taking_part:
        return []
    rose_score = (scores[0] or 0) > (scores[1] or 0)
    rose_part = (taking_part[0] or 0) > (taking_part[1] or 0)
    figures = (
        f"de gemiddelde totaalscore {pct(scores[1])} → {pct(scores[0])}, de deelname "
        f"{pct(taking_part[1])} → {pct(taking_part[0])} (ten opzichte van {previous.date_from.year}-"
        f"{previous.date_to.year})"
    )
    if rose_score and rose_part:
        return [f"Scores en deelname zijn gestegen: {figures}. Het kader heeft daarmee het beoogde effect."]
    what = (
        "de scores stegen" if rose_score else ("de deelname steeg" if rose_part else "scores en deelname stegen niet")
    )
    return [f"Het beoogde effect is nog niet volledig zichtbaar: {what}; {figures}."]


def satisfied(report: PeriodReport) -> float | None:
    return percentage(
        report.satisfaction.get("zeer tevreden", 0) + report.satisfaction.get("tevreden", 0), report.survey_answers
    )
