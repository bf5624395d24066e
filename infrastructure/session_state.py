"""Which pooled connections carry session state past their release, so that only those are reset.

asyncpg's default reset runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on
every release: one round trip each time, ~0.1 ms of the client's CPU, and an API read takes two or
three connections. Our pooled sessions leave nothing behind a transaction (`SET LOCAL`, transaction
locks, temporary tables `ON COMMIT DROP`; LISTEN has a connection of its own), except a session advisory
lock a projection runner holds while it follows. A connection that takes such state is marked with
`keeps_session_state`, and `reset` runs the full reset for it alone. asyncpg itself still rolls back a
transaction left open and drops listeners on every release.

A mark is the backend's pid (the raw connection is not reachable from a pool's proxy). A pid reused by
a later connection after its marked one died only earns that one a full reset: the safe side.
"""

from __future__ import annotations

import asyncpg
from asyncpg.pool import PoolConnectionProxy

_MARKED: set[int] = set()


def keeps_session_state(connection: asyncpg.Connection | PoolConnectionProxy) -> None:
    """Reset this pooled connection in full when it goes back to the pool (call before taking the state)."""
    _MARKED.add(connection.get_server_pid())


async def reset(connection: asyncpg.Connection) -> None:
    """The pool's reset: asyncpg's full reset for a marked connection, nothing for the others."""
    pid = connection.get_server_pid()
    if pid not in _MARKED:
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)
    _MARKED.discard(pid)
