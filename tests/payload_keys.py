"""The payload key of the tests' own Temporal servers: fixed, so that a recorded history replays.

Processes a test starts get it as `CBCT_PAYLOAD_KEYS`; the test's own clients use `converter_for_tests()`.
"""

from __future__ import annotations

import base64

from temporalio.converter import DataConverter

from infrastructure.keyring import KeySet, parse_keys
from infrastructure.payload_codec import encrypted_data_converter

TEST_PAYLOAD_KEYS = "test-1:" + base64.b64encode(b"cbct-tests-payload-key-32-bytes!").decode()
TEST_KEYS: KeySet = parse_keys(TEST_PAYLOAD_KEYS, "TEST_PAYLOAD_KEYS")


def converter_for_tests() -> DataConverter:
    """What every client and worker of the tests speaks: pydantic, encrypted under the test key."""
    return encrypted_data_converter(TEST_KEYS)


def replay_converter() -> DataConverter:
    """For replaying recorded histories: those of before encryption are plain, later ones encrypted."""
    return encrypted_data_converter(TEST_KEYS, accept_plain=True)
