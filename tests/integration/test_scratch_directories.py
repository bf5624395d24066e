"""Scratch directories (a scenario run's outbox): removed by the next run only when their owner is gone.

The claim is a `flock` on `.owner`, which the kernel drops when the owning process dies: a directory
whose marker can be locked is stale. A live owner's, one without a marker, a symlink and a plain file
of the same prefix are all left alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from infrastructure.scratch import remove_stale_directories, scratch_directory

PREFIX = "cbct-test-scratch-"


def test_a_scratch_directory_is_claimed_while_it_lives_and_removed_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root = tmp_path / "cbct" / "scratch"
    with scratch_directory(PREFIX) as path:
        assert path.parent == root and path.name.startswith(PREFIX)
        assert (root.stat().st_mode & 0o777) == 0o700
        assert (path.stat().st_mode & 0o777) == 0o700
        assert (path / ".owner").read_text() == f"{os.getpid()}\n"
        assert remove_stale_directories(root, PREFIX) == []  # claimed by us: kept
        assert path.is_dir()
    assert not path.exists()


def test_only_directories_whose_owner_is_gone_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f"{PREFIX}dead"
    dead.mkdir()
    (dead / ".owner").write_text("4242\n")  # nobody holds its lock
    (dead / "mail.eml").write_text("Aan: anna@x.example")

    live = tmp_path / f"{PREFIX}live"
    live.mkdir()
    marker = live / ".owner"
    marker.write_text("")
    holder = subprocess.Popen(  # another process claims it, as a concurrent run would
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); print('ok', flush=True); "
            "sys.stdin.read()",
            str(marker),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ok\n"

        unmarked = tmp_path / f"{PREFIX}older"
        unmarked.mkdir()
        target = tmp_path / "elsewhere"
        target.mkdir()
        (target / ".owner").write_text("")
        (tmp_path / f"{PREFIX}link").symlink_to(target)
        (tmp_path / f"{PREFIX}file").write_text("")
        other = tmp_path / "not-ours"
        other.mkdir()
        (other / ".owner").write_text("")

        assert remove_stale_directories(tmp_path, PREFIX) == [dead]
        assert not dead.exists()
        assert live.is_dir() and unmarked.is_dir() and target.is_dir() and other.is_dir()
        assert (tmp_path / f"{PREFIX}link").is_symlink() and (tmp_path / f"{PREFIX}file").is_file()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)

    # Its owner has ended: now it is stale.
    assert remove_stale_directories(tmp_path, PREFIX) == [live]
    assert unmarked.is_dir() and target.is_dir() and (target / ".owner").exists()


def test_the_scratch_root_is_this_users_own_or_else_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infrastructure.scratch import scratch_root

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temp"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "cache" / "cbct").mkdir(parents=True)
    (tmp_path / "cache" / "cbct" / "scratch").mkdir(mode=0o755)  # made too open: closed
    assert scratch_root() == tmp_path / "cache" / "cbct" / "scratch"
    assert ((tmp_path / "cache" / "cbct" / "scratch").stat().st_mode & 0o777) == 0o700

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("")  # no folder can be made under it
    assert scratch_root() == tmp_path / "temp"

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "planted"))
    (tmp_path / "planted" / "cbct").mkdir(parents=True)
    (tmp_path / "planted" / "cbct" / "scratch").symlink_to(tmp_path / "elsewhere")  # not a folder of ours
    assert scratch_root() == tmp_path / "temp"
