"""Issue 18, cases 2 and 5: the embedded Temporal server's files are private, and damage or a hang of it
does not stop the commands.

- another OS user (`intruder`) cannot read `dev.db`, `server.json`, the server's log, an outbox e-mail
  or `keys.json`, even in a data directory an older version left open (0755 folders, 0644 files);
- a `server.json` of the wrong shape is ignored; a truncated `dev.db` is moved aside and the server
  starts afresh (the workflows are rebuilt from the event store by `cbct workflows reconcile`);
- a hung (SIGSTOPped) server is replaced within the attach budget, on its recorded ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from activities.sender import FileSender, OutgoingMessage
from infrastructure.keyring import load_file
from infrastructure.temporal_server import EmbeddedTemporal
from tests.second_user import Intruder

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.skipif(os.name != "posix", reason="modes")]


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A data directory any user can enter (as an older version left it; under /tmp, not pytest's 0700
    tmp_path, so that only our own modes stand between the intruder and the files)."""
    base = Path(tempfile.mkdtemp(prefix="cbct-private-"))
    base.chmod(0o755)
    data_dir = base / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    try:
        yield data_dir
    finally:
        for proc in psutil.process_iter(["cmdline", "cwd"]):
            try:
                if "start-dev" in (proc.info["cmdline"] or []) and proc.info["cwd"] == str(data_dir / "temporal"):
                    proc.kill()
            except psutil.Error:
                pass
        shutil.rmtree(base, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _message() -> OutgoingMessage:
    return OutgoingMessage(
        message_id="m-1",
        trajectory_id="t-1",
        kind="announcement",
        recipient="an@geheim.example",
        subject="Aankondiging",
        body="Beste Bibliotheek Geheim,",
        created_at="2026-01-05T09:00:00+01:00",
    )


async def test_another_user_reads_no_file_of_the_server_the_outbox_or_the_keys(
    open_dir: Path, intruder: Intruder
) -> None:
    temporal_dir = open_dir / "temporal"
    temporal_dir.mkdir(mode=0o755)
    temporal_dir.chmod(0o755)  # as an older version made it
    (temporal_dir / "server.json").write_text("{}")
    (temporal_dir / "server.json").chmod(0o644)
    load_file(open_dir)
    outbox = open_dir / "outbox"
    await FileSender(outbox).send(_message())
    server = EmbeddedTemporal(open_dir, ui=False)
    await server.start()
    try:
        files = [temporal_dir / n for n in ("dev.db", "dev.db-wal", "server.json", "server.log", "server.lock")]
        files += [outbox / "m-1.eml", open_dir / "keys.json"]
        for path in files:
            assert path.exists(), path
            assert _mode(path) & 0o077 == 0, f"{path} is {_mode(path):o}"
            result = intruder.run(["cat", str(path)])
            assert result.returncode != 0 and not result.stdout, path
        assert _mode(temporal_dir) == 0o700 and _mode(outbox) == 0o700
        assert intruder.run(["ls", str(temporal_dir)]).returncode != 0
    finally:
        server.stop()


async def test_an_eml_in_an_outbox_others_can_enter_is_still_private(open_dir: Path, intruder: Intruder) -> None:
    outbox = open_dir / "shared-outbox"
    outbox.mkdir(mode=0o755)
    outbox.chmod(0o755)
    receipt = await FileSender(outbox).send(_message())
    assert _mode(Path(receipt.location)) == 0o600
    assert intruder.run(["cat", receipt.location]).returncode != 0


@pytest.mark.parametrize(
    "content",
    ['{"handles": 3}', '{"server": {"pid": "x"}}', '{"port": "abc", "server": null}', "[1, 2]", "\x00" * 10, ""],
    ids=["handles-int", "server-pid-text", "port-text", "list", "binary", "empty"],
)
async def test_a_server_json_of_the_wrong_shape_is_ignored(open_dir: Path, content: str) -> None:
    temporal_dir = open_dir / "temporal"
    temporal_dir.mkdir(parents=True)
    (temporal_dir / "server.json").write_text(content)
    server = EmbeddedTemporal(open_dir, ui=False)
    await server.start()
    server.stop()
    state = json.loads((temporal_dir / "server.json").read_text())
    assert state["server"] is None and state["handles"] == []


async def test_a_truncated_dev_db_is_moved_aside_and_the_server_starts_afresh(open_dir: Path) -> None:
    first = EmbeddedTemporal(open_dir, ui=False)
    await first.start()
    first.stop()
    db = open_dir / "temporal" / "dev.db"
    with db.open("r+b") as file:
        file.truncate(db.stat().st_size // 3)
    for suffix in ("-wal", "-shm"):
        db.with_name(f"dev.db{suffix}").unlink(missing_ok=True)

    server = EmbeddedTemporal(open_dir, ui=False)
    await server.start()
    server.stop()
    [aside] = [
        p for p in db.parent.iterdir() if p.name.startswith("dev.db.corrupt-") and not p.name.endswith(("-wal", "-shm"))
    ]
    assert aside.stat().st_size > 0 and db.exists()


async def test_a_hung_server_is_replaced_within_the_attach_budget_on_its_ports(open_dir: Path) -> None:
    held = EmbeddedTemporal(open_dir)
    before = await held.start()
    os.kill(before.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        replacement = EmbeddedTemporal(open_dir)
        after = await replacement.start()
        took = time.monotonic() - started
        replacement.stop()
    finally:
        held.stop()
        with contextlib.suppress(ProcessLookupError):
            os.kill(before.pid, signal.SIGCONT)
    assert took < 20, took  # main: 45 s, then a failure
    assert after.pid != before.pid
    assert (after.address, after.ui_address) == (before.address, before.ui_address)


async def test_a_cluster_that_hangs_is_one_dutch_line_within_the_connect_budget(
    open_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infrastructure import temporal_client
    from infrastructure.settings import Settings

    monkeypatch.setattr(temporal_client, "CONNECT_TIMEOUT", 2.0)
    server = EmbeddedTemporal(open_dir, ui=False)
    info = await server.start()
    os.kill(info.pid, signal.SIGSTOP)
    try:
        settings = Settings(data_dir=open_dir, temporal_address=info.address)
        started = time.monotonic()
        with pytest.raises(temporal_client.TemporalUnreachable) as unreachable:
            await temporal_client.connect_client(settings)
        assert time.monotonic() - started < 5
        assert str(unreachable.value).startswith(f"De Temporal-server op {info.address} antwoordt niet binnen 2 s")
    finally:
        os.kill(info.pid, signal.SIGKILL)
        server.stop(wait=False)
