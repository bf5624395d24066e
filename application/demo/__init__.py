"""The demo's pure core: CBCT's published 2018-2022 register, a deterministic scenario planner that makes
every register outcome arise from real commands and deadlines, and a simulator that validates a plan
against the pure domain exactly as the workflows, firing each deadline at its due moment, run it.
"""

from application.demo.period import DEFAULT_SEED, DEMO_START, REFERENCE_DATE, REFERENCE_MOMENT
from application.demo.planner import Marks, plan_register, plan_trajectory, register_marks
from application.demo.register import RegisterError, RegisterRow, load_register
from application.demo.scenario import PlanningError, Scenario, Step
from application.demo.simulate import Refusal, Simulation, SimulationError, run_simulation, simulate

__all__ = [
    "DEFAULT_SEED",
    "DEMO_START",
    "REFERENCE_DATE",
    "REFERENCE_MOMENT",
    "Marks",
    "PlanningError",
    "Refusal",
    "RegisterError",
    "RegisterRow",
    "Scenario",
    "Simulation",
    "SimulationError",
    "Step",
    "load_register",
    "plan_register",
    "plan_trajectory",
    "register_marks",
    "run_simulation",
    "simulate",
]
