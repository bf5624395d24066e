"""A process ends through `end_process`: its `atexit` work runs, what it printed arrives, and the status
is the one it asked for (`tests/workflows/test_worker_shutdown_grace.py` holds a worker's exit to 0)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from infrastructure.process_end import exit_code

PROGRAM = textwrap.dedent(
    """
    import atexit, sys
    from infrastructure.process_end import end_process
    atexit.register(lambda: print("atexit ran", flush=False))
    print("printed before", end="; ")
    print("on stderr", file=sys.stderr, end="")
    end_process({code!r})
    print("never")
    """
)


@pytest.mark.parametrize(("code", "status"), [(0, 0), (None, 0), (3, 3), ("Kapot.", 1)])
def test_the_atexit_work_runs_the_output_arrives_and_the_status_is_kept(code: object, status: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(code=code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == status
    assert done.stdout == "printed before; atexit ran\n"
    assert done.stderr.startswith("on stderr")
    assert "never" not in done.stdout
    if isinstance(code, str):
        assert done.stderr.endswith("Kapot.\n")


def test_a_status_is_read_as_the_interpreter_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(None) == 0
    assert exit_code(2) == 2
    assert exit_code("fout") == 1
    assert capsys.readouterr().err == "fout\n"
