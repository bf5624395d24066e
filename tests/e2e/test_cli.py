"""The `cbct` CLI as people use it: Dutch answers, exit codes 0 / 1 / 2, nothing written on bad input."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

OPEN = [
    "trajectory",
    "open",
    "t-cli",
    "--organisation",
    "Bibliotheek Hengelo",
    "--certificate-number",
    "1002",
    "--association",
    "VOB",
    "--framework-version",
    "kib-ii-2023",
    "--previous-certificate-expiry",
    "2028-12-31",
    "--contact-email",
    "an@bibliotheekhengelo.example",
]


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "CBCT_DATABASE_URL": database_url,
        "CBCT_OUTBOX_DIR": str(tmp_path / "outbox"),
        "CBCT_DATA_DIR": str(tmp_path / "data"),  # the embedded Temporal server keeps its file here
        "CBCT_LOG_LEVEL": "error",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


async def cbct(*args: str) -> tuple[int, str]:
    """Run `cbct` as its own process, as a person at a terminal would; stdout and stderr together."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "interfaces.cli.app",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_a_trajectory_opened_from_the_cli_shows_up_with_its_deadlines_and_timeline(
    cli_env: dict[str, str],
) -> None:
    """open → exit 0 and 'Geaccepteerd'; show lists the announcement deadline and the opening."""
    code, out = await cbct(*OPEN)
    assert code == 0 and "Geaccepteerd" in out
    code, out = await cbct("trajectory", "show", "t-cli")
    assert code == 0 and "Bibliotheek Hengelo" in out and "aankondiging" in out and "Traject geopend" in out


async def test_missing_field_is_a_usage_error_naming_the_field_and_writes_nothing(cli_env: dict[str, str]) -> None:
    """A command without --organisation exits 2, names the field, and leaves no trajectory behind."""
    code, out = await cbct(*[a for a in OPEN if a not in ("--organisation", "Bibliotheek Hengelo")])
    assert code == 2 and "organisation" in out
    code, out = await cbct("trajectory", "list", "--format", "json")
    assert code == 0 and "t-cli" not in out


async def test_a_refused_command_exits_1_with_the_rule_in_dutch(cli_env: dict[str, str]) -> None:
    """Opening the same trajectory twice: the second is refused with the rule and a Dutch reason."""
    assert (await cbct(*OPEN))[0] == 0
    code, out = await cbct(*OPEN)
    assert code == 1 and "Geweigerd" in out and "[state" in out


async def test_the_same_command_id_twice_is_answered_once(cli_env: dict[str, str]) -> None:
    """--command-id makes a retry safe: the second call reports the earlier answer, nothing new is written."""
    assert (await cbct(*OPEN, "--command-id", "open-1"))[0] == 0
    code, out = await cbct(*OPEN, "--command-id", "open-1")
    assert code == 0 and "eerder al verwerkt" in out
    code, out = await cbct("trajectory", "show", "t-cli", "--format", "json")
    assert out.count('"event_type": "TrajectoryOpened"') == 1


async def test_register_csv_is_for_dutch_excel(cli_env: dict[str, str]) -> None:
    """The register as CSV: a BOM, semicolons, Dutch headings."""
    code, out = await cbct("register", "--format", "csv")
    assert code == 0 and out.startswith("\ufeffcertificaatnummer;organisatie;vereniging;resultaat")
