"""Issue 18, case 5: `cbct scenario run` on hostile files, and what a killed run leaves behind.

Every hostile file ends, within seconds and under a 1 GB address-space limit, in one Dutch line on
stderr naming the file, the step or field, and the rule; exit 2; nothing started or written (no data
directory, no scratch database, no outbox). On main these took 2.8 GB (aliases), 2 GB in 3 s
(`/dev/zero`), hung (a FIFO), ran for 25 minutes (100,000 steps), said *Interne fout* (deep nesting),
printed a Java NullPointerException (the year 9999), or were accepted (the year 1).

A run killed with SIGKILL left its `cbct_scratch_*` database and its outbox behind for ever; now the
next run drops them, and leaves alone what a live run still claims.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import resource
import signal
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from application.scenarios.file import MAX_FILE_BYTES, MAX_STEPS
from infrastructure.database import with_database
from infrastructure.scratch import SCRATCH_PREFIX
from interfaces.cli.scenario import OUTBOX_PREFIX

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
ADDRESS_SPACE = 1024**3
"""The CLI process may map 1 GB: a bomb that got through would end in a MemoryError, not in our line."""
QUICK = 30.0
"""Seconds a refusal may take on a loaded two-core machine (it takes about one)."""

OPEN = """  - at: 2025-11-03 10:00
    command: OpenTrajectory
    organisation: Bibliotheek Kort
    certificate_number: "9100"
    association: VOB
    framework_version: kib-ii-2023
    previous_certificate_expiry: 2026-06-30
"""
SURVEY = """  - at: 2025-11-04 10:00
    command: RecordSurveyAnswer
    answer: tevreden
"""
SHORT = f"""name: Kort
trajectory: oefen-opruimen
until: 2025-11-05
steps:
{OPEN}"""


def billion_laughs() -> str:
    """Nine levels of nine aliases inside a step: 9^10 values once expanded, in under a kilobyte."""
    lines = ["steps:", OPEN.rstrip("\n"), '    l0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"    l{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def write(text: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return make


def fifo(tmp: Path) -> Path:
    path = tmp / "scenario.yaml"
    os.mkfifo(path)  # nobody ever writes: reading it would wait for ever
    return path


def over_the_limit(tmp: Path) -> Path:
    path = tmp / "scenario.yaml"
    with path.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    return path


def dev_zero(tmp: Path) -> Path:
    return Path("/dev/zero")


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "billion-laughs": (write(billion_laughs()), "te veel waarden na het uitvouwen van aliassen (meer dan 200000)"),
    "self-alias": (write(f"steps:\n{OPEN}    contacts: &c [*c]\n"), "een alias verwijst naar zichzelf"),
    "dev-zero": (dev_zero, "is geen gewoon bestand"),
    "fifo": (fifo, "is geen gewoon bestand"),
    "too-big": (over_the_limit, f"te groot ({MAX_FILE_BYTES + 1} bytes; ten hoogste {MAX_FILE_BYTES})"),
    "too-many-steps": (
        write(f"steps:\n{OPEN}{SURVEY * MAX_STEPS}"),
        f"veld 'steps': te veel stappen ({MAX_STEPS + 1}; ten hoogste {MAX_STEPS})",
    ),
    "deep-flow": (write("steps: " + "[" * 100_000 + "]" * 100_000 + "\n"), "te diep genest (meer dan 20 niveaus)"),
    "deep-block": (
        write("steps:\n" + "".join("  " * i + "- \n" for i in range(1, 40)) + "  " * 40 + "- x\n"),
        "te diep genest (meer dan 20 niveaus)",
    ),
    "year-9999": (
        write(f"steps:\n{OPEN}  - at: 9999-12-31\n    command: SendAnnouncement\n"),
        "stap 2, veld 'at': 9999-12-31 ligt niet tussen 2000-01-01 en 2100-12-31",
    ),
    "year-1": (
        write(f"steps:\n{OPEN.replace('2025-11-03 10:00', '0001-01-01')}"),
        "stap 1, veld 'at': 0001-01-01 ligt niet tussen 2000-01-01 en 2100-12-31",
    ),
    "moment-with-offset-in-year-9999": (
        write(f"steps:\n{OPEN}  - at: 9999-12-31T23:00:00-05:00\n    command: SendAnnouncement\n"),
        "stap 2, veld 'at': 9999-12-31 ligt niet tussen 2000-01-01 en 2100-12-31",
    ),
    "until-9999": (
        write(f"until: 9999-12-31\nsteps:\n{OPEN}"),
        "veld 'until': 9999-12-31 ligt niet tussen 2000-01-01 en 2100-12-31",
    ),
    "a-century-of-skipped-time": (
        write(f"until: 2100-12-31\nsteps:\n{OPEN}"),
        "veld 'until': 2100-12-31 09:00 ligt meer dan 10 jaar na de eerste stap (2025-11-03 10:00)",
    ),
    "expected-due-date-in-year-1": (
        write(f"steps:\n{OPEN}    expect:\n      deadlines: [{{kind: intake, due: 0001-01-01}}]\n"),
        "stap 1, veld 'expect.deadlines[0].due': 0001-01-01 ligt niet tussen 2000-01-01 en 2100-12-31",
    ),
    "month-13": (write(f"steps:\n{OPEN.replace('2026-06-30', '2026-13-30')}"), "waarde niet te lezen"),
    "a-50-mb-value-in-1-mb": (
        write(f"steps:\n{OPEN.replace('Bibliotheek Kort', 'x' * (MAX_FILE_BYTES - 1000))}"),
        "stap 1, veld 'organisation': mag hoogstens 200 tekens hebben",
    ),
}


def limited() -> None:
    """In the child, before exec: its address space is bounded."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


async def cbct(
    env: dict[str, str], *args: str, limit_memory: bool = False, within: float = 300
) -> tuple[int, str, str]:
    """`cbct` as its own process; its exit code, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "interfaces.cli.app",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env, "COLUMNS": "100000"},
        preexec_fn=limited if limit_memory else None,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), within)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)  # the group of the process this test started
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=str)
async def test_a_hostile_file_is_one_dutch_line_and_nothing_runs(case: str, tmp_path: Path) -> None:
    make, rule = HOSTILE[case]
    path = make(tmp_path)
    data_dir, temp = tmp_path / "data", tmp_path / "tmp"
    temp.mkdir()
    env = {"CBCT_DATA_DIR": str(data_dir), "CBCT_LOG_LEVEL": "error", "TMPDIR": str(temp), "XDG_CACHE_HOME": str(temp)}

    started = time.monotonic()
    code, out, err = await cbct(env, "scenario", "run", str(path), limit_memory=True, within=120)
    took = time.monotonic() - started

    lines = err.strip("\n").split("\n")
    assert (code, out, len(lines)) == (2, "", 1), err
    assert lines[0].startswith(f"{path}: ") and rule in lines[0], lines[0]
    assert "Traceback" not in err and "Interne fout" not in err and "Exception" not in err
    assert took < QUICK, f"{case} took {took:.1f} s"
    assert not data_dir.exists() and not any(temp.iterdir())  # no server started, no outbox made


async def test_500_steps_is_the_limit_not_501(tmp_path: Path) -> None:
    """The limit refuses the 501st step, not fewer (parsing only: no run)."""
    from application.scenarios.file import parse_scenario

    scenario = parse_scenario(f"steps:\n{OPEN}{SURVEY * (MAX_STEPS - 1)}")
    assert len(scenario.steps) == MAX_STEPS


# --- what a killed run leaves behind ---------------------------------------------------------------------

LOCK_SEED = 0x43424353


async def scratch_databases(admin: asyncpg.Connection) -> set[str]:
    rows = await admin.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", SCRATCH_PREFIX)
    return {row["datname"] for row in rows}


async def until(condition: Callable[[], object], *, within: float, what: str) -> None:
    """Wait for a condition (sync or async), polling, at most `within` seconds."""
    give_up = time.monotonic() + within
    pause = 0.05
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > give_up:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


async def test_the_next_run_removes_what_a_killed_run_left_and_keeps_a_live_runs(
    server_url: str, tmp_path: Path
) -> None:
    """A run SIGKILLed in the middle leaves its scratch database and outbox; the next run drops both.
    A scratch database and an outbox still claimed (a live run) are kept, as is a folder without a
    claim marker (made by an older version, or being made)."""
    temp = tmp_path / "cache" / "cbct" / "scratch"  # the scratch root (infrastructure/scratch.py)
    temp.mkdir(parents=True, mode=0o700)
    env = {
        "CBCT_DATABASE_URL": server_url,
        "CBCT_DATA_DIR": str(tmp_path / "data"),
        "CBCT_LOG_LEVEL": "error",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    live_db = f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:12]}"
    live_dir = temp / f"{OUTBOX_PREFIX}live"
    unmarked_dir = temp / f"{OUTBOX_PREFIX}older"
    try:
        before = await scratch_databases(admin)

        # A live run elsewhere: its database claimed by this connection, its outbox by this process.
        await admin.execute(f'CREATE DATABASE "{live_db}"')
        assert await admin.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, $2))", live_db, LOCK_SEED)
        live_dir.mkdir(mode=0o700)
        marker = os.open(live_dir / ".owner", os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(marker, fcntl.LOCK_EX)
        unmarked_dir.mkdir(mode=0o700)

        # A run killed in the middle (the whole process group: the CLI and its test server).
        path = tmp_path / "regulier.yaml"
        path.write_text((SCENARIOS / "regular-recertification.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "interfaces.cli.app",
            "scenario",
            "run",
            str(path),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, **env},
            start_new_session=True,
        )
        try:

            async def killed_runs_resources_exist() -> bool:
                mine = await scratch_databases(admin) - before - {live_db}
                outboxes = [p for p in temp.glob(f"{OUTBOX_PREFIX}*") if p not in (live_dir, unmarked_dir)]
                return bool(mine) and any((p / ".owner").exists() for p in outboxes)

            await until(killed_runs_resources_exist, within=120, what="the run's scratch database and outbox")
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        [stale_db] = await scratch_databases(admin) - before - {live_db}
        [stale_dir] = [p for p in temp.glob(f"{OUTBOX_PREFIX}*") if p not in (live_dir, unmarked_dir)]

        async def nobody_connected() -> bool:
            n = await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", stale_db)
            return bool(n == 0)

        await until(nobody_connected, within=30, what="the killed run's connections to close")

        # The next run.
        short = tmp_path / "kort.yaml"
        short.write_text(SHORT, encoding="utf-8")
        code, _, err = await cbct(env, "scenario", "run", str(short))
        assert code == 0, err

        left = await scratch_databases(admin) - before
        assert stale_db not in left and live_db in left
        assert not stale_dir.exists()
        assert live_dir.is_dir() and unmarked_dir.is_dir()
        # the confined test server's launcher folder of the killed run is another matter (see the closing note)
        left_dirs = [p.name for p in temp.iterdir() if not p.name.startswith("cbct-test-server-")]
        assert sorted(left_dirs) == sorted([live_dir.name, unmarked_dir.name])
        os.close(marker)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{live_db}" WITH (FORCE)')
        await admin.close()
