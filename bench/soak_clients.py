"""The soak test's clients: operators sending real `cbct` commands, each as its own process.

Each client works on a few trajectories at once, advancing a random one (seeded) by its next step, so
commands of many trajectories interleave. Every command gets its `--command-id` before the first
attempt; a failed attempt (no verdict: an error line, a crash, a hang cut off after `attempt_timeout`)
is sent again with the same id after a pause, as an operator would, until it is answered or the
client gives up on it (`max_attempts`, or the run's end). A refused command is an answer too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.soak_checks import Attempt, CommandLog

CONTACT = '{"name": "An de Vries", "email": "an@bieb.example", "role": "directeur"}'
EXPIRIES = (date(2026, 12, 31), date(2027, 3, 31), date(2027, 6, 30), date(2027, 9, 30))
"""Certificates ending within a year: the audit quarter follows, and some deadlines are due at once."""
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _quarter(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _next_quarter(year: int, q: int) -> tuple[int, int]:
    return (year + 1, 1) if q == 4 else (year, q + 1)


def _a_tuesday_in(year: int, q: int, today: date) -> date:
    """A Tuesday in the quarter, from its middle month's second week on, and at least a week after
    `today` when the quarter has begun (an audit is never planned in the past)."""
    earliest = max(date(year, 3 * q - 1, 8), today + timedelta(days=7))
    return earliest + timedelta(days=(1 - earliest.weekday()) % 7)


def script(trajectory_id: str, expiry: date, withdraw: bool, today: date) -> list[tuple[str, list[str]]]:
    """A trajectory's commands in order, as `(kind, cbct arguments)`: open, announce, intake, a conflict of
    interest, schedule, a postponement requested and granted, schedule again, the self-evaluation; or,
    for `withdraw`, the organisation withdraws after its intake (the workflow then ends). `today`: the
    day the commands are sent (audit dates lie after it)."""
    year, q = _quarter(expiry)
    later = _next_quarter(year, q)
    audit = ["--expert-auditor", "Piet Bakker", "--peer-auditor", "Karin Smit"]
    steps: list[tuple[str, list[str]]] = [
        (
            "trajectory open",
            [
                "--organisation",
                f"Bibliotheek {trajectory_id}",
                "--certificate-number",
                trajectory_id,
                "--association",
                "VOB",
                "--framework-version",
                "kib-ii-2023",
                "--previous-certificate-expiry",
                expiry.isoformat(),
                "--contact-email",
                "info@bieb.example",
            ],
        ),
        ("trajectory announce", []),
        ("intake send", []),
        ("intake record", ["--contacts", CONTACT, "--locations", "Centrale", "--employees", "12"]),
    ]
    if withdraw:
        return [*steps, ("trajectory withdraw", ["--reason", "fusie met buurgemeente"])]
    return [
        *steps,
        ("auditor declare-relation", ["--auditor", "Els Jansen", "--relation", "oud-collega"]),
        ("audit schedule", ["--audit-dates", _a_tuesday_in(year, q, today).isoformat(), *audit]),
        ("postponement request", ["--ground", "calamiteit", "--reason", "brand in de centrale"]),
        ("postponement decide", ["--grant", "--reason", "toegekend", "--new-quarter", f"{later[0]}-K{later[1]}"]),
        ("audit schedule", ["--audit-dates", _a_tuesday_in(*later, today).isoformat(), *audit]),
        ("selfevaluation submit", ["--documents", "zelfevaluatie.pdf"]),
    ]


def parse_verdict(stdout: str) -> dict[str, Any] | None:
    """The verdict `cbct … --format json` printed (an object with `accepted`), or None when it printed none."""
    start = stdout.find("{")
    while start != -1:
        with contextlib.suppress(ValueError):
            value, _ = json.JSONDecoder().raw_decode(stdout[start:])
            if isinstance(value, dict) and "accepted" in value:
                return value
        start = stdout.find("{", start + 1)
    return None


async def run_cli(args: list[str], env: Mapping[str, str], cwd: Path, limit: float) -> tuple[Attempt, Any]:
    """One `cbct` process, cut off (SIGTERM, then kill -9) after `limit` seconds."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "interfaces.cli.app",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,  # a kill -9 of the group takes the CLI's own helpers with it
    )
    timed_out = False
    try:
        out, err = await asyncio.wait_for(process.communicate(), limit)
    except (TimeoutError, asyncio.CancelledError) as stop:
        timed_out = True
        await _end(process)
        out, err = b"", b""
        if isinstance(stop, asyncio.CancelledError):
            raise
    seconds = time.monotonic() - started
    text, errors = out.decode(errors="replace"), err.decode(errors="replace")
    verdict = None if timed_out else parse_verdict(text)
    lines = [line for line in (text + "\n" + errors).splitlines() if line.strip()]
    if timed_out:
        kind = "timeout"
    elif verdict is None and process.returncode in (-signal.SIGINT, 130):
        kind = "interrupted"
    elif verdict is None:
        kind = "failed"
    else:
        kind = "accepted" if verdict.get("accepted") else "refused"
    if timed_out:
        first = f"timeout after {limit:.0f} s"
    elif kind == "interrupted":
        first = "interrupted (Ctrl-C) " + _first_error(errors or text)
    else:
        first = _first_error(errors or text)
    attempt = Attempt(
        verdict=kind,  # type: ignore[arg-type]
        seconds=seconds,
        exit_code=process.returncode,
        lines=len(lines) if verdict is None else 0,
        traceback="Traceback (most recent call last)" in errors + text,
        first_line="" if verdict is not None else first,
        started=started,
    )
    return attempt, verdict


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:120]
    return "(no output)"


async def _end(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


@dataclass
class SoakClient:
    """One operator: `parallel` trajectories of its own at a time, a new one when a script is done."""

    name: str
    rng: random.Random
    env: Mapping[str, str]
    cwd: Path
    logs: list[CommandLog]
    say: Callable[[str], None]
    gate: asyncio.Event | None = None
    """Cleared while operators hold back (after a server's kill); a new attempt waits for it."""
    under_way: dict[str, int] | None = None
    """Command id → attempt number of each `cbct` process running now (the fault injector watches it)."""
    parallel: int = 3
    attempt_timeout: float = 120.0
    max_attempts: int = 6
    opened: int = 0
    _scripts: list[tuple[str, list[tuple[str, list[str]]]]] = field(default_factory=list)

    def _new_trajectory(self) -> tuple[str, list[tuple[str, list[str]]]]:
        self.opened += 1
        trajectory_id = f"{self.name}-t{self.opened}"
        expiry, withdraw = self.rng.choice(EXPIRIES), self.rng.random() < 0.2
        return trajectory_id, script(trajectory_id, expiry, withdraw, today=datetime.now(AMSTERDAM).date())

    async def run(self, until: Callable[[], bool]) -> None:
        """Send commands until `until()` says stop; a command under way is retried to its answer or its
        attempts' limit."""
        while not until():
            while len(self._scripts) < self.parallel:
                self._scripts.append(self._new_trajectory())
            index = self.rng.randrange(len(self._scripts))
            trajectory_id, steps = self._scripts[index]
            step = len(self._step_logs(trajectory_id))
            kind, args = steps[step]
            await self.send(trajectory_id, step, kind, args)
            if step + 1 == len(steps):
                self._scripts.pop(index)

    def _step_logs(self, trajectory_id: str) -> list[CommandLog]:
        return [log for log in self.logs if log.trajectory_id == trajectory_id]

    async def send(self, trajectory_id: str, step: int, kind: str, args: list[str]) -> CommandLog:
        log = CommandLog(command_id=f"{trajectory_id}-s{step}", trajectory_id=trajectory_id, kind=kind)
        log.started = time.monotonic()
        self.logs.append(log)
        argv = [*kind.split(), trajectory_id, *args, "--command-id", log.command_id, "--format", "json"]
        pause = 2.0
        while True:
            if self.gate is not None:
                await self.gate.wait()
            if self.under_way is not None:
                self.under_way[log.command_id] = len(log.attempts) + 1
            try:
                attempt, verdict = await run_cli(argv, self.env, self.cwd, self.attempt_timeout)
            finally:
                if self.under_way is not None:
                    self.under_way.pop(log.command_id, None)
            log.attempts.append(attempt)
            if verdict is not None:
                log.outcome = "accepted" if verdict.get("accepted") else "refused"
                log.events = len(verdict.get("events") or [])
                log.duplicate = bool(verdict.get("duplicate"))
                log.finished = time.monotonic()
                if log.outcome == "refused":
                    self.say(f"{self.name}: {log.command_id} ({kind}) refused [{verdict.get('rule')}]")
                return log
            self.say(
                f"{self.name}: {log.command_id} ({kind}) attempt {len(log.attempts)} {attempt.verdict} after "
                f"{attempt.seconds:.1f} s, {attempt.lines} lines: {attempt.first_line}"
            )
            if len(log.attempts) >= self.max_attempts:  # the operator gives up; the command stays unresolved
                log.finished = time.monotonic()
                return log
            await asyncio.sleep(pause)
            pause = min(pause * 2, 15.0)
