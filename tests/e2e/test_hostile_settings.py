"""Issue 18, case 5: an invalid `CBCT_*` setting is one Dutch line naming the setting and its rule, exit
2, at every entry point — and no secret (the API key, the payload and signing keys, a database URL's
password) ever appears in what is printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from infrastructure.settings_errors import describe, mask, secret_fields
from interfaces.cli.guard import explain

REPO = Path(__file__).resolve().parents[2]
API_KEY = "api-key-7f3c9e1b"
PAYLOAD_KEYS = "k1:cGF5bG9hZC1rZXktc2VjcmV0LTMyLWJ5dGVzLWxvbmc="
SIGNING_KEYS = "s1:c2lnbmluZy1rZXktc2VjcmV0LTMyLWJ5dGVzLWxvbmc="
PASSWORD = "pw-hunter2-4d1a"

ENTRY_POINTS = {
    "cli": ["-m", "interfaces.cli.app", "register"],
    "worker": ["-m", "worker"],
    "replay_processes": ["-m", "interfaces.replay_processes", "--outbox", "/nonexistent", "--only", "1001"],
}

BAD_VALUES = {
    "a number": ({"CBCT_STUCK_GRACE_DAYS": "veel"}, "CBCT_STUCK_GRACE_DAYS: moet een geheel getal zijn"),
    "a bound": ({"CBCT_POOL_MIN_SIZE": "0"}, "CBCT_POOL_MIN_SIZE: moet minstens 1 zijn"),
    "a choice": ({"CBCT_LOG_LEVEL": "luid"}, "CBCT_LOG_LEVEL: moet een van 'debug', 'info', 'warning' of 'error'"),
    "the secret URL itself": (
        {"CBCT_DATABASE_URL": f"mysql://cbct:{PASSWORD}@db.example/cbct"},
        "CBCT_DATABASE_URL: moet een postgresql://-URL zijn",
    ),
}


def run(entry: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    return subprocess.run(
        [sys.executable, *ENTRY_POINTS[entry]],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(REPO), "CBCT_DATA_DIR": str(cwd / "data"), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("bad", sorted(BAD_VALUES))
def test_an_invalid_setting_is_one_masked_line_and_exit_2(entry: str, bad: str, tmp_path: Path) -> None:
    values, rule = BAD_VALUES[bad]
    env = {
        "CBCT_DATABASE_URL": f"postgresql://cbct:{PASSWORD}@127.0.0.1:1/cbct",
        "CBCT_TEMPORAL_API_KEY": API_KEY,
        "CBCT_PAYLOAD_KEYS": PAYLOAD_KEYS,
        "CBCT_SIGNING_KEYS": SIGNING_KEYS,
        "CBCT_LOG_LEVEL": "debug",  # even the debug log says nothing more
        **values,
    }

    result = run(entry, env, tmp_path)

    printed = result.stdout + result.stderr
    lines = [line for line in printed.splitlines() if line.strip()]
    assert result.returncode == 2, printed
    assert len(lines) == 1, printed
    assert lines[0].startswith("Ongeldige instelling ") and rule in lines[0], lines[0]
    for secret in (API_KEY, PAYLOAD_KEYS, SIGNING_KEYS, PASSWORD, "Traceback"):
        assert secret not in printed
    assert not (tmp_path / "data").exists(), "nothing is started or written on a bad setting"


def test_a_settings_file_is_read_and_masked_as_well(tmp_path: Path) -> None:
    """`.env` in the working directory counts as the environment does: its secrets are masked too."""
    (tmp_path / ".env").write_text(
        f"CBCT_TEMPORAL_API_KEY={API_KEY}\nCBCT_DATABASE_URL=postgres://u:{PASSWORD}@h/db?sslmode=nope x\n"
        "CBCT_SHUTDOWN_GRACE_SECONDS=-1\n"
    )

    result = run("cli", {}, tmp_path)

    printed = result.stdout + result.stderr
    assert result.returncode == 2 and len(printed.strip().splitlines()) == 1, printed
    assert "CBCT_SHUTDOWN_GRACE_SECONDS: moet minstens 0 zijn" in printed
    assert API_KEY not in printed and PASSWORD not in printed


def test_mask_hides_url_passwords_and_secret_values() -> None:
    text = f"kan niet verbinden met postgresql://cbct:{PASSWORD}@db:5432/cbct (sleutel {API_KEY})"

    masked = mask(text, [API_KEY])

    assert masked == "kan niet verbinden met postgresql://cbct:****@db:5432/cbct (sleutel ****)"
    assert mask("postgresql://cbct@db/cbct", []) == "postgresql://cbct@db/cbct"
    assert {"temporal_api_key", "payload_keys", "signing_keys", "database_url"} <= set(secret_fields())


class _Login(BaseModel):
    token: SecretStr
    retries: int


def test_the_cli_explains_any_validation_error_without_its_input() -> None:
    """The guard's last line names where and which rule, never the value given (it may be a secret)."""
    with pytest.raises(ValidationError) as caught:
        _Login.model_validate({"token": 12345678987654321, "retries": f"{API_KEY}"})

    code, message = explain(caught.value)

    assert code == 2
    assert "retries" in message and "token" in message
    assert API_KEY not in message and "12345678987654321" not in message


def test_describe_names_the_environment_variable_of_each_setting() -> None:
    from infrastructure.settings import Settings

    with pytest.raises(ValidationError) as caught:
        Settings(stuck_grace_days="x", temporal_api_key=API_KEY, _env_file=None)

    line = describe(caught.value, [API_KEY])

    assert line == "Ongeldige instelling CBCT_STUCK_GRACE_DAYS: moet een geheel getal zijn"
    assert API_KEY not in str(caught.value)  # hide_input_in_errors: not even pydantic's own text has it
