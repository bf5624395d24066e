"""The keyring: the key file is private and made once; a rotation by another process is followed."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from infrastructure.keyring import KeyringError, load_file, parse_keys, rotate, signing_keys
from infrastructure.settings import Settings


def test_the_key_file_is_private_and_stable(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = load_file(data_dir)
    assert stat.S_IMODE((data_dir / "keys.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert load_file(data_dir) == first


def test_a_readable_key_file_is_refused(tmp_path: Path) -> None:
    load_file(tmp_path)
    (tmp_path / "keys.json").chmod(0o644)
    with pytest.raises(KeyringError, match="chmod 600"):
        load_file(tmp_path)


def test_a_worker_follows_a_signing_rotation_by_another_process(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, signing_keys=None)
    keys = signing_keys(settings)
    started_with = keys.current
    new_id = rotate(tmp_path, "signing")
    assert keys.key(new_id) is not None  # read from the file on first sight of the new id
    assert keys.current == started_with  # this process keeps signing under the key every process knows
    assert keys.key("k-unknown") is None


def test_keys_from_a_setting_are_checked() -> None:
    good = base64.b64encode(bytes(32)).decode()
    assert parse_keys(f"a:{good},b:{good}", "CBCT_SIGNING_KEYS").current == "a"
    with pytest.raises(KeyringError, match="32 bytes"):
        parse_keys("a:" + base64.b64encode(b"short").decode(), "CBCT_SIGNING_KEYS")
    with pytest.raises(KeyringError, match="given twice"):
        parse_keys(f"a:{good},a:{good}", "CBCT_SIGNING_KEYS")
