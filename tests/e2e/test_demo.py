"""The demo replay: planned scenarios through the real trajectory workflows on Temporal's time-skipping
test server, against a real store, the world's clock running from mid-2018 to 2023-02-21.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import psutil
import pytest
import pytest_asyncio

from application.demo import DEFAULT_SEED, REFERENCE_MOMENT, RegisterRow, load_register
from application.demo.replay import ReplayError, plan, replay
from application.demo.simulate import run_simulation
from domain import event_type
from infrastructure.settings import Settings
from interfaces.replay_processes import replay_in_processes
from interfaces.skipped_time import SkippedTimeWorld, open_world
from projections.register import list_register

pytestmark = pytest.mark.asyncio(loop_scope="session")

PER_OUTCOME = 2
REPO = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(loop_scope="session")
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[SkippedTimeWorld]:
    """A simulated world on a fresh database: no trajectory, no workflow, no clock yet."""
    async with open_world(database_url, tmp_path / "outbox", settings=Settings(log_level="warning")) as the_world:
        yield the_world


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


async def register_of(world: SkippedTimeWorld) -> dict[str, tuple[str, str, str | None, str | None]]:
    return {
        r.certificate_number: (r.organisation, r.association, r.result, r.remark)
        for r in await list_register(world.pool)
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


async def trajectory_events(world: SkippedTimeWorld) -> dict[str, list[tuple[str, datetime]]]:
    """Every trajectory's events in stream order: (type, occurred_at)."""
    rows = await world.pool.fetch(
        "SELECT stream_id, event_type, data->>'occurred_at' AS occurred_at FROM events "
        "WHERE stream_id LIKE 'trajectory-%' ORDER BY stream_id, stream_version"
    )
    found: dict[str, list[tuple[str, datetime]]] = {}
    for row in rows:
        moment = datetime.fromisoformat(row["occurred_at"])
        found.setdefault(row["stream_id"].removeprefix("trajectory-"), []).append((row["event_type"], moment))
    return found


def simulated_events(only: set[str] | None = None) -> dict[str, list[tuple[str, datetime]]]:
    scenarios = plan(seed=DEFAULT_SEED, only=only)
    simulation = run_simulation(scenarios, REFERENCE_MOMENT)
    return {tid: [(event_type(e), e.occurred_at) for e in events] for tid, events in simulation.events.items()}


async def test_a_slice_of_the_register_arises_from_the_process_and_a_rerun_changes_nothing(
    world: SkippedTimeWorld,
) -> None:
    """Every outcome of the register, through the real workflows: the register equals the CSV's rows, the
    deadlines fired by the workflows' own timers; a second run sends nothing and appends nothing."""
    rows = register_slice()
    only = {r.certificate_number for r in rows}
    seen: list[tuple[int, int]] = []

    summary = await replay(world, only=only, progress=lambda done, total: seen.append((done, total)))

    assert await register_of(world) == expected(rows)
    assert summary.trajectories == len(rows)
    assert summary.refused_as_expected >= 1
    assert summary.accepted + summary.refused_as_expected == summary.steps
    assert summary.deadlines_fired > 0
    assert summary.events_in_store == await world.event_count()
    assert seen[-1] == (len(rows), len(rows))

    again = await replay(world, only=only)

    assert again.events_in_store == summary.events_in_store
    assert (again.skipped, again.accepted, again.refused_as_expected, again.deadlines_fired) == (summary.steps, 0, 0, 0)
    assert await register_of(world) == expected(rows)


async def test_a_store_holding_another_history_is_refused(world: SkippedTimeWorld) -> None:
    """The replay compares the store with the plan first: another seed's plan is refused, nothing sent."""
    only = {load_register()[0].certificate_number}
    await replay(world, only=only)
    count = await world.event_count()

    with pytest.raises(ReplayError, match="andere geschiedenis"):
        await replay(world, only=only, seed=7)
    assert await world.event_count() == count


def start_replay(code: str, *args: str) -> subprocess.Popen[bytes]:
    """A replay in a process of its own, in a process group of its own (with its test servers)."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def until_mid_run(world: SkippedTimeWorld, child: subprocess.Popen[bytes]) -> None:
    """Wait (bounded) until some trajectories are under way: 40 events stored."""
    async with asyncio.timeout(120):
        while await world.event_count() < 40:
            assert child.poll() is None, "the replay ended before it could be killed"
            await asyncio.sleep(0.05)


async def test_a_run_killed_with_sigkill_resumes_where_it_stood(world: SkippedTimeWorld, database_url: str) -> None:
    """kill -9 mid-replay, then run again: the register equals the CSV and every trajectory's events
    equal the pure simulation, nothing lost and nothing twice."""
    rows = register_slice()[:8]
    only = sorted(r.certificate_number for r in rows)
    code = (
        "import asyncio, sys, tempfile; from pathlib import Path\n"
        "from application.demo.replay import replay\n"
        "from infrastructure.settings import Settings\n"
        "from interfaces.skipped_time import open_world\n"
        "async def main():\n"
        "    async with open_world(sys.argv[1], Path(tempfile.mkdtemp()), settings=Settings(log_level='error')) as w:\n"
        "        await replay(w, only=set(sys.argv[2].split(',')))\n"
        "asyncio.run(main())\n"
    )
    child = start_replay(code, database_url, ",".join(only))
    try:
        await until_mid_run(world, child)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # kill -9 of the replay and its test server
        child.wait()
    assert await world.event_count() < sum(len(v) for v in simulated_events(set(only)).values())

    summary = await replay(world, only=set(only))

    assert summary.skipped > 0
    assert await register_of(world) == expected(rows)
    assert await trajectory_events(world) == simulated_events(set(only))


async def test_a_demo_killed_with_sigkill_takes_its_share_processes_along_and_resumes(
    world: SkippedTimeWorld, database_url: str, tmp_path: Path
) -> None:
    """kill -9 of a demo replaying in two processes: both share processes die with it (no half of the
    demo goes on writing), and the next run resumes every share as the pure simulation says."""
    rows = register_slice()[:10]
    only = sorted(r.certificate_number for r in rows)
    code = (
        "import asyncio, sys; from pathlib import Path\n"
        "from infrastructure.settings import Settings\n"
        "from interfaces.replay_processes import replay_in_processes\n"
        "from interfaces.skipped_time import open_world\n"
        "async def main():\n"
        "    async with open_world(sys.argv[1], Path(sys.argv[3]), settings=Settings(log_level='error')) as w:\n"
        "        await replay_in_processes(w, sys.argv[1], Path(sys.argv[3]), processes=2,\n"
        "                                  only=set(sys.argv[2].split(',')), log_level='error')\n"
        "asyncio.run(main())\n"
    )
    parent = start_replay(code, database_url, ",".join(only), str(tmp_path / "killed-outbox"))
    try:
        await until_mid_run(world, parent)
        shares = [p for p in psutil.Process(parent.pid).children() if "interfaces.replay_processes" in p.cmdline()]
        assert len(shares) == 2
        os.kill(parent.pid, signal.SIGKILL)  # the demo alone: its share processes must follow by themselves
        parent.wait()
        _, alive = psutil.wait_procs(shares, timeout=30)
        assert alive == [], "a share process outlived the demo"
    finally:
        with contextlib.suppress(ProcessLookupError):  # confined test servers die with their relay: none may be left
            os.killpg(parent.pid, signal.SIGKILL)  # the orphaned test servers
    assert await world.event_count() < sum(len(v) for v in simulated_events(set(only)).values())

    summary = await replay_in_processes(world, database_url, tmp_path / "outbox", processes=2, only=set(only))

    assert summary.skipped > 0
    assert await register_of(world) == expected(rows)
    assert await trajectory_events(world) == simulated_events(set(only))


async def test_the_whole_register_arises_from_the_process_as_the_pure_simulation_says(
    world: SkippedTimeWorld, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """All 251 organisations side by side through the real workflows: the register equals the CSV, and
    every trajectory has exactly the events, in the order and at the moments, of the one-at-a-time
    pure simulation."""
    if request.node.callspec.params.get("server_url") != "embedded":
        pytest.skip("about the process, not the Postgres server: once is enough (the slices run on both)")
    rows = load_register()

    # Two processes, each with a world of its own (as `cbct demo` runs it on two cores).
    summary = await replay_in_processes(world, database_url, tmp_path / "outbox", processes=2)

    assert summary.trajectories == len(rows) == 251
    assert await register_of(world) == expected(rows)
    simulated = simulated_events()
    assert await trajectory_events(world) == simulated
    assert summary.deadlines_fired == run_simulation(plan(seed=DEFAULT_SEED), REFERENCE_MOMENT).deadlines_fired
