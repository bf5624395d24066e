"""`cbct users` and `cbct tokens` against a fresh database (in-process, CliRunner)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interfaces.cli.app import app


@pytest.fixture
def cbct(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CBCT_DATABASE_URL", database_url)
    monkeypatch.setenv("CBCT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CBCT_ACTOR", "cli:beheerder")
    return CliRunner()


def _ok(runner: CliRunner, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def _users(runner: CliRunner) -> dict[str, dict[str, object]]:
    return {u["account_id"]: u for u in json.loads(_ok(runner, "users", "list", "--format", "json"))}


def test_users_add_list_role_disable(cbct: CliRunner) -> None:
    out = _ok(cbct, "users", "add", "piet", "--role", "auditor", "--display-name", "Piet de Vries")
    generated = re.search(r"Wachtwoord \(alleen nu getoond\): (\S+)", out)
    assert generated is not None and len(generated.group(1)) >= 20
    _ok(
        cbct,
        "users",
        "add",
        "bieb",
        "--role",
        "auditee",
        "--organisation",
        "1002",
        "--password-stdin",
        stdin="een-goed-wachtwoord\n",
    )
    users = _users(cbct)
    assert users["piet"]["display_name"] == "Piet de Vries" and users["bieb"]["organisation"] == "1002"

    assert "planner" in _ok(cbct, "users", "role", "piet", "planner")
    assert _users(cbct)["piet"]["role"] == "planner"
    assert "uitgeschakeld" in _ok(cbct, "users", "disable", "piet")
    assert _users(cbct)["piet"]["disabled"] is True


def test_refusals_are_dutch_and_exit_1(cbct: CliRunner) -> None:
    result = cbct.invoke(app, ["users", "add", "bieb", "--role", "auditee"])
    assert result.exit_code == 1 and "certificaatnummer" in result.output
    result = cbct.invoke(app, ["users", "add", "xander", "--role", "koning"])
    assert result.exit_code == 1 and "rol: onbekend" in result.output
    result = cbct.invoke(app, ["users", "add", "kees", "--role", "ops", "--password-stdin"], input="kort\n")
    assert result.exit_code == 1 and "minstens 12 tekens" in result.output
    result = cbct.invoke(app, ["users", "disable", "niemand"])
    assert result.exit_code == 1 and "geen account niemand" in result.output
    result = cbct.invoke(app, ["tokens", "revoke", "tok-onbekend"])
    assert result.exit_code == 1 and "Geen token" in result.output


def test_tokens_create_and_revoke(cbct: CliRunner) -> None:
    _ok(cbct, "users", "add", "script", "--role", "ops")
    out = _ok(cbct, "tokens", "create", "script", "--label", "nachtelijk rapport")
    token = re.search(r"Token \(alleen nu getoond\): (cbct_\S+)", out)
    token_id = re.search(r"Token (tok-[0-9a-f]+) gemaakt", out)
    assert token is not None and token_id is not None
    listed = json.loads(_ok(cbct, "tokens", "list", "--format", "json"))
    assert [(t["token_id"], t["label"], t["revoked_at"]) for t in listed] == [
        (token_id.group(1), "nachtelijk rapport", None)
    ]
    assert token.group(1) not in json.dumps(listed)
    assert "ingetrokken" in _ok(cbct, "tokens", "revoke", token_id.group(1))
    assert json.loads(_ok(cbct, "tokens", "list", "--format", "json"))[0]["revoked_at"] is not None


def test_password_reset_and_the_auditor_name_note(cbct: CliRunner) -> None:
    result = cbct.invoke(app, ["users", "add", "bea", "--role", "auditor", "--display-name", "Bea Nergens"])
    assert result.exit_code == 0 and "nog geen traject noemt een auditor 'Bea Nergens'" in result.stderr
    out = _ok(cbct, "users", "password", "bea")
    assert "sessies zijn beëindigd" in out and re.search(r"Wachtwoord \(alleen nu getoond\): \S{20,}", out)
    result = cbct.invoke(app, ["users", "password", "bea", "--password-stdin"], input="bea\n")
    assert result.exit_code == 1 and "minstens 12 tekens" in result.output
