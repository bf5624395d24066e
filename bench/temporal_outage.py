"""What a worker does when its Temporal server dies: the figures of issue 19, case 1.

Run:
    python -m bench.temporal_outage kills [--kills 5] [--repo DIR]
    python -m bench.temporal_outage outage [--seconds 60] [--repo DIR]

`kills`: a `python -m worker` on the embedded servers of a fresh data directory; the dev server is
killed with -9 `--kills` times. Per kill: seconds until a new server process answers on its recorded
gRPC port (none within 30 s: the worker stays deaf), and its gRPC and Web UI ports.

`outage`: a dev server of our own at `CBCT_TEMPORAL_ADDRESS`; the worker's server is killed, stays away
`--seconds`, and is started again on its port and file. Counts the lines the worker logs meanwhile and
the seconds until it is connected again (a command answered).

`--repo` runs the worker of another checkout (its `.venv`), for a before/after. The worker's Postgres is
the embedded one of the data directory. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from infrastructure.loopback_port import free_port
from infrastructure.temporal_binaries import temporal_cli_path

HERE = Path(__file__).resolve().parents[1]


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _until(check: Any, within: float) -> float | None:
    """Seconds until `check()` holds, None when it does not within `within` (polled every 20 ms)."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def _worker(repo: Path, data_dir: Path, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBCT_")}
    env.update(CBCT_DATA_DIR=str(data_dir), CBCT_LOG_FORMAT="json", CBCT_SHUTDOWN_GRACE_SECONDS="1", **extra)
    python = repo / ".venv" / "bin" / "python"
    with log.open("wb") as err:
        return subprocess.Popen([str(python), "-m", "worker"], cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=err)


def _started(log: Path) -> bool:
    return log.exists() and b'"worker_started"' in log.read_bytes()


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def kills(repo: Path, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cbct-kills-") as tmp:
        data_dir, log = Path(tmp) / "data", Path(tmp) / "worker.err"
        state_file = data_dir / "temporal" / "server.json"
        worker = _worker(repo, data_dir, log)
        try:
            assert _until(lambda: _started(log), 120) is not None, log.read_text()
            state = json.loads(state_file.read_text())
            rows: list[dict[str, Any]] = [{"kill": 0, "port": state["port"], "ui_port": state["ui_port"]}]
            for kill in range(1, count + 1):
                old = state["server"]["pid"]
                os.kill(old, signal.SIGKILL)
                killed = time.monotonic()

                def back(old: int = old) -> bool:
                    server = json.loads(state_file.read_text()).get("server")
                    return bool(
                        server and server["pid"] != old and _accepts(json.loads(state_file.read_text())["port"])
                    )

                seconds = _until(back, 30.0)
                if seconds is None:
                    rows.append({"kill": kill, "back_after_s": None})
                    break
                state = json.loads(state_file.read_text())
                rows.append(
                    {
                        "kill": kill,
                        "back_after_s": round(time.monotonic() - killed, 2),
                        "port": state["port"],
                        "ui_port": state["ui_port"],
                    }
                )
                time.sleep(2.0)  # a benchmark, not a test: let the worker settle before the next kill
        finally:
            _stop(worker)
            server = json.loads(state_file.read_text()).get("server") if state_file.exists() else None
            if server:  # the worker's stop already asked it to stop; a server it never revived may linger
                with contextlib.suppress(OSError):
                    os.kill(server["pid"], signal.SIGTERM)
        logged = [_event(line) for line in log.read_bytes().splitlines()]
        healed = [
            json.loads(line)["after_seconds"] for line in log.read_bytes().splitlines() if b"temporal_back" in line
        ]
    ports = {(r["port"], r["ui_port"]) for r in rows if "port" in r}
    return {
        "mode": "kills",
        "repo": str(repo),
        "rows": rows,
        "distinct_ports": len(ports),
        "worker_back_after_s": healed,
        "lines_logged": len(logged),
    }


def outage(repo: Path, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cbct-outage-") as tmp:
        port = free_port()
        argv = [
            str(temporal_cli_path()), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(port), "--namespace", "cbct", "--log-level", "error", "--db-filename", f"{tmp}/dev.db",
        ]  # fmt: skip
        server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        data_dir, log = Path(tmp) / "data", Path(tmp) / "worker.err"
        assert _until(lambda: _accepts(port), 30) is not None
        worker = _worker(repo, data_dir, log, CBCT_TEMPORAL_ADDRESS=f"127.0.0.1:{port}")
        try:
            assert _until(lambda: _started(log), 120) is not None, log.read_text()
            time.sleep(1.0)
            server.kill()
            server.wait()
            before = len(log.read_bytes().splitlines())
            time.sleep(seconds)  # the outage
            during = log.read_bytes().splitlines()[before:]
            server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            restarted = time.monotonic()
            reconnect = _until(lambda: b'"temporal_back"' in log.read_bytes(), 60)
            return {
                "mode": "outage",
                "repo": str(repo),
                "outage_s": seconds,
                "lines_logged_during_outage": len(during),
                "events_during_outage": sorted({_event(line) for line in during}),
                "reconnected_after_restart_s": None if reconnect is None else round(time.monotonic() - restarted, 2),
            }
        finally:
            _stop(worker)
            server.terminate()
            server.wait(15)


def _event(line: bytes) -> str:
    try:
        return str(json.loads(line).get("event"))
    except ValueError:
        return line.decode(errors="replace")[:80]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["kills", "outage"])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repo", default=str(HERE))
    args = parser.parse_args()
    result = kills(Path(args.repo), args.kills) if args.mode == "kills" else outage(Path(args.repo), args.seconds)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
