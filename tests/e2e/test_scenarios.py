"""`cbct scenario run`: the shipped rehearsals through the real workflows in skipped time, and the CLI's
answers and exit codes (0 as expected, 1 an expectation not met, 2 a malformed file)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.scenarios.file import load_scenario, parse_scenario
from application.scenarios.run import run_scenario
from infrastructure.settings import Settings
from interfaces.skipped_time import open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))

SHORT = """
name: Te vroeg besloten
trajectory: oefen-kort
until: 2026-01-10
steps:
  - at: 2025-11-03 10:00
    command: OpenTrajectory
    organisation: Bibliotheek Kort
    certificate_number: "9100"
    association: VOB
    framework_version: kib-ii-2023
    previous_certificate_expiry: 2026-06-30
    contact_email: kwaliteit@kort.example
  - at: 2025-11-04 10:00
    command: DecideCertification
    expect: {accepted: true}
expect:
  register: {result: Gecertificeerd}
  deadlines: [intake]
"""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
async def test_every_shipped_scenario_runs_as_its_author_expects(path: Path, database_url: str, tmp_path: Path) -> None:
    """Regular recertification, voorwaardelijk → heraudit, a lapsed heraudit window, uitstel past the limit."""
    scenario = load_scenario(path)
    async with open_world(database_url, tmp_path / "outbox", settings=Settings(log_level="warning")) as world:
        outcome = await run_scenario(world, scenario)
    failures = [f"stap {s.step.number}: {f}" for s in outcome.steps for f in s.failures] + list(outcome.failures)
    assert outcome.passed, failures
    # A step is refused exactly where its author wrote so (accepted: false, or the refusing rule): no other limit.
    refused = [s.step.number for s in outcome.steps if not s.answer.accepted]
    assert refused == [step.number for step in scenario.steps if step.expect.accepted is False]
    assert outcome.final.register is not None and outcome.final.timeline


async def test_a_deadline_fires_by_itself_between_steps(database_url: str, tmp_path: Path) -> None:
    """Nothing sent the announcement: its deadline (30-12-2025, six months before the audit quarter)
    fired when the world's clock passed it, at its due moment."""
    scenario = parse_scenario(SHORT.replace("2025-11-04 10:00", "2026-01-05 10:00"))
    async with open_world(database_url, tmp_path / "outbox", settings=Settings(log_level="warning")) as world:
        outcome = await run_scenario(world, scenario)
    by_deadline = [e for e in outcome.final.timeline if e.by_deadline]
    assert [e.event_type for e in by_deadline][:1] == ["AnnouncementSent"]
    assert by_deadline[0].occurred_at == datetime(2025, 12, 30, 8, 0, tzinfo=UTC) < scenario.steps[1].at


async def cbct(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run `cbct` as its own process; its exit code, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "interfaces.cli.app",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env, "COLUMNS": "200"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_a_malformed_file_exits_2_naming_the_step_and_the_field(tmp_path: Path) -> None:
    """Exit 2, the step and the field on stderr; nothing is started."""
    path = tmp_path / "fout.yaml"
    path.write_text(SHORT.replace("association: VOB", "association: Bond"), encoding="utf-8")
    code, out, err = await cbct({"CBCT_LOG_LEVEL": "error"}, "scenario", "run", str(path))
    assert code == 2
    assert "stap 1, veld 'association'" in err and out == ""


async def test_an_unmet_expectation_exits_1_and_json_shows_everything(server_url: str, tmp_path: Path) -> None:
    """A decision without an audit is refused: the expectation 'accepted' fails (exit 1); the JSON holds
    the answers, the open deadlines, the register row and the timeline."""
    path = tmp_path / "kort.yaml"
    path.write_text(SHORT, encoding="utf-8")
    env = {"CBCT_DATABASE_URL": server_url, "CBCT_LOG_LEVEL": "error", "CBCT_DATA_DIR": str(tmp_path / "data")}

    code, out, _ = await cbct(env, "scenario", "run", str(path), "--format", "json")

    assert code == 1
    report = json.loads(out)
    decision = report["steps"][1]
    assert (decision["accepted"], decision["rule"]) == (False, "state.phase") and decision["failures"]
    assert report["passed"] is False and report["failures"]
    assert report["register"]["result"] is None
    assert "intake" in {d["kind"] for d in report["deadlines"]}
    assert [e["event_type"] for e in report["timeline"]][:2] == ["TrajectoryOpened", "AnnouncementSent"]

    code, text, _ = await cbct(env, "scenario", "run", str(path))
    assert code == 1
    assert "Verwachtingen niet uitgekomen" in text and "Tijdlijn" in text and "Register" in text
