"""`cbct keys status` and `cbct keys rotate` (issue 18, case 2): key ids and their source, never a key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infrastructure.keyring import load_file
from interfaces.cli.app import app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CBCT_PAYLOAD_KEYS", "CBCT_SIGNING_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CBCT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _status() -> list[dict[str, object]]:
    result = CliRunner().invoke(app, ["keys", "status", "--format", "json"])
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def test_status_names_ids_and_sources_never_a_key(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = base64.b64encode(b"s" * 32).decode()
    monkeypatch.setenv("CBCT_SIGNING_KEYS", f"sig-1:{secret}")
    result = CliRunner().invoke(app, ["keys", "status", "--format", "json"])
    payload, signing = json.loads(result.stdout)
    keys_file = load_file(data_dir)
    assert payload == {
        "purpose": "payload",
        "current": keys_file.payload.current,
        "keys": [keys_file.payload.current],
        "source": f"bestand {data_dir / 'keys.json'}",
    }
    assert signing == {
        "purpose": "signing",
        "current": "sig-1",
        "keys": ["sig-1"],
        "source": "instelling CBCT_SIGNING_KEYS",
    }
    table = CliRunner().invoke(app, ["keys", "status"]).stdout
    for key in (*keys_file.payload.keys.values(), b"s" * 32):
        assert base64.b64encode(key).decode() not in result.stdout + table


def test_rotate_adds_a_current_key_and_keeps_the_old(data_dir: Path) -> None:
    [before, _] = _status()
    result = CliRunner().invoke(app, ["keys", "rotate", "payload"])
    assert result.exit_code == 0, result.output
    [after, _] = _status()
    assert after["current"] != before["current"] and str(after["current"]) in result.stdout
    assert set(after["keys"]) == {before["current"], after["current"]}  # type: ignore[call-overload]
    assert (data_dir / "keys.json").stat().st_mode & 0o777 == 0o600


def test_a_key_given_by_a_setting_is_not_rotated_in_the_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBCT_PAYLOAD_KEYS", "p-1:" + base64.b64encode(b"p" * 32).decode())
    result = CliRunner().invoke(app, ["keys", "rotate", "payload"])
    assert result.exit_code == 2
    assert "CBCT_PAYLOAD_KEYS is gezet" in result.output
    assert not (data_dir / "keys.json").exists()


def test_an_unusable_key_setting_is_one_dutch_line(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CBCT_PAYLOAD_KEYS", "p-1:short")
    result = CliRunner().invoke(app, ["keys", "status"])
    assert result.exit_code == 2
    assert result.output.startswith("Sleutels onbruikbaar — CBCT_PAYLOAD_KEYS") and "Traceback" not in result.output
