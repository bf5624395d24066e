"""Password hashing with argon2id (argon2-cffi), off the event loop.

Hashing is deliberately slow (RFC 9106's low-memory profile: 3 passes over 64 MiB), so it runs in a
thread and never holds up other requests. `verify_dummy` spends the same time on a user name no
account has, so a failed sign-in does not tell by its timing whether the name exists.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Passwords:
    """The `PasswordHashing` port of `application.account_service`."""

    def __init__(self, hasher: PasswordHasher | None = None, *, at_once: int = 4) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash("cbct: dit is geen wachtwoord van iemand")
        self._limit = at_once  # each hash takes 64 MiB: a flood queues, memory stays bounded
        self._gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    @property
    def _at_once(self) -> asyncio.Semaphore:
        """One gate per event loop (a semaphore belongs to the loop it first waited in)."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            self._gates = {other: g for other, g in self._gates.items() if not other.is_closed()}
            gate = self._gates[loop] = asyncio.Semaphore(self._limit)
        return gate

    async def hash(self, password: str) -> str:
        async with self._at_once:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._at_once:
            return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        async with self._at_once:
            await asyncio.to_thread(self._verify, self._dummy, password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
