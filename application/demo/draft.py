"""One trajectory's plan while it is being drawn: its random stream, the steps so far, and the primitives
every part of the timeline uses (a random working day, a step at a random time of that day).

All draws of one trajectory come from one stream, in the order the timeline asks for them; that order is
what makes a plan reproducible, so the parts of the timeline must keep calling in the same order.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from typing import Any

from application.demo.cast import PLANNERS
from application.demo.ids import certificate_number_for, trajectory_id_for
from application.demo.period import LAST_STEP_DAY
from application.demo.register import RegisterRow
from application.demo.scenario import Step
from application.demo.workdays import is_working_day
from domain import Command, Rules
from domain.calendar import add_days, local_moment


class Retry(Exception):
    """This draw gives no valid timeline; draw again."""


class TrajectoryDraft:
    """The steps of one attempt at a timeline; ``reset`` starts a new attempt on the same stream."""

    def __init__(
        self,
        row: RegisterRow,
        scale_index: int,
        seed: int,
        rules: Rules,
        *,
        reading_base_in_order: bool = True,
        large: bool = False,
    ) -> None:
        self.row, self.rules, self.seed = row, rules, seed
        self.reading_base_in_order = reading_base_in_order
        self.large = large  # a large organisation: audit category IV
        self.tid = trajectory_id_for(row.certificate_number, scale_index)
        self.number = certificate_number_for(row.certificate_number, scale_index)
        self.rng = random.Random(f"{seed}|{self.tid}")
        self.auditee = f"auditee:{self.number}"

    def reset(self) -> None:
        self.steps: list[Step] = []
        self.requests = 0
        self.excluded: set[str] = set()
        self.failing_norms: tuple[str, ...] = ()
        self.category = ""
        self.planner = f"planner:{self.rng.choice(PLANNERS)}"

    def day(self, lo: date, hi: date) -> date:
        """A random working day in [lo, hi]."""
        span = (hi - lo).days
        if span < 0:
            raise Retry
        start = self.rng.randint(0, span)
        for offset in range(span + 1):
            candidate = add_days(lo, (start + offset) % (span + 1))
            if is_working_day(candidate):
                return candidate
        raise Retry

    def add(
        self,
        day: date,
        hours: tuple[int, int],
        label: str,
        command: type[Command],
        actor: str,
        *,
        expect_rule: str | None = None,
        **fields: Any,
    ) -> None:
        """The command ``label`` on ``day`` between ``hours`` (Amsterdam), on the quarter hour."""
        if day > LAST_STEP_DAY:
            raise Retry
        at = local_moment(day, time(self.rng.randint(*hours), self.rng.choice((0, 15, 30, 45))))
        built = command(command_id=f"{self.tid}/{label}", trajectory_id=self.tid, actor=actor, **fields)
        self.steps.append(Step(at=at, command=built, expect_refusal=expect_rule is not None, expected_rule=expect_rule))

    def ordered(self) -> tuple[Step, ...]:
        """Steps in time order; same-moment steps keep their causal order a minute apart."""
        steps = sorted(self.steps, key=lambda s: s.at)
        out: list[Step] = []
        for step in steps:
            if out and step.at <= out[-1].at:
                step = Step(out[-1].at + timedelta(minutes=1), step.command, step.expect_refusal, step.expected_rule)
            out.append(step)
        return tuple(out)
