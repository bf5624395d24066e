"""Every Temporal payload encrypted: AES-GCM under the data directory's payload key, named by key id.

The embedded Temporal server cannot authenticate anyone on the machine, and its SQLite file, its Web
UI and its API are all readable or reachable by another local account. So what our clients and
workers hand it is ciphertext: workflow inputs, updates, results, activity arguments, failure
messages (`DefaultFailureConverterWithEncodedAttributes` moves them into a payload too). A payload
is stored as `binary/encrypted` with metadata `encryption-key-id`; after a rotation old payloads stay
readable under their old key (the scheme of temporalio/samples-python `encryption/`).

What is not ours is refused, never read: a payload that is plain, names an unknown key or does not
authenticate decodes to a *refused* payload without data, and the converter raises a non-retryable
`ApplicationError` for it when a handler's arguments are converted. In a workflow that rejects the
update, fails a start (the workflow, not its task, so nothing retries for ever) and fails a query;
raising in the codec itself instead would fail the whole workflow task, and with it the next
legitimate command queued behind the intruder's (`tests/integration/test_payload_codec.py`).
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    EncodingPayloadConverter,
    PayloadCodec,
)
from temporalio.exceptions import ApplicationError

from infrastructure.keyring import KEY_BYTES, KeySet, ReloadingKeySet

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
REFUSED_ENCODING = b"binary/cbct-refused"
REFUSED_ERROR_TYPE = "PayloadRefused"
_NONCE_BYTES = 12


class EncryptionCodec(PayloadCodec):
    """AES-GCM over each serialised payload; the key id is authenticated data, so it cannot be swapped.

    `accept_plain` lets unencrypted payloads through unchanged: only for replaying histories recorded
    before encryption (tests), never for a client or worker.
    """

    def __init__(self, keys: KeySet, *, accept_plain: bool = False, reload: Callable[[], KeySet] | None = None) -> None:
        # A key id we do not know yet may come from a rotation since we started: the key file is read
        # again (at most once a second). We keep encoding under our current key, which every process reads.
        self._keys = ReloadingKeySet(keys, reload)
        self._accept_plain = accept_plain
        self._ciphers: dict[str, AESGCM] = {}

    def _cipher(self, key_id: str) -> AESGCM | None:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            key = self._keys.key(key_id)
            if key is None:
                return None
            cipher = self._ciphers[key_id] = AESGCM(key)
        return cipher

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self._keys.current
        cipher = self._cipher(key_id)
        assert cipher is not None  # KeySet guarantees the current key exists
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _open(self, payload: Payload) -> Payload:
        encoding = payload.metadata.get("encoding", b"")
        if encoding != ENCODING:
            if self._accept_plain:
                return payload
            return refused("the payload is not encrypted")
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._cipher(key_id)
        if cipher is None:
            return refused(f"unknown payload key {key_id[:40]!r}")
        data = payload.data
        try:
            return Payload.FromString(cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode()))
        except (InvalidTag, ValueError):
            return refused(f"the payload does not authenticate under key {key_id!r}")


def refused(reason: str) -> Payload:
    """A stand-in without data for a payload we will not read; converting it raises `PayloadRefused`."""
    return Payload(metadata={"encoding": REFUSED_ENCODING, "reason": reason.encode()})


class RefusedPayloadConverter(EncodingPayloadConverter):
    """Turns a refused payload into a non-retryable error where its value is asked for."""

    @property
    def encoding(self) -> str:
        return REFUSED_ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        return None  # never encodes anything

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        reason = payload.metadata.get("reason", b"").decode("utf-8", "replace")
        raise ApplicationError(f"payload refused: {reason}", type=REFUSED_ERROR_TYPE, non_retryable=True)


class ProtectedPayloadConverter(CompositePayloadConverter):
    """The pydantic converter that also knows refused payloads."""

    def __init__(self) -> None:
        super().__init__(*PydanticPayloadConverter().converters.values(), RefusedPayloadConverter())


def encrypted_data_converter(
    keys: KeySet, *, accept_plain: bool = False, reload: Callable[[], KeySet] | None = None
) -> DataConverter:
    """`pydantic_data_converter` with every payload (failure messages included) encrypted under `keys`;
    `reload` reads the keys again when a payload names a key id rotated in since."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=ProtectedPayloadConverter,
        payload_codec=EncryptionCodec(keys, accept_plain=accept_plain, reload=reload),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def ephemeral_data_converter() -> DataConverter:
    """An encrypted converter under a random key of this process only: for a server no other process
    shares (the skipped-time worlds' test servers), so no key needs storing."""
    return encrypted_data_converter(KeySet(current="ephemeral", keys={"ephemeral": secrets.token_bytes(KEY_BYTES)}))
