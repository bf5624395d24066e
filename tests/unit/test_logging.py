"""Logs: JSON lines off a terminal, with the ids bound for the operation on every line."""

from __future__ import annotations

import io
import json

from infrastructure.logging import bind_operation, configure_logging, get_logger


def test_json_lines_carry_bound_trajectory_and_command_ids() -> None:
    """Inside bind_operation every line has the ids; outside it they are gone."""
    out = io.StringIO()
    configure_logging("auto", "info", stream=out)
    log = get_logger("test")
    with bind_operation(trajectory_id="t-1", command_id="c-9", request_id=None):
        log.info("command_accepted", events=2)
    log.info("after")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["event"] == "command_accepted" and first["trajectory_id"] == "t-1" and first["command_id"] == "c-9"
    assert "request_id" not in first and first["level"] == "info" and "timestamp" in first
    assert "trajectory_id" not in second


def test_level_filter_drops_debug_lines() -> None:
    """At level info, debug lines are not written."""
    out = io.StringIO()
    configure_logging("json", "info", stream=out)
    get_logger("test").debug("noise")
    assert out.getvalue() == ""
