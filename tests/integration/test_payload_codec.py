"""The payload codec (issue 18, case 2): AES-GCM by key id, rotation, and refusal of whatever is not ours.

What a workflow does with a refused payload (the update is rejected, the next command still answered) is
in `tests/workflows/test_payload_encryption.py`; what another OS user can read, in
`tests/integration/test_temporal_private.py`.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from infrastructure.keyring import KeySet, load_file, parse_keys, rotate
from infrastructure.payload_codec import (
    ENCODING,
    KEY_ID,
    REFUSED_ENCODING,
    REFUSED_ERROR_TYPE,
    EncryptionCodec,
    encrypted_data_converter,
)
from workflows.contracts import TrajectoryInput

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEYS = parse_keys("a:" + base64.b64encode(b"a" * 32).decode(), "test")
SECRET = TrajectoryInput(trajectory_id="bibliotheek-geheim")


async def test_a_payload_is_ciphertext_named_by_its_key_and_reads_back() -> None:
    converter = encrypted_data_converter(KEYS)
    [payload] = await converter.encode([SECRET])
    assert payload.metadata["encoding"] == ENCODING and payload.metadata[KEY_ID] == b"a"
    assert b"geheim" not in payload.SerializeToString()
    assert await converter.decode([payload], [TrajectoryInput]) == [SECRET]


async def test_failure_messages_are_encrypted_too() -> None:
    from temporalio.api.failure.v1 import Failure

    failure = Failure()
    await encrypted_data_converter(KEYS).encode_failure(ApplicationError("Bibliotheek Geheim weigert"), failure)
    assert "Geheim" not in str(failure) and failure.message == "Encoded failure"
    assert str(await encrypted_data_converter(KEYS).decode_failure(failure)) == "Bibliotheek Geheim weigert"


async def test_after_a_rotation_old_payloads_still_read_and_new_ones_use_the_new_key(tmp_path: Path) -> None:
    before = load_file(tmp_path).payload
    [old] = await encrypted_data_converter(before).encode([SECRET])
    new_id = rotate(tmp_path, "payload")
    after = load_file(tmp_path).payload
    assert after.current == new_id != before.current
    [new] = await encrypted_data_converter(after).encode([SECRET])
    assert new.metadata[KEY_ID] == new_id.encode()
    assert await encrypted_data_converter(after).decode([old, new], [TrajectoryInput, TrajectoryInput]) == [SECRET] * 2


async def _refusal(payload: Payload, keys: KeySet = KEYS) -> str:
    [opened] = await EncryptionCodec(keys).decode([payload])
    assert opened.metadata["encoding"] == REFUSED_ENCODING and not opened.data
    with pytest.raises(ApplicationError) as refused:
        encrypted_data_converter(keys).payload_converter.from_payloads([opened], [TrajectoryInput])
    assert refused.value.type == REFUSED_ERROR_TYPE and refused.value.non_retryable
    return str(refused.value)


async def test_a_plain_payload_is_refused_not_read() -> None:
    [plain] = await pydantic_data_converter.encode([SECRET])
    assert "not encrypted" in await _refusal(plain)


async def test_a_payload_under_an_unknown_key_is_refused() -> None:
    other = parse_keys("b:" + base64.b64encode(b"b" * 32).decode(), "test")
    [foreign] = await encrypted_data_converter(other).encode([SECRET])
    assert "unknown payload key 'b'" in await _refusal(foreign)


async def test_a_tampered_payload_or_a_swapped_key_id_is_refused() -> None:
    two = parse_keys(",".join(f"{k}:" + base64.b64encode(k.encode() * 32).decode() for k in "ab"), "test")
    [payload] = await encrypted_data_converter(two).encode([SECRET])
    tampered = Payload(metadata=dict(payload.metadata), data=payload.data[:-1] + bytes([payload.data[-1] ^ 1]))
    assert "does not authenticate" in await _refusal(tampered, two)
    swapped = Payload(metadata={**payload.metadata, KEY_ID: b"b"}, data=payload.data)
    assert "does not authenticate" in await _refusal(swapped, two)
    assert "does not authenticate" in await _refusal(Payload(metadata=dict(payload.metadata), data=b"short"), two)


async def test_only_the_replayer_may_read_plain_histories() -> None:
    [plain] = await pydantic_data_converter.encode([SECRET])
    assert await EncryptionCodec(KEYS, accept_plain=True).decode([plain]) == [plain]


async def test_a_running_process_reads_payloads_under_a_key_rotated_in_after_it_started(tmp_path: Path) -> None:
    running = encrypted_data_converter(load_file(tmp_path).payload, reload=lambda: load_file(tmp_path).payload)
    rotate(tmp_path, "payload")
    [new] = await encrypted_data_converter(load_file(tmp_path).payload).encode([SECRET])
    assert await running.decode([new], [TrajectoryInput]) == [SECRET]
