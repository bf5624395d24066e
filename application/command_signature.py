"""Signed commands: who may ask a trajectory's workflow to do something.

The embedded Temporal server accepts any local connection, so a command's author cannot be known from
the connection. Every command a person's process sends (`submit`) therefore carries an HMAC-SHA256
over a canonical encoding of what it asks — command id, command type, trajectory id, the command's
payload (canonical JSON, sorted keys), the actor and the submission's moment — under a key only the
system's processes can read, named by its key id (so keys can rotate: an older key still in the
keyring still verifies). The decide activity verifies it before anything is decided or stored.

Pure: no I/O, no clock. The keys come from outside (`infrastructure/keyring.py` gives a `SigningKeys`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from domain import Command

ALGORITHM = "hmac-sha256"
UNSIGNED = "command.unsigned"
SIGNATURE_INVALID = "command.signature_invalid"
UNKNOWN_KEY = "command.signing_key_unknown"

MESSAGES = {
    UNSIGNED: "Opdracht geweigerd: ze is niet ondertekend. Alleen de processen van CBCT mogen opdrachten geven.",
    SIGNATURE_INVALID: (
        "Opdracht geweigerd: de ondertekening klopt niet (verkeerde sleutel, of de opdracht is na ondertekening"
        " gewijzigd)."
    ),
    UNKNOWN_KEY: "Opdracht geweigerd: ondertekend met een sleutel die dit systeem niet (meer) kent.",
}


class SigningKeys(Protocol):
    """Signing keys by id (`infrastructure.keyring.KeySet` is one); `current` signs new commands."""

    @property
    def current(self) -> str: ...

    @property
    def current_key(self) -> bytes: ...

    def key(self, key_id: str) -> bytes | None: ...


@dataclass(frozen=True)
class SignedFields:
    """What a signature covers: everything that decides what a command does, and when."""

    command_id: str
    command_type: str
    trajectory_id: str
    payload: Mapping[str, Any]
    actor: str
    at: datetime | None

    @classmethod
    def of(cls, command_type: str, command: Command, at: datetime | None) -> SignedFields:
        return cls(
            command_id=command.command_id,
            command_type=command_type,
            trajectory_id=command.trajectory_id,
            payload=command.model_dump(mode="json"),
            actor=command.actor,
            at=at,
        )

    def canonical(self) -> bytes:
        """One byte string per meaning: sorted keys, no whitespace, the moment in UTC."""
        document = {
            "v": 1,
            "command_id": self.command_id,
            "command_type": self.command_type,
            "trajectory_id": self.trajectory_id,
            "payload": self.payload,
            "actor": self.actor,
            "at": None if self.at is None else self.at.astimezone(UTC).isoformat(),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Refusal:
    """Why a submission's signature does not hold: a rule code and CBCT's explanation (Dutch)."""

    rule: str
    message: str


def sign(fields: SignedFields, key_id: str, key: bytes) -> str:
    """The hex HMAC-SHA256 of the fields under `key`; `key_id` is bound in, so a signature names its key."""
    return hmac.new(key, key_id.encode() + b"\n" + fields.canonical(), hashlib.sha256).hexdigest()


def verify(fields: SignedFields, key_id: str | None, signature: str | None, keys: SigningKeys) -> Refusal | None:
    """None when `signature` is `fields` signed with the key `key_id` of `keys`; else why not.

    The comparison takes constant time (`hmac.compare_digest`)."""
    if not key_id or not signature:
        return Refusal(UNSIGNED, MESSAGES[UNSIGNED])
    key = keys.key(key_id)
    if key is None:
        return Refusal(UNKNOWN_KEY, MESSAGES[UNKNOWN_KEY])
    expected = sign(fields, key_id, key)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Refusal(SIGNATURE_INVALID, MESSAGES[SIGNATURE_INVALID])
    return None


class CommandSigner:
    """Signs with the current key of `keys` (what a process that sends commands is built with)."""

    def __init__(self, keys: SigningKeys) -> None:
        self._keys = keys

    def sign(self, fields: SignedFields) -> tuple[str, str]:
        """(key id, signature) of `fields` under the current key."""
        key_id = self._keys.current
        return key_id, sign(fields, key_id, self._keys.current_key)
