"""Register vocabulary: results and remarks spelled exactly as in CBCT's 2018-2022 register."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from domain import Association, Remark, Result, WithdrawParticipation, register_entry
from domain.events import TrajectoryClosed
from tests.unit.driver import Trajectory, only

REGISTER = Path("/work/shared/data/kib-2018-2022-register.csv")
Planned = Callable[..., Trajectory]


@pytest.mark.skipif(not REGISTER.exists(), reason="CBCT register CSV not available")
def test_the_vocabulary_matches_the_published_register() -> None:
    """Every result, remark and association in the CSV is one of our enum values, spelled the same."""
    with REGISTER.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["result"] for r in rows} == {r.value for r in Result}
    assert {r["remark"] for r in rows} - {""} == {r.value for r in Remark}
    assert {r["association"] for r in rows} == {a.value for a in Association}
    assert {(r["result"], r["remark"]) for r in rows if r["remark"] == "Geen deelname"} == {
        ("Niet gecertificeerd", "Geen deelname")
    }


def test_geen_deelname_reads_niet_gecertificeerd_with_remark(planned: Planned) -> None:
    """A withdrawn organisation shows as 'Niet gecertificeerd' + 'Geen deelname', as in the CSV."""
    t = planned()
    closed = only(t.do(WithdrawParticipation, "2026-01-06", reason="fusie afgeblazen, stopt"), TrajectoryClosed)
    assert (closed.result, closed.remark) == (Result.NOT_CERTIFIED, Remark.NO_PARTICIPATION)
    assert register_entry(t.s) == ("Niet gecertificeerd", "Geen deelname")
    assert t.kinds() == []


def test_a_pending_trajectory_has_no_result_yet(planned: Planned) -> None:
    """Before any verdict, result and remark are both empty."""
    assert register_entry(planned().s) == (None, None)
