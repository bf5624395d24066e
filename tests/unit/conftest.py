"""Shared fixtures for the pure domain tests: the two framework versions and trajectory builders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from domain import Association, OpenTrajectory, RecordIntake, Rules, SendAnnouncement, SubmitSelfEvaluation
from frameworks.loader import load_rules
from tests.unit.driver import Trajectory, intake_fields


@pytest.fixture
def kib2018() -> Rules:
    """Rules of Kwaliteit in Beeld 2018-2022."""
    return load_rules("kib-2018")


@pytest.fixture
def kib2() -> Rules:
    """Rules of Kwaliteit in Beeld II 2023-2026."""
    return load_rules("kib-ii-2023")


@pytest.fixture(params=["kib-2018", "kib-ii-2023"])
def each_framework(request: pytest.FixtureRequest) -> Rules:
    """The rules of each framework version in turn: a rule case holds under both."""
    return load_rules(request.param)


@pytest.fixture
def planned(kib2: Rules) -> Callable[..., Trajectory]:
    """A KiB II trajectory for a library whose certificate expires 2026-06-30, up to planning.

    Opened 2025-11-03, announced, intake in, self-evaluation submitted; audit quarter 2026-K2.
    """
    return planned_under(kib2)


@pytest.fixture
def planned_each(each_framework: Rules) -> Callable[..., Trajectory]:
    """As `planned`, under each framework version in turn."""
    return planned_under(each_framework)


def planned_under(rules: Rules) -> Callable[..., Trajectory]:
    """Builds a trajectory under `rules` up to planning (see `planned`)."""

    def build(
        association: Association = Association.VOB,
        services: tuple[str, ...] = ("Leesbevordering",),
        self_evaluation: bool = True,
        expiry: date = date(2026, 6, 30),
    ) -> Trajectory:
        t = Trajectory(rules)
        t.do(
            OpenTrajectory,
            "2025-11-03",
            organisation="Bibliotheek Hengelo",
            certificate_number="1002",
            association=association,
            framework_version=rules.version_id,
            previous_certificate_expiry=expiry,
            previous_auditors=("Piet Oud",),
        )
        t.do(SendAnnouncement, "2025-11-04")
        t.do(RecordIntake, "2025-11-10", **intake_fields(services=services))
        if self_evaluation:
            t.do(SubmitSelfEvaluation, "2025-11-20", documents=("zelfevaluatie.pdf",))
        return t

    return build
