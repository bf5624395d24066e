"""Seeded draws that do not depend on a random stream: the same seed and key give the same number."""

from __future__ import annotations

import hashlib


def unit(seed: int, key: str, purpose: str) -> float:
    """A uniform number in [0, 1) from a seeded hash: stable across processes and Python versions."""
    digest = hashlib.sha256(f"{seed}|{key}|{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
