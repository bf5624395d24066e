"""`cbct report period` and `cbct register` with a peildatum, as their own processes against Postgres."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_cli import OPEN, cbct, cli_env  # noqa: F401  (the fixture)

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_report_and_register_at_a_peildatum(cli_env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """A trajectory opened today is not there at yesterday's peildatum and is there at tomorrow's.

    Commands run on the workflows' clock, which is the real one outside a simulated world."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    before, after = str(today - timedelta(days=1)), str(today + timedelta(days=1))
    assert (await cbct(*OPEN))[0] == 0
    span = ("--from", str(today - timedelta(days=2)), "--to", after)
    code, out = await cbct("report", "period", *span, "--peildatum", before, "--format", "json")
    assert code == 0 and json.loads(out)["groups"]["alle"]["outcomes"]["register_rows"] == 0
    code, out = await cbct("report", "period", *span, "--peildatum", after, "--format", "json", "--leden", "VOB=138")
    data = json.loads(out)
    assert code == 0 and data["peildatum"] == after
    assert data["groups"]["vob"]["outcomes"]["register_rows"] == 1 and data["groups"]["vob"]["members"] == 138
    code, out = await cbct("register", "--peildatum", before, "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out = await cbct("register", "--peildatum", after, "--format", "json")
    assert code == 0 and [r["certificate_number"] for r in json.loads(out)] == ["1002"]
    target = tmp_path / "rapport.docx"
    code, out = await cbct("report", "period", *span, "--peildatum", after, "--format", "docx", "-o", str(target))
    assert code == 0 and "DOCX geschreven" in out and target.stat().st_size > 10_000
