"""Ops commands: projections, and the trajectories' workflows on Temporal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from interfaces.cli.output import EXIT_REJECTED, OutputFormat, console, fail, print_json, print_table
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")]

projections_app = typer.Typer(help="Read models: status, achterstand en opnieuw opbouwen.", no_args_is_help=True)
workflows_app = typer.Typer(
    help="Workflows van de trajecten (Temporal): tonen, mislukte, opnieuw starten, reconcile.", no_args_is_help=True
)


def _local(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


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


def _web_ui(app: Any) -> str | None:
    ui: str | None = app.temporal.ui_address
    return ui


def _print_ui(ui: str | None) -> None:
    if ui:
        console.print(f"Temporal Web UI: {ui}")


def _workflow_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            r["trajectory_id"] or r["workflow_id"],
            r["status"],
            r["phase"] or "-",
            r["organisation"] or "-",
            _local(datetime.fromisoformat(r["next_deadline"])) if r["next_deadline"] else "-",
            _local(datetime.fromisoformat(r["started_at"])) if r["started_at"] else "-",
        )
        for r in rows
    ]


_WORKFLOW_COLUMNS = ["traject", "status", "fase", "organisatie", "volgende deadline", "gestart"]


@workflows_app.command("list")
def workflows_list(
    status: Annotated[
        str, typer.Option("--status", help="Running, Completed, Failed, Terminated, TimedOut of 'all'.")
    ] = "Running",
    phase: Annotated[str | None, typer.Option("--phase", help="Alleen deze fase, bv. 'audit gepland'.")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", "-o", help="Exacte naam.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    output: FormatOption = OutputFormat.table,
) -> None:
    """De workflows van de trajecten (Temporal), met fase, organisatie en volgende deadline."""

    async def work(app: Any) -> tuple[list[dict[str, Any]], str | None]:
        from interfaces.workflow_ops import list_workflows

        rows = await list_workflows(
            app.temporal.client,
            status=None if status.lower() == "all" else status,
            phase=phase,
            organisation=organisation,
            limit=limit,
        )
        return [r.as_dict() for r in rows], _web_ui(app)

    rows, ui = run(work, temporal=True)
    if output is OutputFormat.json:
        print_json({"workflows": rows, "web_ui": ui})
        return
    print_table(f"Workflows ({len(rows)})", _WORKFLOW_COLUMNS, _workflow_rows(rows))
    _print_ui(ui)


@workflows_app.command("show")
def workflows_show(
    name: Annotated[str, typer.Argument(help="Traject id of workflow id (trajectory:...).")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Eén workflow: status, waar hij op wacht, en activiteiten die nog lopen of falen."""

    async def work(app: Any) -> tuple[dict[str, Any], str | None]:
        from interfaces.workflow_ops import show_workflow

        return await show_workflow(app.temporal.client, name), _web_ui(app)

    try:
        shown, ui = run(work, temporal=True)
    except LookupError as error:
        fail(str(error))
        raise typer.Exit(EXIT_REJECTED) from None
    if output is OutputFormat.json:
        print_json(shown | {"web_ui": ui})
        return
    console.print(
        markup_safe(f"Workflow {shown['workflow_id']} — {shown['status']} ({shown['history_length']} events)")
    )
    trajectory = shown.get("trajectory")
    if trajectory:
        nxt = trajectory.get("next_deadline")
        console.print(markup_safe(f"  fase: {trajectory.get('phase')}"))
        console.print(
            markup_safe(
                "  volgende deadline: "
                + (f"{nxt['kind']} op {_local(datetime.fromisoformat(nxt['due_at']))}" if nxt else "geen")
            )
        )
        console.print(f"  e-mails te versturen: {trajectory.get('emails_pending')}")
    for activity in shown["pending_activities"]:
        console.print(
            markup_safe(
                f"  activiteit {activity['activity']}: poging {activity['attempt']}, {activity['state']}"
                + (f" — {activity['last_failure']}" if activity["last_failure"] else "")
            )
        )
    _print_ui(ui)


@workflows_app.command("failed")
def workflows_failed(output: FormatOption = OutputFormat.table) -> None:
    """Workflows die zijn gestopt zonder hun traject af te maken, en activiteiten die blijven falen."""

    async def work(app: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
        from interfaces.workflow_ops import failed_workflows, failing_activities

        failed = [r.as_dict() for r in await failed_workflows(app.temporal.client)]
        failing = [a.as_dict() for a in await failing_activities(app.temporal.client)]
        return failed, failing, _web_ui(app)

    failed, failing, ui = run(work, temporal=True)
    if output is OutputFormat.json:
        print_json({"failed_workflows": failed, "failing_activities": failing, "web_ui": ui})
        return
    print_table(f"Gestopte workflows ({len(failed)})", _WORKFLOW_COLUMNS, _workflow_rows(failed))
    print_table(
        f"Activiteiten die blijven falen ({len(failing)})",
        ["traject", "activiteit", "poging", "laatste fout", "volgende poging"],
        [
            (
                a["trajectory_id"] or a["workflow_id"],
                a["activity"],
                a["attempt"],
                a["last_failure"] or "-",
                _local(datetime.fromisoformat(a["next_attempt_at"])) if a["next_attempt_at"] else "-",
            )
            for a in failing
        ],
    )
    _print_ui(ui)


@workflows_app.command("retry")
def workflows_retry(name: Annotated[str, typer.Argument(help="Traject id of workflow id.")]) -> None:
    """Start de workflow van een open traject opnieuw nadat hij is gestopt (een lopende probeert zelf opnieuw)."""

    async def work(app: Any) -> str:
        from interfaces.workflow_ops import retry

        return await retry(app.pool, app.service, app.temporal.trajectories, name)

    try:
        result = run(work, temporal=True)
    except LookupError as error:
        fail(str(error))
        raise typer.Exit(EXIT_REJECTED) from None
    messages = {
        "started": f"Workflow van {name} opnieuw gestart.",
        "running": f"Workflow van {name} loopt; een falende activiteit wordt vanzelf opnieuw geprobeerd.",
        "closed": f"Traject {name} is afgesloten: er is niets opnieuw te starten.",
    }
    console.print(markup_safe(messages[result]))


@workflows_app.command("reconcile")
def workflows_reconcile(output: FormatOption = OutputFormat.table) -> None:
    """Start een workflow voor elk open traject in de event store dat er geen heeft (idempotent)."""

    async def work(app: Any) -> list[str]:
        from interfaces.workflow_ops import reconcile

        started: list[str] = await reconcile(app.pool, app.service, app.temporal.trajectories)
        return started

    started = run(work, temporal=True)
    if output is OutputFormat.json:
        print_json({"started": started})
        return
    console.print(markup_safe(f"{len(started)} workflow(s) gestart" + (f": {', '.join(started)}" if started else ".")))
