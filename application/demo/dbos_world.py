"""The replay's world on the DBOS engine: commands and deadlines as once-only DBOS workflows, the
controlled clock moved by the dispatcher. The only demo module that knows the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from application.demo.world import Answer
from domain import Command

if TYPE_CHECKING:
    from bootstrap import App


def _answer(outcome: dict[str, Any]) -> Answer:
    return Answer(bool(outcome.get("accepted")), outcome.get("rule"), outcome.get("message"))


class DbosWorld:
    """`ReplayWorld` for an app with the controlled clock and launched workflows."""

    def __init__(self, app: App) -> None:
        if app.settings.clock != "controlled":
            raise ValueError("clock: de demo verzet de gecontroleerde klok; start met clock='controlled'")
        self.app = app

    async def clock(self) -> datetime | None:
        return await self.app.controlled_clock.peek()

    async def start_clock(self, at: datetime) -> None:
        await self.app.controlled_clock.move_to(at)

    async def recorded_answers(self, command_ids: Sequence[str]) -> dict[str, Answer]:
        from dbos import DBOS

        done: dict[str, Answer] = {}
        for start in range(0, len(command_ids), 500):
            statuses = await DBOS.list_workflows_async(
                workflow_ids=list(command_ids[start : start + 500]),
                status="SUCCESS",
                load_input=False,
                load_output=True,
            )
            for status in statuses:
                if isinstance(status.output, dict):
                    done[status.workflow_id] = _answer(status.output)
        return done

    async def trajectories_due(self, until: datetime) -> list[str]:
        from projections.deadlines import trajectories_due

        return await trajectories_due(self.app.pool, until)

    async def fire_due(self, trajectory_id: str, until: datetime) -> list[str]:
        from workflows.dispatcher import fire_due_of

        return [fired.deadline_id for fired in await fire_due_of(self.app, trajectory_id, until) if fired.fired]

    async def submit(self, command: Command, at: datetime) -> Answer:
        from workflows.commands import submit

        return _answer(await submit(self.app, command, at=at))

    async def advance(self, until: datetime) -> list[str]:
        from workflows.dispatcher import tick

        return list((await tick(self.app, until)).fired)

    async def settle(self) -> None:
        await self.app.projections.catch_up()

    async def event_count(self) -> int:
        return int(await self.app.pool.fetchval("SELECT count(*) FROM events"))
