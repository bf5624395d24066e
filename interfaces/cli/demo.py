"""`cbct demo`: replay CBCT's 2018-2022 register through the real process, then show the period report.

The real trajectory workflows run on Temporal's time-skipping test server (from the installed wheel),
their world offset moving the world's clock from mid-2018 to 2023-02-21, against the demo's own
the configured database (embedded by default), so `cbct register`, `cbct report period` and the other
views show it afterwards; `--database NAME` puts it in a database of its own on the same server. The
demo's trajectories are recorded as simulated, so a worker never starts workflows for them on the
real clock: the world stays as it stood on 2023-02-21. A second run changes nothing; an interrupted
run resumes.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from application.demo import DEFAULT_SEED, DEMO_START, REFERENCE_DATE
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_REJECTED, console, err_console, fail, print_json, print_table

if TYPE_CHECKING:
    from application.demo.replay import ReplaySummary

SUMMARY_LABELS = {
    "trajectories": "Trajecten",
    "steps": "Stappen",
    "accepted": "Geaccepteerd",
    "refused_as_expected": "Geweigerd zoals gepland",
    "skipped": "Al eerder uitgevoerd",
    "deadlines_fired": "Termijnen verstreken",
    "events_in_store": "Gebeurtenissen in de opslag",
    "seconds": "Seconden",
    "steps_per_second": "Stappen per seconde",
}


def _period_module() -> tuple[Any, Any] | None:
    """`period_report` and `render_report`, if the period report is there."""
    try:
        period = importlib.import_module("application.reports.period")
        render = importlib.import_module("application.reports.render")
    except ImportError:
        return None
    if not hasattr(period, "period_report") or not hasattr(render, "render_report"):
        return None
    return period.period_report, render.render_report


async def _run(
    seed: int, scale: int, database: str | None, processes: int, progress: Progress | None
) -> tuple[ReplaySummary, Any, dict[str, Any]]:
    from infrastructure.database import Database, with_database
    from interfaces.replay_processes import replay_in_processes
    from interfaces.skipped_time import open_world
    from projections.register import list_register

    task = progress.add_task("Demo afspelen (trajecten)", total=None) if progress is not None else None

    def advance(done: int, total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done, total=total)

    settings = Settings()
    server = Database.from_settings(settings)
    try:
        url = server.url if database is None else with_database(server.url, database)
        outbox = settings.data_dir / "demo-outbox"
        async with open_world(url, outbox, settings=settings) as world:
            summary = await replay_in_processes(
                world,
                url,
                outbox,
                seed=seed,
                scale=scale,
                processes=processes,
                progress=advance,
                log_level=settings.log_level if "CBCT_LOG_LEVEL" in os.environ else "warning",  # as the CLI's own
            )
            report = await _report(world.store)
            rows = await list_register(world.pool)
    finally:
        server.close()
    outcomes = Counter((r.result or "", r.remark or "") for r in rows)
    register = {
        "database": database or "(geconfigureerd)",
        "organisations": len(rows),
        "outcomes": [
            {"result": result, "remark": remark or None, "count": count}
            for (result, remark), count in sorted(outcomes.items())
        ],
    }
    return summary, report, register


async def _report(store: Any) -> Any:
    found = _period_module()
    if found is None:
        return None
    period_report, _ = found
    from application.reports.period import Membership

    # CBCT's member counts on 31-12-2022 (an input of the report, as in CBCT's own footnote).
    members = Membership(date(2022, 12, 31), {"VOB": 138, "Cultuurconnectie": 134})
    return await period_report(store, DEMO_START, date(2022, 12, 31), REFERENCE_DATE, members)


def demo(
    seed: Annotated[
        int, typer.Option(help="Zaadje van de planner: dezelfde waarde geeft dezelfde demo.")
    ] = DEFAULT_SEED,
    scale: Annotated[int, typer.Option(min=1, help="Aantal kopieën van het register (1 = het register zelf).")] = 1,
    database: Annotated[
        str | None,
        typer.Option(help="Eigen database voor de demo op dezelfde server (standaard: de geconfigureerde)."),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Aantal processen, elk met een eigen deel van het register (standaard: één per kern, hoogstens 4).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="JSON in plaats van tabellen.")] = False,
) -> None:
    """Speel het register 2018-2022 af via de echte trajectworkflows in versnelde tijd, en toon het rapport.

    De demo schrijft in de geconfigureerde database (of met --database in een eigen database); zijn
    trajecten blijven staan zoals de wereld op 21-02-2023 was. Een tweede run verandert niets; een
    afgebroken run gaat verder waar hij was.
    """
    from application.demo.replay import ReplayError
    from interfaces.replay_processes import default_processes

    workers = processes if processes is not None else default_processes()
    try:
        if json_output:
            summary, report, register = asyncio.run(_run(seed, scale, database, workers, None))
        else:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=False,
            ) as progress:
                summary, report, register = asyncio.run(_run(seed, scale, database, workers, progress))
    except ReplayError as error:
        fail(f"Demo afgebroken: {error}")
        raise typer.Exit(EXIT_REJECTED) from None

    if json_output:
        data: dict[str, Any] = {"summary": summary.as_dict(), "register": register}
        if report is not None:
            data["report"] = report.as_dict()
        print_json(data)
        return
    found = _period_module()
    if report is not None and found is not None:
        found[1](report, console)
    else:
        print_table(
            f"Register ({register['organisations']} organisaties)",
            ["Resultaat", "Opmerking", "Aantal"],
            [(o["result"], o["remark"] or "", o["count"]) for o in register["outcomes"]],
        )
    print_table(
        "Demo",
        ["", "Waarde"],
        [(SUMMARY_LABELS.get(key, key), _dutch(value)) for key, value in summary.as_dict().items()],
    )


def register_demo(app: typer.Typer) -> None:
    """Add `cbct demo` to the CLI."""
    app.command("demo")(demo)


def _dutch(value: Any) -> Any:
    """Numbers as Dutch readers write them: 133,8 rather than 133.83."""
    return f"{value:.1f}".replace(".", ",") if isinstance(value, float) else value
