"""A real process for the reliability tests: `python -m tests.workflows.agent <action> ...`.

It is assembled exactly like the CLI and the worker (`bootstrap(launch_workflows=True)`, settings from
`CBCT_*`), does one thing, and prints its result as one JSON line on stdout. Logs go to stderr.
Actions: `submit TYPE PAYLOAD_JSON [--go FILE]`, `tick TO`, `dispatch AT [--go FILE]`, `failed`,
`retry WORKFLOW_ID`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from bootstrap import App, bootstrap
from infrastructure.logging import configure_logging
from infrastructure.settings import Settings


def _arrive(go: str) -> None:
    Path(f"{go}.ready.{os.getpid()}").touch()


def _released(go: str) -> bool:
    return Path(go).exists()


async def _wait_for_go(go: str | None) -> None:
    """A barrier, so two processes act at the same moment (after their slow start-up)."""
    if not go:
        return
    _arrive(go)
    while True:
        if _released(go):
            return
        await asyncio.sleep(0.005)


async def _submit(app: App, args: argparse.Namespace) -> Any:
    from application.trajectories import parse_command
    from workflows.commands import submit

    command = parse_command(args.type, json.loads(args.payload))
    await _wait_for_go(args.go)
    return await submit(app, command)


async def _tick(app: App, args: argparse.Namespace) -> Any:
    from workflows.dispatcher import tick

    return (await tick(app, datetime.fromisoformat(args.to))).as_dict()


async def _dispatch(app: App, args: argparse.Namespace) -> Any:
    from projections.deadlines import due_deadlines
    from workflows.dispatcher import fire_deadlines

    at = datetime.fromisoformat(args.at)
    await app.projections.catch_up()
    due = await due_deadlines(app.pool, at)
    await _wait_for_go(args.go)
    fired = await fire_deadlines(app, due, at)
    return [{"deadline_id": f.deadline_id, "outcome": f.outcome} for f in fired]


async def _failed(app: App, args: argparse.Namespace) -> Any:
    from workflows.engine import failed_workflows

    return await failed_workflows(100)


async def _retry(app: App, args: argparse.Namespace) -> Any:
    from workflows.engine import retry_workflow

    return await retry_workflow(args.workflow_id)


ACTIONS = {"submit": _submit, "tick": _tick, "dispatch": _dispatch, "failed": _failed, "retry": _retry}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("submit")
    p.add_argument("type")
    p.add_argument("payload")
    p.add_argument("--go")
    p = sub.add_parser("tick")
    p.add_argument("to")
    p = sub.add_parser("dispatch")
    p.add_argument("at")
    p.add_argument("--go")
    sub.add_parser("failed")
    p = sub.add_parser("retry")
    p.add_argument("workflow_id")
    args = parser.parse_args()
    settings = Settings()
    configure_logging("json", settings.log_level, stream=sys.stderr)

    async def run() -> Any:
        async with bootstrap(settings, launch_workflows=True) as app:
            return await ACTIONS[args.action](app, args)

    print(json.dumps(asyncio.run(run())), flush=True)


if __name__ == "__main__":
    main()
