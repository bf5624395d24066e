"""The inbox's preview of a grant: the domain decides it on the state, nothing is stored, and the audit
and deadlines before and after are compared; the rule that applies is explained in CBCT's terms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from application.postponement_preview import GrantPreview, explain_rule, grant_command, preview_grant, proposed_quarter
from domain import Phase, Quarter, RequestPostponement, ScheduleAudit
from tests.unit.driver import Trajectory, at

Planned = Callable[..., Trajectory]


def fixed(planned: Planned, *, self_evaluation: bool = True) -> Trajectory:
    """Planned, then the audit fixed on 2026-04-21 (quarter 2026-K2); the self-evaluation in or not."""
    t = planned(self_evaluation=self_evaluation)
    t.do(ScheduleAudit, "2026-01-08", audit_dates=[date(2026, 4, 21)], expert_auditor="E", peer_auditor="P")
    return t


def shifts(preview: GrantPreview) -> dict[str, tuple[date, date, str]]:
    """By label: the dates before and after (date.min for none) and the change."""
    return {s.label: (s.before or date.min, s.after or date.min, s.change) for s in preview.deadlines}


def test_a_grant_with_a_new_date_moves_the_audit_the_self_evaluation_and_the_scores(planned: Planned) -> None:
    t = fixed(planned, self_evaluation=False)
    t.do(RequestPostponement, "2026-03-02", ground="calamiteit", reason="brand in de centrale")
    state, events = t.s, list(t.events)
    command = grant_command(state, at("2026-03-03"), new_audit_dates=(date(2026, 9, 15),))
    preview = preview_grant(state, command, at("2026-03-03"), t.rules)
    assert preview.allowed and preview.audit_moves
    assert (preview.quarter_before, preview.quarter_after) == (
        Quarter.of(date(2026, 4, 1)),
        Quarter.of(date(2026, 9, 1)),
    )
    assert (preview.dates_before, preview.dates_after) == ((date(2026, 4, 21),), (date(2026, 9, 15),))
    assert preview.phase_before is preview.phase_after is Phase.SCHEDULED
    moved = shifts(preview)
    assert moved["scores audit"][2] == "verschuift" and moved["scores audit"][1] > date(2026, 9, 15)
    before, after, change = moved["zelfevaluatie"]
    assert change == "verschuift" and before < date(2026, 4, 21) and date(2026, 4, 21) < after < date(2026, 9, 15)
    assert "besluit uitstelverzoek" not in moved  # the decision itself is not a consequence
    assert t.s is state and t.events == events  # nothing folded into the trajectory, nothing recorded


def test_a_grant_without_a_date_puts_the_audit_back_in_planning(planned: Planned) -> None:
    t = fixed(planned)
    t.do(RequestPostponement, "2026-03-02", ground="calamiteit", reason="brand in de centrale")
    command = grant_command(t.s, at("2026-03-03"))
    assert command.new_quarter == Quarter.model_validate("2026-K3") and command.new_audit_dates is None
    preview = preview_grant(t.s, command, at("2026-03-03"), t.rules)
    assert preview.allowed
    assert (preview.phase_before, preview.phase_after) == (Phase.SCHEDULED, Phase.PLANNING)
    assert preview.dates_after == ()
    moved = shifts(preview)
    assert moved["scores audit"][2] == "vervalt"
    assert moved["planning audit"][2] == "nieuw"


def test_a_grant_the_rules_refuse_previews_as_the_refusal(planned: Planned) -> None:
    t = fixed(planned)
    t.do(RequestPostponement, "2026-03-02", ground="calamiteit", reason="wateroverlast")
    earlier = grant_command(t.s, at("2026-03-03"), new_audit_dates=(date(2026, 4, 14),))
    preview = preview_grant(t.s, earlier, at("2026-03-03"), t.rules)
    assert not preview.allowed and preview.rule == "postponement.not_later"
    assert "later zetten dan 2026-04-21" in (preview.refusal or "")
    assert preview.deadlines == () and not preview.audit_moves


def test_the_proposed_quarter_is_the_next_one_that_has_not_ended(planned: Planned) -> None:
    t = planned()
    assert proposed_quarter(t.s, at("2026-01-05")) == Quarter.model_validate("2026-K3")
    assert proposed_quarter(t.s, at("2026-11-05")) == Quarter.model_validate("2026-K4")


def test_the_rule_for_a_regular_ground_counts_the_regular_postponements(planned: Planned) -> None:
    t = planned()
    t.do(RequestPostponement, "2026-01-05", ground="fusie", reason="fusie met Oldenzaal",
         ground_effective_on=date(2026, 6, 1))  # fmt: skip
    rule = explain_rule(t.s, t.rules)
    assert not rule.force_majeure and not rule.date_fixed
    assert (rule.regular_granted, rule.regular_max, rule.decide_by) == (0, 2, date(2026, 1, 19))
    text = " ".join(rule.lines)
    assert "Grond: fusie (een reguliere grond)." in text
    assert "0 van de maximaal 2 verleend; toekennen maakt het 1." in text
    assert "binnen 9 maanden" in text
    assert "Beslis uiterlijk 19-01-2026" in text


def test_the_rule_for_force_majeure_says_it_cannot_be_refused(planned: Planned) -> None:
    t = fixed(planned)
    t.do(RequestPostponement, "2026-03-02", ground="pandemie", reason="lockdown")
    rule = explain_rule(t.s, t.rules)
    assert rule.force_majeure and rule.date_fixed
    text = " ".join(rule.lines)
    assert "weigeren kan niet" in text
    assert "Na het vastleggen van de auditdatum gelden alleen calamiteit, pandemie en overmacht." in text
    assert "De auditdatum staat vast (21-04-2026)" in text


def test_no_rule_without_a_pending_request(planned: Planned) -> None:
    with pytest.raises(ValueError, match="geen openstaand uitstelverzoek"):
        explain_rule(planned().s, planned().rules)
