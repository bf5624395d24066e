"""Ops commands: the controlled clock, projections, failed workflows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from domain.commands import FIRST_DAY, LAST_DAY
from interfaces.cli.output import EXIT_REJECTED, EXIT_USAGE, OutputFormat, console, fail, print_json, print_table
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")]

clock_app = typer.Typer(help="De gecontroleerde klok (tests, demo, beheer).", no_args_is_help=True)
projections_app = typer.Typer(help="Read models: status, achterstand en opnieuw opbouwen.", no_args_is_help=True)
workflows_app = typer.Typer(help="Workflows: mislukte tonen en opnieuw starten.", no_args_is_help=True)


def parse_moment(text: str) -> datetime:
    """'2026-05-01T09:00' (Amsterdam time when no offset is given) or '2026-05-01' (midnight there)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--to: '{text}' is geen datum/tijd (JJJJ-MM-DD of JJJJ-MM-DDTHH:MM)") from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise typer.BadParameter(f"--to: '{text}' ligt niet tussen {FIRST_DAY:%d-%m-%Y} en {LAST_DAY:%d-%m-%Y}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment.astimezone(UTC)


def _local(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


@clock_app.command("tick")
def tick(
    to: Annotated[str, typer.Option("--to", help="Tot wanneer: JJJJ-MM-DD of JJJJ-MM-DDTHH:MM (Amsterdam).")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Zet de klok vooruit en voer alles uit wat tot dan afloopt (deadlines, herinneringen)."""
    moment = parse_moment(to)

    async def work(app: Any) -> Any:
        from workflows.dispatcher import tick as run_tick

        return await run_tick(app, moment)

    try:
        report = run(work, workflows=True)
    except ValueError as error:
        fail(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    data = report.as_dict() if hasattr(report, "as_dict") else report.__dict__
    if output is OutputFormat.json:
        print_json(data)
        return
    console.print(f"Klok staat op {_local(moment)}.")
    for key, value in data.items():
        if key != "moved_to" and not isinstance(value, list | tuple):
            console.print(f"  {key}: {value}")


@clock_app.command("show")
def show(output: FormatOption = OutputFormat.table) -> None:
    """Toon de stand van de gecontroleerde klok."""

    async def work(app: Any) -> datetime | None:
        peeked: datetime | None = await app.controlled_clock.peek()
        return peeked

    moment = run(work)
    if output is OutputFormat.json:
        print_json({"now": None if moment is None else moment.isoformat()})
    else:
        console.print("De klok is nog niet gezet." if moment is None else f"Klok: {_local(moment)}")


@projections_app.command("status")
def projections_status(output: FormatOption = OutputFormat.table) -> None:
    """Per read model: waar het staat, hoeveel events het achterloopt, wanneer bijgewerkt."""

    async def work(app: Any) -> list[Any]:
        result: list[Any] = await app.projections.status()
        return result

    statuses = run(work)
    rows = [
        {
            "name": s.name,
            "checkpoint": str(s.checkpoint),
            "head": str(s.head),
            "behind": s.behind,
            "events_applied": s.events_applied,
            "updated_at": None if s.updated_at is None else s.updated_at.isoformat(),
            "halted_at": s.halted_at,
            "halted_error": s.halted_error,
            "halted_since": None if s.halted_since is None else s.halted_since.isoformat(),
        }
        for s in statuses
    ]
    if output is OutputFormat.json:
        print_json(rows)
    else:
        print_table(
            "Projecties",
            ["naam", "checkpoint", "kop", "achter", "toegepast", "bijgewerkt", "gestopt bij"],
            [
                (
                    r["name"],
                    r["checkpoint"],
                    r["head"],
                    r["behind"],
                    r["events_applied"],
                    _local(s.updated_at),
                    r["halted_at"] or "-",
                )
                for r, s in zip(rows, statuses, strict=True)
            ],
        )
        for s in statuses:
            if s.halted_error:
                fail(f"{s.name} staat stil sinds {_local(s.halted_since)}: {s.halted_error}")
    if any(s.halted_at for s in statuses):
        raise typer.Exit(EXIT_REJECTED)


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="Eén projectie (standaard: alle).")] = None,
) -> None:
    """Bouw een read model (of alle) opnieuw op vanaf het eerste event."""

    halted: list[str] = []

    async def work(app: Any) -> dict[str, int]:
        names = [name] if name else app.projections.names
        counts = {}
        for n in names:
            counts[n] = await app.projections.rebuild(n)
            if n in app.projections.halts:
                halted.append(n)
        return counts

    try:
        result = run(work)
    except ValueError as error:
        fail(str(error))
        raise typer.Exit(EXIT_REJECTED) from None
    for projection, count in result.items():
        stopped = " (gestopt bij een event dat niet te lezen is)" if projection in halted else ""
        console.print(markup_safe(f"{projection}: {count} events opnieuw toegepast{stopped}"))
    if halted:
        raise typer.Exit(EXIT_REJECTED)


@workflows_app.command("failed")
def workflows_failed(output: FormatOption = OutputFormat.table) -> None:
    """Workflows die met een fout zijn gestopt."""

    async def work(app: Any) -> list[dict[str, Any]]:
        from workflows.engine import failed_workflows

        result: list[dict[str, Any]] = await failed_workflows(100)
        return result

    failed = run(work, workflows=True)
    if output is OutputFormat.json:
        print_json(failed)
    else:
        print_table(
            "Mislukte workflows", list(failed[0].keys()) if failed else ["id"], [list(f.values()) for f in failed]
        )


@workflows_app.command("retry")
def workflows_retry(workflow_id: Annotated[str, typer.Argument(help="Workflow id.")]) -> None:
    """Start een mislukte workflow opnieuw."""

    async def work(app: Any) -> Any:
        from workflows.engine import retry_workflow

        return await retry_workflow(workflow_id)

    try:
        result = run(work, workflows=True)
    except ValueError as error:  # WorkflowNotFound names the id
        fail(str(error))
        raise typer.Exit(EXIT_REJECTED) from None
    retried = result.get("retried_as") if isinstance(result, dict) else None
    console.print(markup_safe(f"Workflow {workflow_id} opnieuw gestart" + (f" als {retried}." if retried else ".")))
