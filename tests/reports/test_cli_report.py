"""`cbct report period` and `cbct register` with a peildatum, as their own processes against Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import OPEN, cbct, cli_env  # noqa: F401  (the fixture)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_report_and_register_at_a_peildatum(cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """A trajectory opened on 05-01-2026 is not there on 04-01-2026 and is there on 06-01-2026."""
    assert (await cbct("clock", "tick", "--to", "2026-01-05T09:00"))[0] == 0
    assert (await cbct(*OPEN))[0] == 0
    span = ("--from", "2026-01-01", "--to", "2026-12-31")
    code, out = await cbct("report", "period", *span, "--peildatum", "2026-01-04", "--format", "json")
    assert code == 0 and json.loads(out)["groups"]["alle"]["outcomes"]["register_rows"] == 0
    code, out = await cbct(
        "report", "period", *span, "--peildatum", "2026-01-06", "--format", "json", "--leden", "VOB=138"
    )
    data = json.loads(out)
    assert code == 0 and data["peildatum"] == "2026-01-06"
    assert data["groups"]["vob"]["outcomes"]["register_rows"] == 1 and data["groups"]["vob"]["members"] == 138
    code, out = await cbct("register", "--peildatum", "2026-01-04", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out = await cbct("register", "--peildatum", "2026-01-06", "--format", "json")
    assert code == 0 and [r["certificate_number"] for r in json.loads(out)] == ["1002"]
    target = tmp_path / "rapport.docx"
    code, out = await cbct(
        "report", "period", *span, "--peildatum", "2026-01-06", "--format", "docx", "-o", str(target)
    )
    assert code == 0 and "DOCX geschreven" in out and target.stat().st_size > 10_000
