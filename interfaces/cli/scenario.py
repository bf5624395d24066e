"""`cbct scenario run FILE`: rehearse one trajectory in skipped time through the real workflows.

Runs on a scratch database (created on the configured server, dropped afterwards; one left behind by a
killed run is dropped by the next, as is its outbox) and Temporal's time-skipping test server, so
nothing of the real register or the real workflows is touched. The file is bounded before anything
starts (size, depth, aliases, steps, dates: see `application/scenarios/file.py`). Prints
each step's answer, the deadlines still open, the register row and the timeline; `--format json` gives
the same as one JSON document. Exit codes: 0 every expectation met, 1 one or more not met, 2 the file
is no valid scenario (the message names the step and the field).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from application.scenarios.file import Scenario, ScenarioFileError, load_scenario
from application.scenarios.run import ScenarioOutcome, Snapshot, run_scenario
from domain.calendar import AMSTERDAM
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, console, fail, print_json, print_table

OUTBOX_PREFIX = "cbct-scenario-outbox-"

app = typer.Typer(
    help="Scenario's: een traject oefenen in versnelde tijd, met de echte workflows.", no_args_is_help=True
)


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"


async def _run(scenario: Scenario) -> ScenarioOutcome:
    from infrastructure.scratch import scratch_directory
    from interfaces.skipped_time import open_world, scratch_database

    settings = Settings()
    with scratch_directory(OUTBOX_PREFIX) as outbox:
        async with scratch_database(settings) as url, open_world(url, outbox, settings=settings) as world:
            return await run_scenario(world, scenario)


@app.command("run")
def run(
    file: Annotated[Path, typer.Argument(help="Het scenario (YAML).", show_default=False)],
    output: Annotated[Format, typer.Option("--format", help="text (tabellen) of json.")] = Format.TEXT,
) -> None:
    """Speel een scenario af in versnelde tijd en toets de verwachtingen (exit 1 als er een niet uitkomt)."""
    try:
        scenario = load_scenario(file)
    except ScenarioFileError as error:
        fail(f"{file}: {error}")
        raise typer.Exit(EXIT_USAGE) from None
    outcome = asyncio.run(_run(scenario))
    if output is Format.JSON:
        print_json(as_json(outcome))
    else:
        show(outcome)
    if not outcome.passed:
        raise typer.Exit(EXIT_REJECTED)


def register_scenario(root: typer.Typer) -> None:
    """Add `cbct scenario` to the CLI."""
    root.add_typer(app, name="scenario")


# --- output --------------------------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


def show(outcome: ScenarioOutcome) -> None:
    """The run as tables: steps with their answers, open deadlines, the register row, the timeline."""
    scenario = outcome.scenario
    console.print(
        f"[bold]Scenario[/bold] {scenario.name}: traject {scenario.trajectory_id}, "
        f"{len(scenario.steps)} stappen, tot {_local(scenario.until)}"
    )
    rows = []
    for step in outcome.steps:
        answer = step.answer
        said = "geaccepteerd" if answer.accepted else f"geweigerd [{answer.rule}] {answer.message}"
        checked = "—" if step.step.expect.empty else ("ok" if not step.failures else "NIET OK")
        rows.append(
            (
                step.step.number,
                _local(step.step.at),
                type(step.step.command).__name__,
                said,
                ", ".join(answer.events),
                checked,
            )
        )
    print_table("Stappen", ["#", "Moment", "Commando", "Antwoord", "Gebeurtenissen", "Verwachting"], rows)
    _show_snapshot(outcome.final, scenario)
    failures = [(f"stap {s.step.number}", f) for s in outcome.steps for f in s.failures]
    failures += [("einde", f) for f in outcome.failures]
    if failures:
        print_table(f"Verwachtingen niet uitgekomen ({len(failures)})", ["Waar", "Wat"], failures)
    else:
        console.print(
            "Alle verwachtingen zijn uitgekomen." if _expected_any(outcome) else "Geen verwachtingen opgegeven."
        )


def _expected_any(outcome: ScenarioOutcome) -> bool:
    return not outcome.scenario.expect.empty or any(not s.step.expect.empty for s in outcome.steps)


def _show_snapshot(snapshot: Snapshot, scenario: Scenario) -> None:
    print_table(
        f"Openstaande termijnen op {_local(scenario.until)}",
        ["Termijn", "Soort", "Vervalt"],
        [(d.label, d.kind, _local(d.due_at)) for d in snapshot.deadlines],
    )
    row = snapshot.register
    if row is not None:
        print_table(
            "Register",
            ["Certificaatnummer", "Organisatie", "Resultaat", "Opmerking", "Status", "Gecertificeerd tot"],
            [(row.certificate_number, row.organisation, row.result, row.remark, row.status, row.certified_until)],
        )
    print_table(
        "Tijdlijn",
        ["Moment", "Gebeurtenis", "Door", "Omschrijving"],
        [
            (_local(e.occurred_at), e.event_type, "termijn" if e.by_deadline else "stap", e.summary)
            for e in snapshot.timeline
        ],
    )


def as_json(outcome: ScenarioOutcome) -> dict[str, Any]:
    """The run as one JSON document (moments in UTC, ISO 8601)."""
    final = outcome.final
    row = final.register
    return {
        "scenario": outcome.scenario.name,
        "trajectory_id": outcome.scenario.trajectory_id,
        "until": outcome.scenario.until.isoformat(),
        "passed": outcome.passed,
        "steps": [
            {
                "step": s.step.number,
                "at": s.step.at.isoformat(),
                "command": type(s.step.command).__name__,
                "command_id": s.step.command.command_id,
                "accepted": s.answer.accepted,
                "rule": s.answer.rule,
                "message": s.answer.message,
                "events": list(s.answer.events),
                "failures": list(s.failures),
            }
            for s in outcome.steps
        ],
        "deadlines": [
            {"kind": d.kind, "label": d.label, "due_on": d.due_on.isoformat(), "due_at": d.due_at.isoformat()}
            for d in final.deadlines
        ],
        "register": None
        if row is None
        else {
            "certificate_number": row.certificate_number,
            "organisation": row.organisation,
            "result": row.result,
            "remark": row.remark,
            "status": row.status,
            "certified_until": row.certified_until.isoformat() if row.certified_until else None,
        },
        "timeline": [
            {
                "occurred_at": e.occurred_at.isoformat(),
                "event_type": e.event_type,
                "by_deadline": e.by_deadline,
                "summary": e.summary,
            }
            for e in final.timeline
        ],
        "failures": list(outcome.failures),
    }
