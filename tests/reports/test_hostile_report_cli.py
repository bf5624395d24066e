"""Issue 18, case 5: `cbct report period -o /dev/full` as its own process against Postgres."""

from __future__ import annotations

import pytest

from tests.e2e.test_cli import cbct, cli_env  # noqa: F401  (the fixture)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_full_disk_is_named_not_taken_for_the_database(cli_env: dict[str, str]) -> None:  # noqa: F811
    for fmt in ("csv", "pdf"):
        code, out = await cbct("report", "period", "--format", fmt, "--output", "/dev/full")
        lines = [line for line in out.splitlines() if line.strip()]
        assert code == 1 and lines == ["/dev/full: kan niet schrijven — de schijf is vol"], out
