"""asyncpg's pool warnings (one per retry while the database is away) are one JSON line, no traceback."""

from __future__ import annotations

import io
import json
import logging

from infrastructure.logging import configure_logging


def test_a_library_warning_with_its_exception_is_one_json_line() -> None:
    out = io.StringIO()
    configure_logging("json", "info", stream=out)
    configure_logging("json", "info", stream=out)  # configured twice: still one line a record
    try:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    except ConnectionRefusedError:
        logging.getLogger("asyncpg.pool").warning(
            "Failed to restore the pool connection floor; retrying", exc_info=True
        )
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.getvalue()
    line = json.loads(lines[0])
    assert line["event"] == "Failed to restore the pool connection floor; retrying"
    assert line["level"] == "warning" and line["logger"] == "asyncpg.pool"
    assert line["error"].startswith("ConnectionRefusedError: [Errno 111] Connect call failed")
    logging.getLogger("asyncpg.connection").debug("below the level: not written")
    assert len(out.getvalue().splitlines()) == 1
