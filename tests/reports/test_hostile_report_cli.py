"""Issue 18, case 5: `cbct report period -o /dev/full` as its own process against Postgres."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.e2e.test_cli import cbct, cli_env  # noqa: F401  (the fixture)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_full_disk_is_named_not_taken_for_the_database(cli_env: dict[str, str]) -> None:  # noqa: F811
    for fmt in ("csv", "pdf"):
        code, out = await cbct("report", "period", "--format", fmt, "--output", "/dev/full")
        lines = [line for line in out.splitlines() if line.strip()]
        assert code == 1 and lines == ["/dev/full: kan niet schrijven — de schijf is vol"], out


async def test_a_full_standard_output_is_named_too(cli_env: dict[str, str]) -> None:  # noqa: F811
    """`cbct report period --format json > /dev/full`: one line about standard output, no traceback at exit."""
    with open("/dev/full", "wb") as full:  # noqa: ASYNC230  (a device: opening it does not block)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "interfaces.cli.app",
            "report",
            "period",
            "--format",
            "json",
            stdout=full,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "COLUMNS": "200"},
        )
        _, err = await asyncio.wait_for(proc.communicate(), 120)
    lines = [line for line in err.decode().splitlines() if line.strip()]
    assert proc.returncode == 1 and lines == ["standaarduitvoer: kan niet schrijven — de schijf is vol"], lines
