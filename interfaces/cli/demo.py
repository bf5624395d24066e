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
import contextlib
import hashlib
import importlib
import os
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from application.demo import DEFAULT_SEED, DEMO_START, REFERENCE_DATE
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, console, err_console, fail, print_json, print_table

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


MAX_SCALE = 100
"""The benchmark's largest scale (25.100 trajecten, 58 minuten gemeten): beyond it a run takes hours and
its memory grows with it, for figures that scale 100 already shows."""


def max_processes() -> int:
    """Two processes per core, at least 4: each runs a Temporal test server (a JVM) and a worker of its own,
    and beyond two per core they only wait on each other while memory runs out."""
    return max(4, 2 * (os.cpu_count() or 1))


def demo(
    seed: Annotated[
        int, typer.Option(help="Zaadje van de planner: dezelfde waarde geeft dezelfde demo.")
    ] = DEFAULT_SEED,
    scale: Annotated[
        int,
        typer.Option(
            help=f"Aantal kopieën van het register (1 = het register zelf), hoogstens {MAX_SCALE}: dat is de grootste "
            "van de benchmark (25.100 trajecten, bijna een uur); daarboven duurt het uren en groeit het geheugen mee."
        ),
    ] = 1,
    database: Annotated[
        str | None,
        typer.Option(help="Eigen database voor de demo op dezelfde server (standaard: de geconfigureerde)."),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            help="Aantal processen, elk met een eigen deel van het register (standaard: één per kern, hoogstens 4). "
            "Hoogstens twee per kern (minstens 4 toegestaan): elk proces draait een eigen Temporal-testserver en "
            "worker, en meer processen wachten alleen op elkaar terwijl het geheugen opraakt.",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="JSON in plaats van tabellen.")] = False,
) -> None:
    """Speel het register 2018-2022 af via de echte trajectworkflows in versnelde tijd, en toon het rapport.

    De demo schrijft in de geconfigureerde database (of met --database in een eigen database); zijn
    trajecten blijven staan zoals de wereld op 21-02-2023 was. Een tweede run verandert niets; een
    afgebroken run gaat verder waar hij was.
    """
    from interfaces.replay_processes import default_processes

    _check_bounds(scale, processes)
    workers = processes if processes is not None else default_processes()
    with _one_demo_at_a_time(database):
        summary, report, register = _replay(seed, scale, database, workers, json_output)
    _show(summary, report, register, json_output)


def _check_bounds(scale: int, processes: int | None) -> None:
    """--scale and --processes within what one machine carries; else one line, exit 2."""
    if not 1 <= scale <= MAX_SCALE:
        fail(
            f"--scale {scale}: moet tussen 1 en {MAX_SCALE} liggen; {MAX_SCALE} is de grootste schaal van de "
            "benchmark (25.100 trajecten, bijna een uur), daarboven duurt de demo uren en groeit het geheugen mee"
        )
        raise typer.Exit(EXIT_USAGE)
    limit = max_processes()
    if processes is not None and not 1 <= processes <= limit:
        fail(
            f"--processes {processes}: moet tussen 1 en {limit} liggen (twee per kern, minstens 4); elk proces "
            "draait een eigen Temporal-testserver en worker, meer processen wachten alleen op elkaar"
        )
        raise typer.Exit(EXIT_USAGE)


@contextlib.contextmanager
def _one_demo_at_a_time(database: str | None) -> Iterator[None]:
    """An exclusive lock per target (data dir and database), in a private file in the data dir: a second
    demo on the same database is told at once (exit 1) rather than replaying against the first."""
    from infrastructure.database import database_name
    from infrastructure.exclusive_lock import AlreadyLocked, ForeignLockFile, exclusive_lock
    from infrastructure.settings_errors import mask

    settings = Settings()
    server = mask(settings.database_url) if settings.database_url else "ingebed"
    if database is not None:
        target = database
    elif settings.database_url:
        target = database_name(settings.database_url)
    else:
        target = settings.database_name
    data_dir = settings.data_dir.resolve()
    key = hashlib.sha256(f"{data_dir}\0{server}\0{target}".encode()).hexdigest()[:16]
    path = data_dir / f".demo-{key}.lock"
    try:
        with exclusive_lock(path):
            yield
    except AlreadyLocked:
        fail(
            f"Demo al bezig op database {target} (gegevensmap {data_dir}): "
            "wacht tot die klaar is, of kies een eigen database met --database"
        )
        raise typer.Exit(EXIT_REJECTED) from None
    except ForeignLockFile as error:
        fail(f"Demo niet gestart: {error}")
        raise typer.Exit(EXIT_REJECTED) from None


def _replay(
    seed: int, scale: int, database: str | None, workers: int, json_output: bool
) -> tuple[ReplaySummary, Any, dict[str, Any]]:
    from application.demo.replay import ReplayError

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
    return summary, report, register


def _show(summary: ReplaySummary, report: Any, register: dict[str, Any], json_output: bool) -> None:
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
