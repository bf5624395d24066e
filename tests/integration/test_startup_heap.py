"""A started process's objects are frozen: full collections no longer walk them (`gc.freeze`).

In a child process: freezing the test runner's own heap would keep its cyclic garbage for good."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import gc
from infrastructure.startup_heap import freeze_startup_heap

kept = [[object()] for _ in range(1000)]
assert any(o is kept for o in gc.get_objects())
frozen = freeze_startup_heap()
assert frozen >= 1000, frozen
assert not any(o is kept for o in gc.get_objects()), "a full collection still walks what start-up made"
later = [object()]
assert any(o is later for o in gc.get_objects()), "what comes after is collected as ever"
print("ok", frozen)
"""


def test_what_a_process_holds_at_start_up_is_out_of_the_collectors_way() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
