"""What a pooled read costs with asyncpg's reset on every release, and with `session_state.reset`.

Run:
    python -m bench.pool_release [--clients 4] [--reads 2000] [--rounds 3]

Each round: two pools of the same size and settings on the Postgres at CBCT_DATABASE_URL (else the
embedded one), one with asyncpg's default reset (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN
*; RESET ALL` at each release), one with ours (nothing, unless the connection was marked); `--clients`
tasks each acquire, `SELECT 1` and release `--reads` times. Rounds alternate, so a change in the
machine's load hits both. Prints reads/s and the client's CPU per read (this process: the part
`cbct serve` pays); the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from infrastructure import session_state
from infrastructure.database import Database, session_settings
from infrastructure.settings import Settings

Reset = Callable[[asyncpg.Connection], Awaitable[None]] | None


async def _round(url: str, reset: Reset, clients: int, reads: int) -> tuple[float, float]:
    """Reads per second and client CPU µs per read."""
    extra: dict[str, Any] = {} if reset is None else {"reset": reset}
    pool = await asyncpg.create_pool(
        url, min_size=clients, max_size=clients, server_settings=session_settings(Settings()), **extra
    )
    try:

        async def client() -> None:
            for _ in range(reads):
                async with pool.acquire() as conn:
                    await conn.fetchval("SELECT 1")

        await asyncio.gather(*(client() for _ in range(clients)))  # warm: statements prepared
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await pool.close()
    total = clients * reads
    return total / wall, cpu / total * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reads", type=int, default=2000, help="per client and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    database = Database.from_settings(Settings())
    try:
        url = database.url
        results: dict[str, list[tuple[float, float]]] = {"asyncpg_reset": [], "session_state": []}
        for number in range(args.rounds):
            for name, reset in (("asyncpg_reset", None), ("session_state", session_state.reset)):
                rate, cpu = await _round(url, reset, args.clients, args.reads)
                results[name].append((rate, cpu))
                print(f"round {number + 1} {name:14} {rate:8.0f} reads/s  client CPU {cpu:6.1f} µs/read")
    finally:
        database.close()
    best = {name: (max(r for r, _ in runs), min(c for _, c in runs)) for name, runs in results.items()}
    ratio = best["session_state"][0] / best["asyncpg_reset"][0]
    print(
        f"best of {args.rounds}: {best['asyncpg_reset'][0]:.0f} → {best['session_state'][0]:.0f} reads/s "
        f"(×{ratio:.2f}); client CPU {best['asyncpg_reset'][1]:.1f} → {best['session_state'][1]:.1f} µs/read"
    )
    print(json.dumps({
        "reads_per_s": {name: round(v[0]) for name, v in best.items()},
        "client_cpu_us_per_read": {name: round(v[1], 1) for name, v in best.items()},
        "ratio": round(ratio, 2),
        "clients": args.clients,
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
