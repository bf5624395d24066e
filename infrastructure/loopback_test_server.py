"""Temporal's time-skipping test server, reachable on 127.0.0.1 only.

`temporal-test-server PORT` listens on every interface (`*:PORT`) and has no option to bind one address,
while the workers of `cbct demo`, `cbct scenario run` and the test rig write what it asks into the
configured store: anybody who reaches the port from another machine could submit work. So the server
runs in a network namespace of its own, whose only interface is its own loopback, and a relay carries
127.0.0.1:PORT of the host's namespace into it:

1. the SDK starts "the test server" as `<path> PORT` and kills that process on shutdown; `launcher()`
   gives it a small script (in a private 0700 directory) that runs this file;
2. this file binds 127.0.0.1:PORT in the host's namespace, then execs `unshare --net` (with
   `--user --map-root-user` when not root) into a fresh namespace, keeping the listening socket: a socket
   stays in the namespace it was made in;
3. inside, it brings loopback up, starts the real server on PORT there (killed with the relay), and
   relays each connection accepted on the host's socket to it. Same process id throughout, so the SDK's
   kill ends the relay and with it the server; the relay also ends when its parent is gone.

Where no namespace can be made (no `unshare`, a kernel or container that forbids them) the plain binary
is used, and one warning says that it listens on every interface.

This file also runs as that program, with the standard library only: project imports stay in `launcher`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

_INSIDE = "--inside"
_CONNECT_WITHIN = 30.0
"""Seconds a relayed connection waits for the server inside to accept (it starts in about 0.3 s)."""
_CHUNK = 1 << 16
_PR_SET_PDEATHSIG = 1
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def namespace_command() -> list[str] | None:
    """The `unshare` command line that makes a fresh network namespace here, or None when none can be made."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    argv = [unshare, "--net"] if os.geteuid() == 0 else [unshare, "--user", "--map-root-user", "--net"]
    try:
        probe = subprocess.run([*argv, "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return argv if probe.returncode == 0 else None


@functools.cache
def launcher() -> Path:
    """The program to give the SDK as the test server (`test_server_existing_path`): confined to loopback
    where a network namespace can be made, else the plain binary (with one warning)."""
    from infrastructure import temporal_binaries
    from infrastructure.logging import get_logger

    server = temporal_binaries.test_server_path()
    unshare = namespace_command()
    if unshare is None:
        get_logger(__name__).warning(
            "test_server_not_confined",
            reason="no network namespace can be made here (unshare)",
            effect="the time-skipping test server listens on every interface",
        )
        return server
    directory = _claimed_directory()  # 0700: nobody else can swap the script
    script = directory / "temporal-test-server"
    # -I: not this file's folder first on the path (its logging.py would shadow the standard library's)
    command = [sys.executable, "-I", str(Path(__file__).resolve()), str(server), *unshare]
    script.write_text(f'#!/bin/sh\nexec {shlex.join(command)} "$@"\n', encoding="utf-8")
    script.chmod(0o700)
    import atexit

    atexit.register(shutil.rmtree, directory, True)
    return script


LAUNCHER_PREFIX = "cbct-test-server-"
_claims: list[int] = []  # held for the life of the process: the folder's claim (see infrastructure/scratch.py)


def _claimed_directory() -> Path:
    """A new private folder for the launcher, claimed while this process lives, after removing the folders
    of runs that died without their `atexit` (a killed run leaves its launcher behind otherwise)."""
    from infrastructure.scratch import claimed_directory

    directory, fd = claimed_directory(LAUNCHER_PREFIX)
    _claims.append(fd)
    return directory


# --- the program: outside the namespace, then inside -----------------------------------------------------


def _outside(server: str, unshare: list[str], port: int) -> None:
    """Bind the host's loopback port, then go into a fresh namespace with it (this process: exec)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(128)
    listener.set_inheritable(True)
    here = str(Path(__file__).resolve())
    argv = [*unshare, sys.executable, "-I", here, _INSIDE, server, str(listener.fileno()), str(port)]
    os.execv(argv[0], argv)


def _loopback_up() -> None:
    """`ip link set lo up`, without needing `ip`: a fresh namespace's loopback starts down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _die_with_parent() -> None:
    """In the server's process, before exec: SIGKILL when the relay (its parent) dies, even by kill -9."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy one direction until its end closes (blocking calls in a thread: less latency than an event loop)."""
    try:
        while data := source.recv(_CHUNK):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _relay_one(client: socket.socket, port: int) -> None:
    deadline = time.monotonic() + _CONNECT_WITHIN
    with client:
        while True:
            try:
                upstream = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.02)  # the server inside is still starting: poll its port
        with upstream:
            for end in (client, upstream):
                end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join()


def _accept(listener: socket.socket, port: int) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_relay_one, args=(client, port), daemon=True).start()


def _inside(server: str, listener_fd: int, port: int, parent: int) -> int:
    _loopback_up()
    process = subprocess.Popen([server, str(port)], preexec_fn=_die_with_parent)  # only a prctl: safe
    listener = socket.socket(fileno=listener_fd)
    threading.Thread(target=_accept, args=(listener, port), daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5) and process.poll() is None and os.getppid() == parent:
        pass
    if process.poll() is None:
        process.kill()
    return process.wait()


def main(argv: list[str]) -> int:
    if argv[0] == _INSIDE:  # [--inside, server, listener fd, port]
        return _inside(argv[1], int(argv[2]), int(argv[3]), os.getppid())
    *command, port = argv  # [server, unshare..., PORT] (PORT from the SDK)
    _outside(command[0], command[1:], int(port))
    return 1  # not reached: exec


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
