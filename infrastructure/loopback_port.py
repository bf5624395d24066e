"""A free loopback port that stays free until its user binds it.

A port found by binding port 0 and closing is free only for a moment: the kernel hands the same number
to the next `bind(0)` on the machine. The Temporal dev server picks its internal ports (history,
matching, worker, metrics) exactly that way while it starts, so a port we chose for its frontend or its
Web UI could be given to one of its own services, and it would panic with "address already in use".
CI saw this once in ~1,400 tests. The Temporal CLI's own `GetFreePort` answers the same race the way
done here: leave the port in TIME_WAIT, which `bind(0)` skips (for 60 s on Linux) and a listener with
SO_REUSEADDR (Go's, uvicorn's, asyncio's) may still bind.
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` nobody listens on, held back from other `bind(0)` calls for about a minute."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        # The TIME_WAIT entry inherits this flag, and a later listener with SO_REUSEADDR may bind the
        # port only if the entry has it too.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection((host, port), timeout=5) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the listening side closes first, so the TIME_WAIT entry holds our port
            client.recv(1)  # its end of stream: the close has gone out before the client's own close
    return port
