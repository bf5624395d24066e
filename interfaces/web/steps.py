"""Which steps a trajectory page offers now: those the viewer's role may send, in the trajectory's phase.

The role comes from `application.access.may_send`. The state comes from the domain itself: each step's
command, made of the concept's example values, is decided against the current state (pure, no I/O); a
step refused for a reason of the state alone (`NOT_NOW`: its phase, a closed trajectory, no request
pending, nothing expected any more) is not offered. Any other refusal of the example (a date, an
auditor, a term that depends on the moment) says nothing about the viewer's own input, so that step
stays offered: the rules judge what is actually sent.
"""

from __future__ import annotations

from datetime import datetime

from application.access import Principal, may_send
from application.trajectories import rules_for_version
from domain import DomainError, decide
from domain.commands import Command, OpenTrajectory
from domain.concept import ENVELOPE
from domain.registry import FIELDS
from domain.state import TrajectoryState
from interfaces.web.forms import FORMS, CommandForm

NOT_NOW = frozenset(
    {
        "state.phase",
        "state.closed",
        "self_evaluation.not_expected",
        "postponement.none_pending",
        "objection.none_pending",
        "participation.after_decision",
        "survey.not_open",
    }
)
"""Refusals that depend on the trajectory's state alone (not on the input, nor on the moment)."""


def example_command(form: CommandForm, trajectory_id: str) -> Command:
    """The step's command with the concept's example values (valid by construction: `domain.concept`)."""
    example = {name: FIELDS[name].example for name in form.command.model_fields if name not in ENVELOPE}
    return form.command.model_validate(
        {"command_id": "web-probe", "trajectory_id": trajectory_id, "actor": "web:probe", **example}
    )


def open_now(state: TrajectoryState, form: CommandForm, now: datetime) -> bool:
    """Whether the step fits the trajectory's phase now (see the module's docstring)."""
    try:
        decide(state, example_command(form, state.trajectory_id), now, rules_for_version(state.framework_version))
    except DomainError as refusal:
        return refusal.rule not in NOT_NOW
    except Exception:  # a probe that fails otherwise must not cost the page: offer the step, the rules judge
        return True
    return True


def steps_for(viewer: Principal, state: TrajectoryState, now: datetime) -> list[CommandForm]:
    """The steps `viewer` may take on this trajectory now, in the CLI's order (opening is never one)."""
    return [
        form
        for form in FORMS.values()
        if form.command is not OpenTrajectory and may_send(viewer, form.name) and open_now(state, form, now)
    ]
