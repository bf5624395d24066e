"""How often another program's `bind(0)` is handed a port we chose for a server: with `free_port`'s
TIME_WAIT hold, and with the plain probe (bind port 0, close) it replaced, in the same run.

Run:
    python -m bench.port_reservation [--ports 20] [--binds 40000]

Takes `--ports` ports each way, then makes `--binds` `bind(0)` calls (as the Temporal dev server does
for its internal services while it starts) and counts those that got one of them. The hold lasts about
a minute on Linux, so the run stays well inside it. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import socket
import time
from collections.abc import Callable

from infrastructure.loopback_port import free_port


def plain_probe() -> int:
    """The old way: a port free for a moment only."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def collisions(choose: Callable[[], int], ports: int, binds: int) -> tuple[int, float]:
    """How many of `binds` `bind(0)` calls got one of `ports` chosen ports, and the seconds it took."""
    chosen = {choose() for _ in range(ports)}
    started = time.monotonic()
    hits = 0
    for _ in range(binds):
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            hits += other.getsockname()[1] in chosen
    return hits, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, default=20, help="ports chosen each way (default 20)")
    parser.add_argument("--binds", type=int, default=40_000, help="bind(0) calls after (default 40000)")
    args = parser.parse_args()
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
        low, high = map(int, ranges.read().split())
    print(f"ephemeral range {low}-{high}: {high - low + 1} ports; {args.ports} chosen, {args.binds} bind(0) after")
    held, held_s = collisions(free_port, args.ports, args.binds)
    plain, plain_s = collisions(plain_probe, args.ports, args.binds)
    print(f"free_port (TIME_WAIT hold): {held} collisions in {held_s:.1f} s")
    print(f"plain probe (baseline):     {plain} collisions in {plain_s:.1f} s")
    print(json.dumps({"held_collisions": held, "plain_collisions": plain, "ports": args.ports, "binds": args.binds}))


if __name__ == "__main__":
    main()
