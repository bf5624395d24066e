"""Issue 9: hostile but fair input over every CLI command family (hypothesis).

Huge and negative numbers, extreme dates, Rich markup, control and escape characters, formula
prefixes, long and unicode strings go into every command's fields. Whatever happens: the exit code is
0, 1 or 2 and never a traceback; after every accepted input every view and every export renders, and a
rebuild of the read models equals what following along gave.

The lifecycle commands are parsed by the same shared parsing the CLI uses (`parse_command` over the
command models) and applied through the trajectory service, so the suite does not depend on the
workflow engine; views, exports and ops commands run in-process through Typer's CliRunner.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from application.command_handler import Accepted
from application.trajectories import InvalidCommandInput, TrajectoryService, parse_command
from domain import COMMAND_TYPES
from domain.registry import CLI_STEPS, FIELDS
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from interfaces.cli.app import app
from interfaces.cli.guard import INTERNAL_ERROR
from projections.registry import all_projections
from projections.runner import ProjectionRunner

NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)

HOSTILE_TEXT = [
    "Bieb [/]",
    "[bold red]Bieb[/]",
    "[link=http://evil.example]klik[/link]",
    "\x1b[31mrood\x1b[0m\x1b]0;titel\x07",
    "\x9b31m",
    '=HYPERLINK("http://evil.example","klik")',
    "+31 6 1234",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "a\r\nBcc: iedereen@example.nl",
    "nul\x00byte",
    "\u202egnp.exe",
    "\ud800",
    "é" * 300,
    "x" * 20_000,
    " ",
    "",
    "Bibliotheek 's-Hertogenbosch",
]
HOSTILE_INTS = [0, -1, 1, 40, 10**6, 2**53, 2**63, 18446744073709551616, -(2**70)]
HOSTILE_DATES = [
    "1999-12-31",
    "2000-01-01",
    "2026-10-12",
    "2100-12-31",
    "2101-01-01",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "morgen",
]

text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))
number = st.one_of(st.sampled_from(HOSTILE_INTS), st.integers())
day = st.one_of(st.sampled_from(HOSTILE_DATES), st.dates().map(str))

# Each field's example, as its concept declares it: a new command is walked without an edit here.
GOOD: dict[str, Any] = {name: field.example for name, field in FIELDS.items() if field.example is not None}


def hostile_value(name: str, good: Any) -> st.SearchStrategy[Any]:
    """A good value, or a hostile one of the same shape (or of another shape)."""
    if isinstance(good, bool):
        bad: st.SearchStrategy[Any] = st.one_of(st.booleans(), text)
    elif isinstance(good, int):
        bad = number
    elif name.endswith(("_on", "_expiry")):
        bad = day
    elif name.endswith("dates"):
        bad = st.lists(day, max_size=3)
    elif name == "contacts":
        bad = st.lists(st.fixed_dictionaries({"name": text, "email": text, "role": text}), max_size=2)
    elif name in ("scores", "indicators"):
        bad = st.dictionaries(text, st.one_of(text, st.booleans(), st.dictionaries(text, text, max_size=2)), max_size=2)
    elif isinstance(good, list):
        bad = st.lists(text, max_size=3)
    else:
        bad = st.one_of(text, number.map(str))
    return st.one_of(st.just(good), st.just(good), st.just(good), bad)  # mostly good: most commands get through


def payloads(command_type: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: hostile_value(name, GOOD[name]) for name in COMMAND_TYPES[command_type].model_fields if name in GOOD
    }
    return st.fixed_dictionaries(
        {
            "trajectory_id": st.one_of(st.sampled_from(["t-hostile", "t-hostile-2"]), text),
            "command_id": st.one_of(st.uuids().map(lambda u: f"cli-{u}"), text),
            "actor": st.one_of(st.just("cli:hostile"), text),
            **fields,
        }
    )


COMMANDS = sorted(command.__name__ for _, command in CLI_STEPS)
runner = CliRunner()


def cbct(*args: str) -> tuple[int, str]:
    """`cbct ARGS` in-process: exit code 0, 1 or 2, never a traceback or an internal error."""
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    output = result.output
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output, result.exception)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (args, repr(result.exception), output)
    assert "Traceback" not in output and INTERNAL_ERROR not in output, (args, output)
    assert "\x1b" not in output and "\x9b" not in output, (args, output)  # no escape reaches the terminal
    return result.exit_code, output


@pytest.fixture
def cli_database(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Environment for in-process CLI runs against a fresh database."""
    for key, value in {
        "CBCT_DATABASE_URL": database_url,
        "CBCT_OUTBOX_DIR": str(tmp_path / "outbox"),
        "CBCT_LOG_LEVEL": "error",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    yield database_url


async def _handle(url: str, payload: dict[str, Any], command_type: str) -> str:
    """Parse with the CLI's shared parsing and apply through the service: 'invalid', 'accepted', 'refused'."""
    try:
        command = parse_command(command_type, payload)
    except InvalidCommandInput as error:
        assert str(error)  # names the field and the rule
        return "invalid"
    async with open_pool(url) as pool:
        store = PostgresEventStore(pool)
        outcome = await TrajectoryService(store).handle(command, NOW)
        await store.wakeup.close()
    return "accepted" if isinstance(outcome, Accepted) else "refused"


async def _read_models(url: str, rebuild: bool) -> dict[str, list[str]]:
    async with open_pool(url) as pool:
        store = PostgresEventStore(pool)
        projections = ProjectionRunner(pool, store, all_projections())
        if rebuild:
            for name in projections.names:
                await projections.rebuild(name)
        else:
            await projections.catch_up()
        assert projections.halts == {}
        dump: dict[str, list[str]] = {}
        for table in [t for p in all_projections() for t in p.tables]:
            rows = await pool.fetch(f"SELECT * FROM {table}")
            dump[table] = sorted(
                repr({k: v for k, v in dict(r).items() if k not in ("state", "context")}) for r in rows
            )
        await store.wakeup.close()
    return dump


async def _render_everything(url: str, trajectory_ids: set[str], tmp: Path) -> None:
    """Every read model query and every report rendering, in-process (cheap enough after each input)."""
    from rich.console import Console

    from application.reports import period_report, render_report, to_csv, to_xlsx
    from projections.deadlines import list_deadlines
    from projections.overview import get_trajectory, list_trajectories
    from projections.postponements import list_postponements
    from projections.register import list_register
    from projections.timeline import get_timeline

    async with open_pool(url) as pool:
        store = PostgresEventStore(pool)
        projections = ProjectionRunner(pool, store, all_projections())
        await projections.catch_up()
        assert projections.halts == {}
        await list_trajectories(pool, limit=10_000)
        await list_deadlines(pool, NOW)
        await list_postponements(pool)
        await list_register(pool, on=NOW.date())
        for trajectory_id in trajectory_ids:
            await get_trajectory(pool, trajectory_id)
            await get_timeline(pool, trajectory_id)
        report = await period_report(store, datetime(2000, 1, 1).date(), datetime(2100, 12, 31).date(), NOW.date())
        render_report(report, Console(file=io.StringIO(), width=200))
        to_csv(report)
        to_xlsx(report, tmp / "rapport.xlsx")
        await store.wakeup.close()


def every_view_renders(trajectory_ids: set[str], tmp: Path) -> None:
    """Every view and export through the CLI, as people run them."""
    assert cbct("trajectory", "list")[0] == 0
    assert cbct("trajectory", "list", "--format", "json")[0] == 0
    for trajectory_id in sorted(trajectory_ids)[:4]:
        assert cbct("trajectory", "show", trajectory_id)[0] == 0
    assert cbct("deadlines")[0] == 0
    assert cbct("postponement", "list", "--all")[0] == 0
    assert cbct("register")[0] == 0
    code, out = cbct("register", "--format", "csv")
    assert code == 0
    for row in csv.reader(io.StringIO(out.lstrip("\ufeff")), delimiter=";"):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    assert cbct("report", "period", "--from", "2000-01-01", "--to", "2100-12-31")[0] == 0
    xlsx = tmp / "rapport-cli.xlsx"
    assert cbct("report", "period", "--format", "xlsx", "--output", str(xlsx), "--from", "2000-01-01")[0] == 0
    for sheet in load_workbook(xlsx).worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    assert cbct("projections", "status")[0] == 0


def _open(url: str, trajectory_id: str, organisation: str) -> None:
    fields = {k: GOOD[k] for k in COMMAND_TYPES["OpenTrajectory"].model_fields if k in GOOD}
    payload = {
        **fields,
        "organisation": organisation,
        "certificate_number": trajectory_id,
        "trajectory_id": trajectory_id,
        "command_id": f"open-{trajectory_id}",
        "actor": "cli:hostile",
    }
    assert asyncio.run(_handle(url, payload, "OpenTrajectory")) == "accepted"


def test_hostile_input_to_every_command_never_breaks_the_store_a_view_or_an_export(
    cli_database: str, tmp_path: Path
) -> None:
    """Hypothesis over (command, payload): invalid input is refused naming the field; whatever is
    accepted leaves every view and export rendering, and a rebuild equal to the read models."""
    url = cli_database
    _open(url, "t-hostile", 'Bieb [/] =HYPERLINK("http://evil.example")')
    _open(url, "t-hostile-2", "[link=http://evil.example]Bieb[/link] [/] @SUM(1)")
    accepted: set[str] = {"t-hostile", "t-hostile-2"}
    seen: dict[str, dict[str, int]] = {}

    examples = int(os.environ.get("CBCT_HOSTILE_EXAMPLES", "8"))

    def family(command_type: str) -> None:
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(payload=payloads(command_type))
        def one(payload: dict[str, Any]) -> None:
            result = asyncio.run(_handle(url, payload, command_type))
            seen.setdefault(command_type, {}).setdefault(result, 0)
            seen[command_type][result] += 1
            if result == "accepted":
                accepted.add(payload["trajectory_id"].strip())
                asyncio.run(_render_everything(url, accepted, tmp_path))

        one()

    for command_type in COMMANDS:  # every family gets its own examples
        family(command_type)
    assert set(seen) == set(COMMANDS), seen
    assert sum(s.get("invalid", 0) for s in seen.values()) > 0
    assert sum(s.get("accepted", 0) for s in seen.values()) > 2, seen
    every_view_renders(accepted, tmp_path)
    assert asyncio.run(_read_models(url, rebuild=False)) == asyncio.run(_read_models(url, rebuild=True))


VIEW_COMMANDS = [
    lambda t, n, d: ["trajectory", "show", t],
    lambda t, n, d: ["trajectory", "list", "--organisation", t, "--phase", t, "--limit", n],
    lambda t, n, d: ["deadlines", "--status", t, "--trajectory", t],
    lambda t, n, d: ["register", "--association", t, "--format", "csv"],
    lambda t, n, d: ["postponement", "list", "--format", "json"],
    lambda t, n, d: ["report", "period", "--from", d, "--to", d, "--format", t],
    lambda t, n, d: ["report", "period", "--from", "2000-01-01", "--to", d, "--format", "csv"],
    lambda t, n, d: ["projections", "rebuild", t],
    lambda t, n, d: ["projections", "status", "--format", "json"],
    lambda t, n, d: ["event", "show", t],
    lambda t, n, d: ["event", "correct", t, "--data", t, "--reason", t],
    lambda t, n, d: ["framework", "assumed", t],
    lambda t, n, d: ["db", "status", "--format", t],
]


def test_hostile_options_to_every_view_and_ops_command_never_give_a_traceback(cli_database: str) -> None:
    """Markup, escapes, huge numbers and impossible dates as options and arguments of the views, the
    report, projections, events, frameworks and the database commands: 0, 1 or 2, one line."""
    _open(cli_database, "t-hostile", "Bieb [/]")
    examples = int(os.environ.get("CBCT_HOSTILE_EXAMPLES", "8"))

    @settings(
        max_examples=examples * 3,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        build=st.sampled_from(VIEW_COMMANDS),
        text_value=text.filter(lambda v: "\x00" not in v and not v.startswith("-")),
        number_value=number.map(str),
        day_value=st.one_of(st.sampled_from(HOSTILE_DATES), st.dates().map(str)),
    )
    def one(build: Any, text_value: str, number_value: str, day_value: str) -> None:
        args = build(text_value, number_value, day_value)
        cbct(*args)

    one()
