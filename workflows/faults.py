"""Test-only hooks that let the reliability tests stop a real worker at an exact point.

Inert unless the environment asks for them (never set in production):
- `CBCT_TEST_PAUSE_AT=point[,point]`: when a step reaches `point`, it writes the marker file
  `$CBCT_TEST_MARKER_DIR/<point>` (holding the workflow id) and blocks, so a test can `kill -9` the
  process exactly there. Points: `command:after_append`, `deadline:after_append`, `send:after_write`,
  `deliver:before_record`.
- `CBCT_TEST_FAIL_AT=point[,point]`: the step raises `InjectedFault` (not retried) at `point`, so the
  workflow ends in ERROR. Points: `command:before_handle`.
- `CBCT_TEST_CODE_REVISION=N`: which revision of the code this process pretends to run, to prove that
  a workflow begun under revision N finishes under N+1 (see `workflows/notifications.py`).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from infrastructure.logging import get_logger

log = get_logger(__name__)

PAUSE_AT = "CBCT_TEST_PAUSE_AT"
FAIL_AT = "CBCT_TEST_FAIL_AT"
MARKER_DIR = "CBCT_TEST_MARKER_DIR"
CODE_REVISION = "CBCT_TEST_CODE_REVISION"


class InjectedFault(RuntimeError):
    """A failure a test asked for."""


def fail_point(point: str) -> None:
    """Raise at `point` when a test asked for it; a no-op otherwise."""
    if point in os.environ.get(FAIL_AT, "").split(","):
        raise InjectedFault(f"test fault at {point}")


def code_revision() -> int:
    return int(os.environ.get(CODE_REVISION, "1"))


async def pause_point(point: str, workflow_id: str | None) -> None:
    """Block for good at `point` when a test asked for it; a no-op otherwise."""
    if point not in os.environ.get(PAUSE_AT, "").split(","):
        return
    marker = Path(os.environ.get(MARKER_DIR, ".")) / point
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(workflow_id or "", encoding="utf-8")
    tmp.replace(marker)  # the test sees the marker whole or not at all
    log.warning("test_pause", point=point, workflow_id=workflow_id)
    await asyncio.Event().wait()  # until the test kills the process
