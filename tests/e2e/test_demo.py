"""The demo replay: planned scenarios through the real commands, workflows and dispatcher.

The shared `app` fixture starts its clock in 2025, after the demo period; these tests use their own
app on a fresh database whose controlled clock is still unset, as the demo finds it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from application.demo import DEFAULT_SEED, REFERENCE_MOMENT, RegisterRow, load_register
from application.demo.dbos_world import DbosWorld
from application.demo.replay import ReplayError, plan, replay
from application.demo.simulate import run_simulation
from bootstrap import App, bootstrap
from domain import event_type
from infrastructure.settings import Settings
from projections.register import list_register

pytestmark = pytest.mark.asyncio(loop_scope="session")

PER_OUTCOME = 2


@pytest_asyncio.fixture(loop_scope="session")
async def demo_app(database_url: str, tmp_path: Path) -> AsyncIterator[App]:
    """The whole application on a fresh database, DBOS launched, controlled clock not yet set."""
    settings = Settings(
        database_url=database_url, clock="controlled", outbox_dir=tmp_path / "outbox", log_level="warning"
    )
    async with bootstrap(settings, launch_workflows=True, url=database_url) as the_app:
        yield the_app


def register_slice() -> list[RegisterRow]:
    """A few organisations of every (result, remark) in the register, and one with a deliberate refusal."""
    rows = load_register()
    taken: dict[tuple[object, object], int] = {}
    chosen: list[RegisterRow] = []
    for row in rows:
        key = (row.result, row.remark)
        if taken.get(key, 0) < PER_OUTCOME:
            taken[key] = taken.get(key, 0) + 1
            chosen.append(row)
    refusing = next(s for s in plan(seed=DEFAULT_SEED) if any(step.expect_refusal for step in s.steps))
    if refusing.row not in chosen:
        chosen.append(refusing.row)
    return chosen


async def register_of(app: App) -> dict[str, tuple[str, str, str | None, str | None]]:
    return {
        r.certificate_number: (r.organisation, r.association, r.result, r.remark) for r in await list_register(app.pool)
    }


def expected(rows: list[RegisterRow]) -> dict[str, tuple[str, str, str | None, str | None]]:
    return {
        r.certificate_number: (
            r.organisation,
            r.association.value,
            r.result.value,
            r.remark.value if r.remark is not None else None,
        )
        for r in rows
    }


async def event_count(app: App) -> int:
    return int(await app.pool.fetchval("SELECT count(*) FROM events"))


async def test_a_slice_of_the_register_arises_from_the_process_and_a_rerun_changes_nothing(demo_app: App) -> None:
    rows = register_slice()
    only = {r.certificate_number for r in rows}
    seen: list[tuple[int, int]] = []

    summary = await replay(DbosWorld(demo_app), only=only, progress=lambda done, total: seen.append((done, total)))

    assert await register_of(demo_app) == expected(rows)
    assert summary.trajectories == len(rows)
    assert summary.refused_as_expected >= 1
    assert summary.accepted + summary.refused_as_expected == summary.steps
    assert summary.deadlines_fired > 0
    assert summary.events_in_store == await event_count(demo_app)
    assert seen[-1] == (summary.steps, summary.steps)
    assert await demo_app.controlled_clock.peek() == REFERENCE_MOMENT

    again = await replay(DbosWorld(demo_app), only=only)

    assert again.events_in_store == summary.events_in_store
    assert (again.skipped, again.accepted, again.deadlines_fired) == (summary.steps, 0, 0)
    assert await register_of(demo_app) == expected(rows)

    # Other organisations' steps lie before the clock and never ran: the clock cannot go back to them.
    other = next(r.certificate_number for r in load_register() if r.certificate_number not in only)
    with pytest.raises(ReplayError, match="hervatten kan niet"):
        await replay(DbosWorld(demo_app), only={other})
    assert await event_count(demo_app) == summary.events_in_store


async def test_the_whole_register_arises_from_the_process_as_the_pure_simulation_says(demo_app: App) -> None:
    """All 251 organisations side by side through the real workflows: the register equals the CSV, and
    every trajectory has exactly the events, in the order and at the moments, of the one-at-a-time
    pure simulation."""
    rows = load_register()

    summary = await replay(DbosWorld(demo_app))

    assert summary.trajectories == len(rows) == 251
    assert await register_of(demo_app) == expected(rows)
    simulated = run_simulation(plan(seed=DEFAULT_SEED), REFERENCE_MOMENT)
    assert summary.deadlines_fired == simulated.deadlines_fired
    assert await trajectory_events(demo_app) == {
        trajectory_id: [(event_type(e), e.occurred_at) for e in events]
        for trajectory_id, events in simulated.events.items()
    }


async def trajectory_events(app: App) -> dict[str, list[tuple[str, datetime]]]:
    """Every trajectory's events in stream order: (type, occurred_at)."""
    rows = await app.pool.fetch(
        "SELECT stream_id, event_type, data->>'occurred_at' AS occurred_at FROM events "
        "WHERE stream_id LIKE 'trajectory-%' ORDER BY stream_id, stream_version"
    )
    found: dict[str, list[tuple[str, datetime]]] = {}
    for row in rows:
        moment = datetime.fromisoformat(row["occurred_at"])
        found.setdefault(row["stream_id"].removeprefix("trajectory-"), []).append((row["event_type"], moment))
    return found
