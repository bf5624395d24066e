"""The system's own secrets: the keys that encrypt Temporal payloads and sign commands, by key id.

The embedded Temporal server and Postgres cannot authenticate anyone on the machine, so what keeps a
second local account from reading or steering trajectories is a secret only the system's processes
can read. Keys come from the settings (`CBCT_PAYLOAD_KEYS`, `CBCT_SIGNING_KEYS`: `id:base64,...`, the
first current) or, unset, from `CBCT_DATA_DIR/keys.json` (mode 0600, made on first use under a lock).

Rotation keeps old keys: payloads and signatures name their key id, so what was written under an old
key stays readable; `rotate` adds a new current key to the file.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from infrastructure.settings import Settings

KEY_BYTES = 32
KEY_FILE = "keys.json"
_ID_ALPHABET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")

Purpose = Literal["payload", "signing"]


class KeyringError(ValueError):
    """A key setting or the key file is unusable; the message names which and why (never the key)."""


@dataclass(frozen=True)
class KeySet:
    """Keys of one purpose by id; `current` is the one new payloads or signatures use."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyringError(f"current key {self.current!r} is not among the keys")

    @property
    def current_key(self) -> bytes:
        return self.keys[self.current]

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


@dataclass(frozen=True)
class Keyring:
    payload: KeySet
    signing: KeySet


def _check_id(key_id: str, where: str) -> str:
    if not key_id or len(key_id) > 40 or not set(key_id) <= _ID_ALPHABET:
        raise KeyringError(f"{where}: key id must be 1-40 letters, digits, '-', '_' or '.'")
    return key_id


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{where}: key must be {KEY_BYTES} bytes, not {len(key)}")
    return key


def parse_keys(text: str, setting: str) -> KeySet:
    """`id:base64[,id:base64...]` → a KeySet whose first key is current."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise KeyringError(f"{setting}: each key is id:base64")
        key_id = _check_id(key_id.strip(), setting)
        if key_id in keys:
            raise KeyringError(f"{setting}: key id {key_id!r} given twice")
        keys[key_id] = _decode_key(encoded.strip(), setting)
        order.append(key_id)
    if not order:
        raise KeyringError(f"{setting}: no key given")
    return KeySet(current=order[0], keys=keys)


def new_key_id() -> str:
    return f"k{secrets.token_hex(4)}"


def _new_set() -> dict[str, object]:
    key_id = new_key_id()
    return {"current": key_id, "keys": {key_id: base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}}


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_file(path: Path) -> dict[str, object]:
    info = path.lstat()
    if not path.is_file() or path.is_symlink():
        raise KeyringError(f"{path}: must be a regular file")
    if info.st_uid != os.geteuid() and os.geteuid() != 0:
        raise KeyringError(f"{path}: belongs to another user")
    if info.st_mode & 0o077:
        raise KeyringError(f"{path}: others can read it (mode {info.st_mode & 0o777:o}); chmod 600 it")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KeyringError(f"{path}: not a key file ({error})") from None
    if not isinstance(data, dict):
        raise KeyringError(f"{path}: not a key file")
    return data


def _write_file(path: Path, data: Mapping[str, object]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def _set_from_file(data: Mapping[str, object], purpose: Purpose, path: Path) -> KeySet:
    raw = data.get(purpose)
    where = f"{path} ({purpose})"
    if not isinstance(raw, dict) or not isinstance(raw.get("current"), str) or not isinstance(raw.get("keys"), dict):
        raise KeyringError(f"{where}: expected current and keys")
    keys = {_check_id(str(k), where): _decode_key(str(v), where) for k, v in raw["keys"].items()}
    return KeySet(current=raw["current"], keys=keys)


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def load_file(data_dir: Path) -> Keyring:
    """The data directory's keys, made (0600, with a 0700 data dir) when the file does not exist yet."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = key_file(data_dir)
    with _locked(path):
        if not path.exists():
            _write_file(path, {"payload": _new_set(), "signing": _new_set()})
        data = _read_file(path)
        changed = False
        for purpose in ("payload", "signing"):
            if purpose not in data:
                data[purpose] = _new_set()
                changed = True
        if changed:
            _write_file(path, data)
    return Keyring(payload=_set_from_file(data, "payload", path), signing=_set_from_file(data, "signing", path))


def load_keyring(settings: Settings) -> Keyring:
    """The keys this process uses: from the settings where given, else from the data directory's file."""
    from_file: Keyring | None = None

    def file_keys() -> Keyring:
        nonlocal from_file
        if from_file is None:
            from_file = load_file(settings.data_dir)
        return from_file

    payload = (
        parse_keys(settings.payload_keys.get_secret_value(), "CBCT_PAYLOAD_KEYS")
        if settings.payload_keys is not None
        else file_keys().payload
    )
    signing = (
        parse_keys(settings.signing_keys.get_secret_value(), "CBCT_SIGNING_KEYS")
        if settings.signing_keys is not None
        else file_keys().signing
    )
    return Keyring(payload=payload, signing=signing)


def rotate(data_dir: Path, purpose: Purpose) -> str:
    """Add a new current key of `purpose` to the data directory's file; the old ones stay. Returns its id."""
    load_file(data_dir)
    path = key_file(data_dir)
    with _locked(path):
        data = _read_file(path)
        raw = data[purpose]
        assert isinstance(raw, dict)
        key_id = new_key_id()
        raw["keys"][key_id] = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
        raw["current"] = key_id
        _write_file(path, data)
    return key_id


class ReloadingKeySet:
    """Verifying keys that follow a rotation by another process: a key id not known yet makes it read the
    data directory's key file again (at most once a second, so foreign key ids cannot set the pace).
    The current key stays the one this process started with; every process can verify it."""

    def __init__(self, keys: KeySet, reload: Callable[[], KeySet] | None, *, min_interval: float = 1.0) -> None:
        self._keys = keys
        self._reload = reload
        self._min_interval = min_interval
        self._reloaded_at = float("-inf")

    @property
    def current(self) -> str:
        return self._keys.current

    @property
    def current_key(self) -> bytes:
        return self._keys.current_key

    def key(self, key_id: str) -> bytes | None:
        found = self._keys.key(key_id)
        if found is not None or self._reload is None:
            return found
        now = time.monotonic()
        if now - self._reloaded_at < self._min_interval:
            return None
        self._reloaded_at = now
        try:
            fresh = self._reload()
        except (OSError, KeyringError):
            return None
        self._keys = KeySet(current=self._keys.current, keys={**fresh.keys, **self._keys.keys})
        return self._keys.key(key_id)


def signing_keys(settings: Settings) -> ReloadingKeySet:
    """The signing keys of this process; from the key file they follow `cbct keys rotate signing`."""
    keys = load_keyring(settings).signing
    reload = None if settings.signing_keys is not None else (lambda: load_file(settings.data_dir).signing)
    return ReloadingKeySet(keys, reload)
