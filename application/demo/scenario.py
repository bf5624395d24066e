"""What the planner hands the replay: one trajectory's steps (commands at moments) and the row they reproduce."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.demo.register import RegisterRow
from domain import Command


@dataclass(frozen=True)
class Step:
    """One command to send at one moment (UTC, aware); ``expect_refusal`` marks a deliberate refusal."""

    at: datetime
    command: Command
    expect_refusal: bool = False
    expected_rule: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() != timedelta(0):
            raise ValueError(f"step {self.command.command_id}: 'at' must be an aware UTC datetime")
        if self.expect_refusal != (self.expected_rule is not None):
            raise ValueError(f"step {self.command.command_id}: a deliberate refusal names its expected rule")


@dataclass(frozen=True)
class Scenario:
    """The ordered steps of one trajectory, with the register row it must reproduce."""

    trajectory_id: str
    certificate_number: str
    row: RegisterRow
    scale_index: int
    steps: tuple[Step, ...]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> Step:
        return self.steps[index]


class PlanningError(ValueError):
    """The planner cannot produce this register row (unsupported outcome, or no valid timeline)."""
