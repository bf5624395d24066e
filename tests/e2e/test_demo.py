"""The demo replay: planned scenarios through the real commands, workflows and dispatcher.

The shared `app` fixture starts its clock in 2025, after the demo period; these tests use their own
app on a fresh database whose controlled clock is still unset, as the demo finds it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from application.demo import DEFAULT_SEED, REFERENCE_MOMENT, RegisterRow, load_register
from application.demo.replay import ReplayError, plan, replay
from bootstrap import App, bootstrap
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

    summary = await replay(demo_app, only=only, progress=lambda done, total: seen.append((done, total)))

    assert await register_of(demo_app) == expected(rows)
    assert summary.trajectories == len(rows)
    assert summary.refused_as_expected >= 1
    assert summary.accepted + summary.refused_as_expected == summary.steps
    assert summary.deadlines_fired > 0
    assert summary.events_in_store == await event_count(demo_app)
    assert seen[-1] == (summary.steps, summary.steps)
    assert await demo_app.controlled_clock.peek() == REFERENCE_MOMENT

    again = await replay(demo_app, only=only)

    assert again.events_in_store == summary.events_in_store
    assert (again.skipped, again.accepted, again.deadlines_fired) == (summary.steps, 0, 0)
    assert await register_of(demo_app) == expected(rows)

    # Other organisations' steps lie before the clock and never ran: the clock cannot go back to them.
    other = next(r.certificate_number for r in load_register() if r.certificate_number not in only)
    with pytest.raises(ReplayError, match="hervatten kan niet"):
        await replay(demo_app, only={other})
    assert await event_count(demo_app) == summary.events_in_store


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("CBCT_DEMO_FULL"),
    reason="the whole register takes ~2.5 min (2162 steps at ~15/s); set CBCT_DEMO_FULL=1 to run it",
)
async def test_the_whole_register_arises_from_the_process(demo_app: App) -> None:
    rows = load_register()

    summary = await replay(demo_app)

    assert summary.trajectories == len(rows) == 251
    assert await register_of(demo_app) == expected(rows)
