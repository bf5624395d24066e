"""The inbox keeps a request's rule and preview for the minute, per state version: a second page view
reuses them, and a new event, another asked quarter or the next minute computes them afresh."""

from __future__ import annotations

from datetime import timedelta

from application.trajectories import rules_for_version
from domain import Quarter, RequestPostponement
from interfaces.web import inbox
from tests.unit.conftest import planned_under
from tests.unit.driver import at


def test_a_preview_is_kept_for_its_state_version_asked_quarter_and_minute() -> None:
    rules = rules_for_version("kib-ii-2023")
    t = planned_under(rules)()
    t.do(RequestPostponement, "2026-03-02", ground="calamiteit", reason="brand in de centrale")
    now = at("2026-03-03") + timedelta(seconds=5)
    inbox._PREVIEWS.clear()
    first = inbox._previewed(t.s, now, None, None)
    assert inbox._previewed(t.s, now + timedelta(seconds=30), None, None) is first
    assert first[1].allowed and first[1].quarter_after != first[1].quarter_before
    asked = inbox._previewed(t.s, now, Quarter.model_validate("2026-K4"), None)
    assert asked is not first and asked[1].quarter_after == Quarter.model_validate("2026-K4")
    assert inbox._previewed(t.s, now + timedelta(minutes=1), None, None) is not first
    moved = t.s.model_copy(update={"version": t.s.version + 1})
    assert inbox._previewed(moved, now, None, None) is not first


def test_the_kept_previews_are_bounded() -> None:
    rules = rules_for_version("kib-ii-2023")
    t = planned_under(rules)()
    t.do(RequestPostponement, "2026-03-02", ground="calamiteit", reason="brand in de centrale")
    inbox._PREVIEWS.clear()
    for n in range(inbox.PREVIEWS_KEPT + 20):
        inbox._previewed(t.s, at("2026-03-03") + timedelta(minutes=n), None, None)
    assert len(inbox._PREVIEWS) == inbox.PREVIEWS_KEPT
