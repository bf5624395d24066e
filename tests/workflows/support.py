"""Helpers for the reliability tests: real processes, pause markers, barriers, and what to read back.

Every wait is a condition polled with a timeout (never a bare sleep).
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from application.command_signature import CommandSigner
from infrastructure.keyring import KEY_BYTES, KeySet

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AFTER_ANNOUNCEMENT = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)  # the announcement and a reminder are due
WAIT = 60.0

TEST_KEYS = KeySet(current="test", keys={"test": secrets.token_bytes(KEY_BYTES)})
"""The signing keys of the tests' workers and clients (the worker processes get them as a setting)."""
SIGNER = CommandSigner(TEST_KEYS)


def signing_setting(keys: KeySet = TEST_KEYS) -> str:
    """`keys` as the value of `CBCT_SIGNING_KEYS` (current first)."""
    ordered = [keys.current, *(k for k in keys.keys if k != keys.current)]
    return ",".join(f"{k}:{base64.b64encode(keys.keys[k]).decode()}" for k in ordered)


def open_payload(command_id: str, trajectory_id: str = "t1") -> dict[str, Any]:
    """An OpenTrajectory whose certificate expires at the end of 2026: announcement due 2026-06-30."""
    return {
        "command_id": command_id,
        "trajectory_id": trajectory_id,
        "actor": "planner:anna",
        "organisation": f"Bibliotheek {trajectory_id}",
        "certificate_number": f"10{trajectory_id}",
        "association": "VOB",
        "framework_version": "kib-ii-2023",
        "previous_certificate_expiry": date(2026, 12, 31).isoformat(),
        "contact_email": "anna@bibliotheek.example",
    }


async def wait_until(check: Callable[[], Any], what: str, within: float = WAIT) -> Any:
    """Poll `check` (sync or async) until it returns something truthy, and return that; fail naming `what`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Proc:
    """One child process; stdout and stderr go to files next to the test's other artefacts."""

    name: str
    process: asyncio.subprocess.Process
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace") if self.err.exists() else ""

    def log_events(self) -> list[dict[str, Any]]:
        events = []
        for line in self.stderr().splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    async def exit_code(self, within: float = WAIT) -> int:
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"{self.name} did not exit within {within:.0f}s:\n{self.stderr()[-3000:]}") from None

    async def result(self, within: float = WAIT) -> Any:
        """Wait for a clean exit and return the JSON it printed last."""
        code = await self.exit_code(within)
        assert code == 0, f"{self.name} exited {code}:\n{self.stderr()[-3000:]}"
        return json.loads(self.out.read_text(encoding="utf-8").strip().splitlines()[-1])

    async def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)


@dataclass
class Env:
    """What the processes of one test share: the database, the outbox, markers, and their environment."""

    database_url: str
    root: Path
    base: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def markers(self) -> Path:
        return self.root / "markers"

    async def start(self, name: str, *argv: str, **env: str) -> Proc:
        out, err = self.root / f"{name}.out", self.root / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable, *argv, cwd=REPO, env={**self.base, **env}, stdout=stdout, stderr=stderr
            )
        proc = Proc(name, process, out, err)
        self.procs.append(proc)
        return proc

    async def worker(self, name: str = "worker", **env: str) -> Proc:
        return await self.start(name, "-m", "worker", **env)

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.process.returncode is None:
                proc.process.send_signal(signal.SIGKILL)


# --- reading what happened -----------------------------------------------------------------------------


async def events_of(pool: asyncpg.Pool, stream_id: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            "SELECT stream_version, event_type, command_id FROM events WHERE stream_id = $1 ORDER BY stream_version",
            stream_id,
        )
    )


async def deliveries(pool: asyncpg.Pool) -> dict[str, int]:
    """MessageDelivered events per message stream."""
    rows = await pool.fetch(
        "SELECT stream_id, count(*) AS n FROM events WHERE event_type = 'MessageDelivered' GROUP BY stream_id"
    )
    return {r["stream_id"].removeprefix("message-"): r["n"] for r in rows}


def eml_files(outbox: Path) -> list[Path]:
    """The e-mails written, and nothing else: a stray temporary file would show up here too."""
    return sorted(p for p in outbox.iterdir()) if outbox.exists() else []
