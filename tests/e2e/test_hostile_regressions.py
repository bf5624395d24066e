"""Issue 9's probe cases as regression tests: each names the case and checks its new behaviour.

In-process through Typer's CliRunner (fast, no workflow engine needed: bad input is refused before a
command is submitted); data that older versions may have stored is written through the service with
validation skipped, as it would have been then.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from application.spreadsheet import csv_cell, xlsx_append
from application.trajectories import InvalidCommandInput, TrajectoryService, parse_command
from domain import OpenTrajectory
from infrastructure.database import open_pool
from infrastructure.postgres_event_store import PostgresEventStore
from interfaces.cli.app import app
from interfaces.cli.guard import INTERNAL_ERROR
from interfaces.cli.safe_text import terminal_text

NOW = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
runner = CliRunner()

OPEN = [
    "trajectory", "open", "t-probe",
    "--organisation", "Bibliotheek Hengelo",
    "--certificate-number", "1002",
    "--association", "VOB",
    "--framework-version", "kib-ii-2023",
    "--previous-certificate-expiry", "2026-12-31",
]  # fmt: skip
INTAKE = ["intake", "record", "t-probe", "--contacts", '{"name": "An", "email": "an@bieb.example"}',
          "--locations", "Hoofdvestiging", "--employees", "40"]  # fmt: skip


def cbct(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and INTERNAL_ERROR not in result.output, result.output
    return result.exit_code, result.output


def replace(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


@pytest.fixture
def db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in {
        "CBCT_DATABASE_URL": database_url,
        "CBCT_OUTBOX_DIR": str(tmp_path / "outbox"),
        "CBCT_LOG_LEVEL": "error",
    }.items():
        monkeypatch.setenv(key, value)
    yield database_url


def events_stored(url: str) -> int:
    async def count() -> int:
        async with open_pool(url) as pool:
            return int(await pool.fetchval("SELECT count(*) FROM events"))

    return asyncio.run(count())


def open_unchecked(url: str, trajectory_id: str, **fields: Any) -> None:
    """Open a trajectory the way an older version would have stored it: no bounds on the text."""
    values = {
        "command_id": f"open-{trajectory_id}",
        "trajectory_id": trajectory_id,
        "actor": "cli:probe",
        "organisation": "Bibliotheek Hengelo",
        "certificate_number": trajectory_id,
        "association": "VOB",
        "framework_version": "kib-ii-2023",
        "previous_certificate_expiry": date(2026, 12, 31),
        **fields,
    }

    async def go() -> None:
        async with open_pool(url) as pool:
            store = PostgresEventStore(pool)
            outcome = await TrajectoryService(store).handle(OpenTrajectory.model_construct(**values), NOW)
            assert outcome.__class__.__name__ == "Accepted", outcome
            await store.wakeup.close()

    asyncio.run(go())


# --- C1: what is written can always be read ---------------------------------------------------------


def test_c1_employees_2_to_the_64_is_refused_naming_the_field_and_nothing_is_written(db: str) -> None:
    code, out = cbct(*replace(INTAKE, "--employees", "18446744073709551616"))
    assert code == 2 and "employees" in out and "100000" in out
    code, out = cbct(*replace(INTAKE, "--employees", "-5"))
    assert code == 2 and "employees" in out
    assert events_stored(db) == 0


# --- H: user text is text -------------------------------------------------------------------------------


def test_h_an_organisation_named_with_rich_markup_shows_literally_in_every_view(db: str) -> None:
    open_unchecked(db, "t-markup", organisation="Bieb [/] [bold red]x[/]")
    for args in (["register"], ["trajectory", "list"], ["trajectory", "show", "t-markup"], ["deadlines"]):
        code, out = cbct(*args)
        assert code == 0, (args, out)
        assert "Bieb [/]" in out or args == ["deadlines"], (args, out)


def test_h_escape_sequences_in_stored_names_never_reach_the_terminal(db: str) -> None:
    open_unchecked(db, "t-escape", organisation="\x1b[2J\x1b]0;pwned\x07Bieb\x9b31m\u202eexe")
    for args in (["register"], ["trajectory", "list"], ["trajectory", "show", "t-escape"], ["register", "-f", "json"]):
        code, out = cbct(*args)
        assert code == 0
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out, (args, out)
    assert "\\x1b[2J" in cbct("trajectory", "show", "t-escape")[1]


def test_h_a_formula_in_an_organisation_name_stays_text_in_the_csv_and_xlsx_exports(db: str) -> None:
    open_unchecked(db, "t-formula", organisation='=HYPERLINK("http://evil.example","klik")')
    code, out = cbct("register", "--format", "csv")
    assert code == 0
    assert "'=HYPERLINK(" in out and ";=HYPERLINK" not in out
    for value in ("=1+1", "+31", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert str(csv_cell(value)).startswith("'")
    assert csv_cell(-1.5) == -1.5 and csv_cell("Bibliotheek") == "Bibliotheek"
    from openpyxl import Workbook

    sheet = Workbook().active
    xlsx_append(sheet, ['=HYPERLINK("http://evil.example")', 3, "gewoon"])
    assert [c.data_type for c in sheet[1]] == ["s", "n", "s"]


def test_h_terminal_text_shows_control_characters_as_codes() -> None:
    assert terminal_text("a\x1b[31mb\x00c\td\ne") == "a\\x1b[31mb\\x00c\td\ne"
    assert terminal_text("\u202eabc") == "\\u202eabc"


# --- M: every input is bounded where it enters -------------------------------------------------------


@pytest.mark.parametrize("day", ["1999-12-31", "2101-01-01", "9999-12-31"])
def test_m_dates_outside_2000_to_2100_are_refused_naming_the_field(db: str, day: str) -> None:
    code, out = cbct(*replace(OPEN, "--previous-certificate-expiry", day))
    assert code == 2 and "previous_certificate_expiry" in out and "2000-01-01" in out
    code, out = cbct("audit", "schedule", "t-probe", "--audit-dates", day, "--expert-auditor", "E",
                     "--peer-auditor", "P")  # fmt: skip
    assert code == 2 and "audit_dates" in out
    assert events_stored(db) == 0


@pytest.mark.parametrize(
    ("trajectory_id", "rule"),
    [
        ("t" * 101, "hoogstens 100"),
        ("t/../x", "juiste vorm"),
        ("t probe", "juiste vorm"),
        ("_t", "juiste vorm"),
        ("", "niet leeg"),
    ],
)
def test_m_trajectory_ids_the_store_cannot_hold_are_refused(db: str, trajectory_id: str, rule: str) -> None:
    args = list(OPEN)
    args[2] = trajectory_id
    code, out = cbct(*args)
    assert code == 2 and "trajectory_id" in out and rule in out
    assert events_stored(db) == 0


def test_m_long_command_ids_and_actors_are_refused(db: str) -> None:
    code, out = cbct(*OPEN, "--command-id", "c" * 5000)
    assert code == 2 and "command_id" in out
    code, out = cbct(*OPEN, "--actor", "a\r\nb")
    assert code == 2 and "actor" in out
    assert events_stored(db) == 0


def test_m_payloads_over_the_limit_are_refused_naming_the_rule() -> None:
    with pytest.raises(InvalidCommandInput, match=r"reason.*10000"):
        parse_command("CancelAudit", {"command_id": "c", "trajectory_id": "t", "actor": "a", "reason": "x" * 10_001})
    with pytest.raises(InvalidCommandInput, match="de grens is 65536 bytes"):
        parse_command(
            "RecordAuditScores",
            {"command_id": "c", "trajectory_id": "t", "actor": "a", "scores": {"1": {"a": "Volledig"}},
             "findings": ["x" * 9_000] * 10},
        )  # fmt: skip


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--organisation", "Bieb\r\nBcc: iedereen@example.nl", "organisation"),
        ("--organisation", "Bieb\x1b[31m", "organisation"),
        ("--contact-email", "an@bieb.example\r\nBcc: x@y.nl", "contact_email"),
        ("--certificate-number", "10\x0002", "certificate_number"),
    ],
)
def test_m_cr_lf_nul_and_escapes_in_anything_that_can_reach_an_e_mail_header_are_refused(
    db: str, option: str, value: str, field: str
) -> None:
    code, out = (
        cbct(*replace(OPEN, option, value), "--contact-email", "an@bieb.example")
        if option != ("--contact-email")
        else cbct(*OPEN, option, value)
    )
    assert code == 2 and field in out
    assert events_stored(db) == 0


def test_m_nul_and_cr_lf_inside_json_options_are_refused(db: str) -> None:
    contact = json.dumps({"name": "An\u0000", "email": "an@bieb.example"})
    code, out = cbct(*replace(INTAKE, "--contacts", contact))
    assert code == 2 and "contacts" in out and "name" in out
    contact = json.dumps({"name": "An\r\nTo: x@y.nl", "email": "an@bieb.example"})
    code, out = cbct(*replace(INTAKE, "--contacts", contact))
    assert code == 2 and "contacts" in out


def test_m_a_missing_file_and_a_directory_where_a_file_is_expected_are_one_line_errors(db: str, tmp_path: Path) -> None:
    code, out = cbct(*replace(INTAKE, "--contacts", f"@{tmp_path / 'missing.json'}"))
    assert code == 2 and "bestaat niet" in out and len(out.strip().splitlines()) == 1
    code, out = cbct(*replace(INTAKE, "--contacts", f"@{tmp_path}"))
    assert code == 2 and "is een map" in out and len(out.strip().splitlines()) == 1
    code, out = cbct("event", "correct", "7c3b2b92-30d1-4546-ac71-b51532860f73", "--data", f"@{tmp_path}/x.json",
                     "--reason", "r")  # fmt: skip
    assert code == 2 and "bestaat niet" in out


def test_m_an_unmigrated_database_is_migrated_on_first_use_and_an_unreachable_one_is_one_line(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CBCT_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("CBCT_LOG_LEVEL", "error")
    code, out = cbct("db", "status")
    assert code == 0 and "pending" in out
    assert cbct("register")[0] == 0  # migrates itself
    monkeypatch.setenv("CBCT_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    code, out = cbct("register")
    assert code == 1 and "niet bereikbaar" in out and len(out.strip().splitlines()) == 1


def test_an_undecodable_event_is_shown_by_projections_status_and_repaired_by_event_correct(db: str) -> None:
    """C1 from the CLI: status names the event (exit 1), views go on with a warning, `event correct`
    repairs it and everything catches up."""
    open_unchecked(db, "t-ok")
    open_unchecked(db, "t-bad")
    event_id = _inject_huge_employees(db, "t-bad")
    code, out = cbct("register")  # a view catches up first: it meets the event
    assert code == 0 and "t-ok" in out and "staat stil" in out
    code, out = cbct("projections", "status")
    assert code == 1 and str(event_id) in out and "trajectory-t-bad" in out and "employees" in out
    code, out = cbct("event", "show", str(event_id))
    assert code == 0 and "18446744073709551616" in out
    code, out = cbct("event", "correct", str(event_id), "--data", '{"nonsense": 1}', "--reason", "x")
    assert code == 2 and "domeinlezer" in out
    data = json.loads(cbct("event", "show", str(event_id), "--format", "json")[1])["data"]
    code, out = cbct("event", "correct", str(event_id), "--data", json.dumps({**data, "employees": 180}),
                     "--reason", "2**64 getypt, 180 bedoeld")  # fmt: skip
    assert code == 0, out
    code, out = cbct("projections", "status")
    assert code == 0 and "staat stil" not in out


def _inject_huge_employees(url: str, trajectory_id: str) -> Any:
    """An intake with employees = 2**64, written behind the store's back as the old bug stored it."""
    import uuid

    async def go() -> Any:
        async with open_pool(url) as pool:
            contact = {"name": "An", "email": "an@bieb.example", "role": ""}
            data = {
                "trajectory_id": trajectory_id, "occurred_at": NOW.isoformat(), "received_on": "2025-11-03",
                "contacts": [contact], "locations": ["Hoofdvestiging"], "employees": 0, "services": [],
                "category": "A", "dagdelen": 2, "auditor_hours": 8, "modules": [], "ido": False, "scope": ["1"],
            }  # fmt: skip
            text = json.dumps(data).replace('"employees": 0', '"employees": 18446744073709551616')
            event_id = uuid.uuid4()
            version = await pool.fetchval(
                "SELECT max(stream_version) FROM events WHERE stream_id = $1", f"trajectory-{trajectory_id}"
            )
            await pool.execute(
                """INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, data)
                   VALUES ($1, $2, $3, 'IntakeRecorded', 1, $4::jsonb)""",
                f"trajectory-{trajectory_id}",
                version + 1,
                event_id,
                text,
            )
            return event_id

    return asyncio.run(go())
