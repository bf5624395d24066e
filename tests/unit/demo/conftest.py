"""Shared fixtures: the register, its plan under the demo seed, and the plan replayed to 2023-02-21."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from application.demo import (
    DEFAULT_SEED,
    REFERENCE_MOMENT,
    RegisterRow,
    Scenario,
    Simulation,
    load_register,
    plan_register,
    run_simulation,
)


@dataclass(frozen=True)
class Replayed:
    """A planned register and its replay, with how long planning and replaying took."""

    scenarios: list[Scenario]
    simulation: Simulation
    seconds: float


def replay(rows: list[RegisterRow], seed: int, scale: int = 1) -> Replayed:
    """Plan the register and simulate it up to the reference moment, timed."""
    started = time.perf_counter()
    scenarios = plan_register(rows, seed=seed, scale=scale)
    simulation = run_simulation(scenarios, REFERENCE_MOMENT)
    return Replayed(scenarios, simulation, time.perf_counter() - started)


@pytest.fixture(scope="session")
def rows() -> list[RegisterRow]:
    """The 251 rows of CBCT's published 2018-2022 register (the packaged copy)."""
    return load_register()


@pytest.fixture(scope="session")
def demo(rows: list[RegisterRow]) -> Replayed:
    """The whole register planned with the demo seed and replayed to 2023-02-21."""
    return replay(rows, DEFAULT_SEED)
