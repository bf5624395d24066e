"""Drives real commands through TrajectoryService against Postgres, and a dispatcher over the deadlines model."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg

from application.command_handler import Accepted
from application.trajectories import TrajectoryService
from domain import (
    Command,
    DecideCertification,
    FireDeadline,
    IssueDraftReport,
    OpenTrajectory,
    ReactToDraft,
    RecordAuditScores,
    RecordIntake,
    RecordSurveyAnswer,
    RequestHeraudit,
    ScheduleAudit,
    Score,
    SubmitSelfEvaluation,
    TrajectoryState,
    WithdrawParticipation,
)
from frameworks.loader import load_rules
from infrastructure.postgres_event_store import PostgresEventStore
from projections.deadlines import due_deadlines
from projections.registry import all_projections
from projections.runner import ProjectionRunner
from tests.unit.driver import at, intake_fields, scores

KIB2018 = load_rules("kib-2018")
B, G = Score.LIMITED, Score.LARGELY


@dataclass
class World:
    """One database: store, service, runner, and helpers that fail loudly on a rejected command."""

    pool: asyncpg.Pool
    store: PostgresEventStore
    service: TrajectoryService
    runner: ProjectionRunner
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def do(self, cls: type[Command], when: str | datetime, trajectory_id: str, **fields: Any) -> Accepted:
        now = at(when) if isinstance(when, str) else when
        command = cls(
            command_id=f"{trajectory_id}/c{next(self.ids)}", trajectory_id=trajectory_id, actor="planner", **fields
        )
        outcome = await self.service.handle(command, now)
        assert isinstance(outcome, Accepted), outcome
        return outcome

    async def state(self, trajectory_id: str) -> TrajectoryState:
        state = await self.service.state(trajectory_id)
        assert state is not None
        return state

    async def catch_up(self) -> int:
        return await self.runner.catch_up()

    async def fire_due(self, when: str | datetime) -> list[str]:
        """Fire every deadline due at `when`, as the dispatcher does: read the model, fire, catch up, repeat."""
        now = at(when) if isinstance(when, str) else when
        fired: list[str] = []
        while True:
            await self.catch_up()
            due = [d for d in await due_deadlines(self.pool, now) if d.deadline_id not in fired]
            if not due:
                return fired
            for deadline in due:
                await self.service.handle(
                    FireDeadline(
                        command_id=deadline.deadline_id,
                        trajectory_id=deadline.trajectory_id,
                        actor="dispatcher",
                        deadline_id=deadline.deadline_id,
                    ),
                    now,
                )
                fired.append(deadline.deadline_id)


def make_world(pool: asyncpg.Pool, **runner_options: Any) -> World:
    store = PostgresEventStore(pool)
    return World(
        pool, store, TrajectoryService(store), ProjectionRunner(pool, store, all_projections(), **runner_options)
    )


async def opened_2019(
    w: World,
    trajectory_id: str,
    number: str,
    organisation: str,
    *,
    association: str = "VOB",
    contact_email: str | None = "info@example.nl",
    expiry: date = date(2019, 3, 31),
    dates: tuple[str, str, str, str] = ("2018-06-15", "2018-10-01", "2018-10-08", "2018-11-01"),
) -> None:
    """KiB 2018: opened mid-2018, announced by its deadline, intake and self-evaluation in."""
    opened_on, announced_on, intake_on, self_evaluation_on = dates
    await w.do(
        OpenTrajectory,
        opened_on,
        trajectory_id,
        organisation=organisation,
        certificate_number=number,
        association=association,
        framework_version="kib-2018",
        previous_certificate_expiry=expiry,
        contact_email=contact_email,
    )
    await w.fire_due(announced_on)
    await w.do(RecordIntake, intake_on, trajectory_id, **intake_fields(services=("BoekStart",)))
    await w.do(SubmitSelfEvaluation, self_evaluation_on, trajectory_id, documents=("zelfevaluatie.pdf",))


async def run_audit(
    w: World,
    trajectory_id: str,
    audit_day: str,
    answers: Mapping[str, Mapping[str, Score]] | None = None,
    *,
    plan_on: str | None = None,
) -> None:
    """Schedule, score (all Volledig unless given), issue the draft, react."""
    state = await w.state(trajectory_id)
    await w.do(
        ScheduleAudit,
        plan_on or state.phase_since.isoformat(),
        trajectory_id,
        audit_dates=[date.fromisoformat(audit_day)],
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    given = answers if answers is not None else scores(state.round.scope, KIB2018)
    await w.do(RecordAuditScores, audit_day, trajectory_id, scores=given)
    await w.do(IssueDraftReport, audit_day, trajectory_id, summary="Sterke samenwerking met scholen.")
    await w.do(ReactToDraft, audit_day, trajectory_id, reaction="Geen opmerkingen.")


async def certified(
    w: World,
    trajectory_id: str = "kib-1036",
    number: str = "1036",
    organisation: str = "Bibliotheek Helmond-Peel",
    **options: Any,
) -> None:
    """Certified at once, survey answered: closed."""
    await opened_2019(w, trajectory_id, number, organisation, **options)
    await run_audit(w, trajectory_id, "2019-02-12", plan_on="2018-12-03")
    await w.do(DecideCertification, "2019-03-15", trajectory_id)
    await w.do(RecordSurveyAnswer, "2019-03-20", trajectory_id, answer="tevreden")


async def certified_after_heraudit(
    w: World, trajectory_id: str = "kib-1040", number: str = "1040", organisation: str = "Bibliotheek Eindhoven"
) -> None:
    """Voorwaardelijk on norm 6, heraudit on norm 6, certified after all."""
    await opened_2019(w, trajectory_id, number, organisation)
    scope = (await w.state(trajectory_id)).round.scope
    await run_audit(w, trajectory_id, "2019-02-12", scores(scope, KIB2018, n6=[B, B, G, B]), plan_on="2018-12-03")
    await w.do(DecideCertification, "2019-03-15", trajectory_id)
    await w.do(RecordSurveyAnswer, "2019-03-20", trajectory_id, answer="matig")
    await w.do(RequestHeraudit, "2019-06-03", trajectory_id)
    await run_audit(w, trajectory_id, "2019-07-02", scores(("6",), KIB2018, n6=G))
    await w.do(DecideCertification, "2019-07-10", trajectory_id)


async def withdrawn(
    w: World, trajectory_id: str = "kib-1052", number: str = "1052", organisation: str = "GIGANT"
) -> None:
    """Geen deelname before the audit."""
    await opened_2019(w, trajectory_id, number, organisation, association="Cultuurconnectie")
    await w.do(WithdrawParticipation, "2018-12-01", trajectory_id, reason="geen deelname aan KiB")
