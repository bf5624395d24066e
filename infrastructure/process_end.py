"""How a process that used the Temporal SDK ends: its exit work, its output flushed, then `os._exit`.

The SDK's core runs Rust (tokio) threads that the interpreter's finalization knows nothing of. One that
completes a request while Python finalizes aborts the process ("PyGILState_Release: thread state must be
current", temporalio/sdk-python#300: a worker that stopped cleanly exits -6), and dropping the core's
runtime can wait on a request to a server that died (a CLI that has printed its answer does not exit).
Once a process has done and said everything, finalization has nothing left worth those risks: the
`atexit` work (the embedded Postgres's stop, temporary folders, the log handlers' flush) still runs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from typing import NoReturn


def exit_code(code: object) -> int:
    """`SystemExit.code` as the process's exit status, as the interpreter reads it: None is 0, a number
    is itself, anything else is printed on stderr and is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def end_process(code: object = 0) -> NoReturn:
    """Run the `atexit` work, flush stdout and stderr, and leave without the interpreter's finalization."""
    status = exit_code(code)
    try:
        atexit._run_exitfuncs()  # what a normal exit runs first; registered work must not be skipped
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing reaches it
                stream.flush()
        os._exit(status)
