"""The period report's arithmetic on hand-built event histories (pure domain, no database)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from application.reports.as_of import cutoff, facts_from_events
from application.reports.period import Membership, PeriodReport, average_score, compute, percentage
from domain import Event
from tests.reports.histories import FROM, PEIL, TO, events_of, histories


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return events_of(*histories())


@pytest.fixture(scope="module")
def report(events: list[Event]) -> PeriodReport:
    members = Membership(date(2022, 12, 31), {"VOB": 138, "Cultuurconnectie": 134})
    return compute(facts_from_events(events, PEIL), FROM, TO, PEIL, members)


def test_carried_out_counts_audits_and_keeps_no_participation_apart(report: PeriodReport) -> None:
    """214-style: only trajectories with an audit are carried out; Geen deelname and not yet audited apart."""
    o = report.all.outcomes
    assert (o.register_rows, o.carried_out, o.no_participation, o.not_yet_audited) == (9, 5, 3, 1)
    assert (o.certified_at_once, o.certified_at_once_pct) == (3, 60.0)
    assert (o.not_or_conditional, o.not_or_conditional_pct) == (2, 40.0)
    assert (o.certified_after_heraudit, o.remaining, o.undecided) == (1, 1, 0)


def test_groups_include_members_of_both_and_leave_out_volksuniversiteiten(report: PeriodReport) -> None:
    """VOB group = VOB + both; Cultuurconnectie group = CC + both without the volksuniversiteit; both alone."""
    g = report.groups
    assert (g["vob"].outcomes.register_rows, g["vob"].outcomes.carried_out) == (5, 3)
    assert (g["cultuurconnectie"].outcomes.register_rows, g["cultuurconnectie"].outcomes.carried_out) == (4, 2)
    assert (g["beide"].outcomes.carried_out, g["cultuurconnectie-alleen"].outcomes.carried_out) == (1, 1)
    assert g["alle"].outcomes.carried_out == 5  # the volksuniversiteit counts among all auditees
    assert (g["vob"].members, g["cultuurconnectie"].members, g["beide"].members) == (138, 134, None)
    # participation: carried out / (carried out + Geen deelname)
    assert g["vob"].outcomes.participation_pct == 75.0 and g["cultuurconnectie"].outcomes.participation_pct == 50.0


def test_score_bands_per_norm_count_every_rating(report: PeriodReport) -> None:
    """Norm 3 over all: t1001 B B G V, t1002 V×4, t1003 G×4, t1004 V×4, t1005 B×4 → 6 red, 5 yellow, 9 green."""
    a = report.all
    assert a.norm_bands["3"].counts == (6, 5, 9) and a.norm_bands["3"].shares == (30.0, 25.0, 45.0)
    assert a.norm_bands["1"].counts == (4, 4, 12)
    assert report.groups["cultuurconnectie"].norm_bands["4"].counts == (0, 8, 0)
    assert report.groups["beide"].norm_bands["6"].shares == (0.0, 100.0, 0.0)
    assert a.all_bands.total == 5 * 7 * 4


def test_averages_and_categories(report: PeriodReport) -> None:
    """Category I of the VOB group: norm 3 = 1.75, the rest 3 → 19.75 / 21 = 94.0 %."""
    vob = report.groups["vob"]
    assert vob.categories["I"].trajectories == 1 and vob.categories["I"].average_total == 94.0
    assert vob.categories["II"].average_total == 66.7  # the member of both, all Grotendeels
    assert vob.categories["III"].average_total == 91.7  # norm 6 at 1.25 in the regular audit
    assert vob.categories["IV"].average_total is None
    assert report.groups["cultuurconnectie"].categories["IV"].average_total == 95.2  # (6 × 3 + 2) / 21
    assert report.all.norm_averages["6"] == average_score([3, 1.25, 2, 3, 1])


def test_reading_promotion_module_per_criterion(report: PeriodReport) -> None:
    """Libraries (VOB group) with module 1: criterion a = B, N, G, so two bases not in order."""
    m = report.groups["vob"].module
    assert m.libraries == 3 and m.not_in_order == 2
    assert m.criteria["a"].counts == (2, 1, 0)
    assert m.criteria["c"].counts == (1, 1, 1)
    assert m.criteria["d"].counts == (0, 2, 1)
    assert report.groups["cultuurconnectie-alleen"].module.libraries == 0


def test_postponements_by_ground_and_answer(report: PeriodReport) -> None:
    """Regular granted/refused/lapsed, force majeure apart, extensions, uitstel werd afstel."""
    a, cc = report.all.postponements, report.groups["cultuurconnectie"].postponements
    assert (a.requests, a.force_majeure_requests, a.force_majeure_granted) == (4, 1, 1)
    assert (a.regular_requests, a.regular_granted, a.regular_refused, a.lapsed) == (3, 1, 1, 1)
    assert (a.trajectories_postponed, a.certificates_extended, a.became_no_participation) == (2, 1, 1)
    assert (cc.requests, cc.regular_requests, cc.became_no_participation) == (3, 2, 1)
    assert report.groups["vob"].postponements.became_no_participation == 0  # refused, then withdrawn


def test_satisfaction_uses_cbct_labels(report: PeriodReport) -> None:
    d = report.as_dict()["satisfaction"]
    assert d["ontevreden"] == {"label": "Niet tevreden", "answers": 1, "pct": 25.0}
    assert report.survey_answers == 4


def test_register_appendix_rows(report: PeriodReport) -> None:
    rows = {r.certificate_number: (r.result, r.remark) for r in report.register}
    assert rows["1002"] == ("Voorwaardelijk gecertificeerd", "Gecertificeerd na heraudit")
    assert rows["1006"] == ("Niet gecertificeerd", "Geen deelname")
    assert rows["1009"] == (None, None)


def test_same_report_at_a_peildatum_before_and_after_later_events(events: list[Event]) -> None:
    """Everything after the peildatum is invisible: the events up to it give the very same report."""
    peil = date(2019, 3, 1)
    before = [e for e in events if e.occurred_at < cutoff(peil)]
    a = compute(facts_from_events(before, peil), FROM, TO, peil).as_dict()
    b = compute(facts_from_events(events, peil), FROM, TO, peil).as_dict()
    assert a == b
    assert a["groups"]["alle"]["outcomes"]["undecided"] == 4  # audited 12-02-2019, decided 15-03-2019
    assert a != compute(facts_from_events(events, PEIL), FROM, TO, peil).as_dict()


def test_rounding_is_half_up_to_one_decimal() -> None:
    assert percentage(1, 16) == 6.3
    assert percentage(2, 3) == 66.7
    assert percentage(1, 0) is None
    assert average_score([0.25, 0.5, 0.0, 0.0]) == 6.3


def test_empty_period_and_json(report: PeriodReport, events: list[Event]) -> None:
    empty = compute(facts_from_events(events, PEIL), date(2030, 1, 1), date(2030, 12, 31), PEIL)
    assert empty.all.outcomes.carried_out == 0 and set(empty.all.norm_averages.values()) == {None}
    d = json.loads(report.to_json())
    assert d["period"] == {"from": "2018-01-01", "to": "2022-12-31"} and d["peildatum"] == "2023-02-21"
    assert d["members"] == {"on": "2022-12-31", "counts": {"VOB": 138, "Cultuurconnectie": 134}}
    with pytest.raises(ValueError, match="ligt na"):
        compute([], date(2020, 1, 1), date(2019, 1, 1), PEIL)
