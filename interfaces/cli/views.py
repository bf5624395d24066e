"""What planners and ops look at: trajectories, deadlines, the register, uitstel requests, stuck work.

Every view reads a read model (brought up to date first, so the CLI shows what was just done) and
prints a Rich table, JSON, or (for the register) CSV for Dutch Excel.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from interfaces.cli.output import EXIT_REJECTED, OutputFormat, console, fail, print_json, print_table
from interfaces.cli.safe_text import markup_safe
from interfaces.cli.session import run

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")]


class RegisterFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def d(value: date | datetime | None) -> str:
    """Dates the Dutch way: 21-04-2026 (and 21-04-2026 09:00 for moments, Amsterdam time)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
    return value.strftime("%d-%m-%Y")


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


async def _fresh(app: Any) -> None:
    await app.projections.catch_up()


def list_trajectories_command(
    phase: Annotated[str | None, typer.Option("--phase", help="Alleen deze fase, bv. 'audit gepland'.")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", "-o", help="Deel van de naam.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Alleen lopende trajecten.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Lijst van trajecten met fase, audit en eerstvolgende deadline."""
    from projections.overview import list_trajectories

    async def work(app: Any) -> list[Any]:
        await _fresh(app)
        result: list[Any] = await list_trajectories(
            app.pool, phase=phase, organisation_like=organisation, open_only=open_only, limit=limit
        )
        return result

    rows = run(work)
    if output is OutputFormat.json:
        print_json([_plain(r) for r in rows])
        return
    print_table(
        f"Trajecten ({len(rows)})",
        ["traject", "organisatie", "fase", "kwartaal", "audit", "oordeel", "volgende deadline"],
        [
            (
                r.trajectory_id,
                r.organisation,
                r.phase,
                r.audit_quarter,
                ", ".join(d(x) for x in r.audit_dates) or "-",
                r.verdict or "-",
                f"{r.next_deadline_label} {d(r.next_deadline_due_on)}" if r.next_deadline_label else "-",
            )
            for r in rows
        ],
    )


def show_trajectory_command(
    trajectory_id: Annotated[str, typer.Argument(help="Het traject.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Alles over één traject: stand van zaken, deadlines en de volledige tijdlijn."""
    from application.trajectories import stream_id
    from projections.deadlines import list_deadlines
    from projections.overview import get_trajectory
    from projections.timeline import get_timeline

    async def work(app: Any) -> tuple[Any, list[Any], list[Any], list[Any]]:
        await _fresh(app)
        now = await app.clock.now()
        return (
            await get_trajectory(app.pool, trajectory_id),
            await get_timeline(app.pool, trajectory_id),
            await list_deadlines(app.pool, now, trajectory_id=trajectory_id),
            await app.store.corrections(stream_id(trajectory_id)),
        )

    overview, timeline, deadlines, corrections = run(work)
    if overview is None:
        fail(f"Traject '{trajectory_id}' bestaat niet.")
        raise typer.Exit(EXIT_REJECTED)
    if output is OutputFormat.json:
        print_json(
            {
                "trajectory": _plain(overview),
                "deadlines": [_plain(x) for x in deadlines],
                "timeline": [
                    {**_plain(x), "corrected": x.stream_version in {c.stream_version for c in corrections}}
                    for x in timeline
                ],
                "corrections": [_plain(c) for c in corrections],
            }
        )
        return
    o = overview
    s = markup_safe  # every value below may hold what a user typed
    console.print(
        f"[bold]{s(o.organisation)}[/] — certificaat {s(o.certificate_number)} ({s(o.association)}), "
        f"kader {s(o.framework_version)}"
    )
    console.print(f"Fase: {s(o.phase)} sinds {d(o.phase_since)}; auditkwartaal {s(o.audit_quarter)}")
    if o.audit_dates:
        auditors = s(", ".join(o.auditors) or "-")
        console.print(f"Audit: {', '.join(d(x) for x in o.audit_dates)} — auditoren {auditors}")
    if o.category:
        console.print(
            f"Categorie {s(o.category)} ({o.dagdelen} dagdelen); modules: {s(', '.join(o.modules) or 'basis')}"
        )
    if o.verdict:
        console.print(f"Oordeel: {s(o.verdict)} op {d(o.decided_on)}")
    if o.result:
        remark = f" — {s(o.remark)}" if o.remark else ""
        console.print(f"Register: {s(o.result)}{remark}; {s(o.certificate_status)} {d(o.certified_until)}")
    if deadlines:
        print_table(
            "Deadlines",
            ["deadline", "datum", "voor", "status"],
            [(x.label, d(x.due_at), x.party, "verlopen" if x.fired else x.status) for x in deadlines],
        )
    print_table("Tijdlijn", ["#", "moment", "wie", "wat"], _timeline_rows(timeline, corrections))


def _timeline_rows(timeline: list[Any], corrections: list[Any]) -> list[tuple[Any, ...]]:
    """The timeline, each corrected event marked and followed by its correction (reason and who)."""
    from application.corrections import correction_summary

    by_version: dict[int, list[Any]] = {}
    for c in corrections:
        by_version.setdefault(c.stream_version, []).append(c)
    rows: list[tuple[Any, ...]] = []
    for t in timeline:
        fixes = by_version.get(t.stream_version, [])
        summary = f"{t.summary} [gecorrigeerd, zie hieronder]" if fixes else t.summary
        rows.append((t.stream_version, d(t.occurred_at), t.actor or "-", summary))
        rows.extend(
            (f"{t.stream_version}*", d(c.corrected_at), c.corrected_by or "-", correction_summary(c)) for c in fixes
        )
    return rows


def deadlines_command(
    status: Annotated[str, typer.Option("--status", help="pending, due, overdue of all.")] = "all",
    trajectory_id: Annotated[str | None, typer.Option("--trajectory", "-t", help="Eén traject.")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Deadlines: komend, vandaag, verlopen."""
    from projections.deadlines import DeadlineStatus, list_deadlines

    if status not in ("pending", "due", "overdue", "all"):
        fail(f"--status: moet pending, due, overdue of all zijn, niet '{status}'")
        raise typer.Exit(2)

    async def work(app: Any) -> list[Any]:
        await _fresh(app)
        result: list[Any] = await list_deadlines(
            app.pool,
            await app.clock.now(),
            status=typing.cast(DeadlineStatus, status),
            trajectory_id=trajectory_id,
        )
        return result

    rows = run(work)
    if output is OutputFormat.json:
        print_json([_plain(r) for r in rows])
        return
    print_table(
        f"Deadlines ({len(rows)})",
        ["traject", "organisatie", "deadline", "datum", "voor", "status", "dagen te laat"],
        [
            (r.trajectory_id, r.organisation, r.label, d(r.due_at), r.party, r.status, r.days_overdue or "")
            for r in rows
        ],
    )


def register_command(
    association: Annotated[str | None, typer.Option("--association", "-a", help="VOB, Cultuurconnectie, ...")] = None,
    output: Annotated[RegisterFormat, typer.Option("--format", "-f", help="table, json of csv")] = RegisterFormat.table,
    peildatum: Annotated[
        str | None,
        typer.Option("--peildatum", help="Het register zoals het aan het eind van deze dag stond (JJJJ-MM-DD)."),
    ] = None,
) -> None:
    """Het certificaatregister: resultaat, opmerking en gecertificeerd tot; met --peildatum zoals het toen stond."""
    from interfaces.cli.report import peildatum_option
    from projections.register import list_register

    as_of = peildatum_option(peildatum)

    async def work(app: Any) -> list[Any]:
        if as_of is not None:
            from application.reports.as_of import register_as_of
            from projections.register import rows_as_of

            return rows_as_of(await register_as_of(app.store, as_of, association), as_of)
        await _fresh(app)
        now = await app.clock.now()
        result: list[Any] = await list_register(app.pool, association=association, on=now.astimezone(AMSTERDAM).date())
        return result

    rows = run(work)
    if output is RegisterFormat.json:
        print_json([_plain(r) for r in rows])
    elif output is RegisterFormat.csv:
        from projections.register import register_csv

        sys.stdout.write(register_csv(rows))
    else:
        print_table(
            f"Register ({len(rows)})",
            ["nummer", "organisatie", "vereniging", "resultaat", "opmerking", "gecertificeerd tot", "status"],
            [
                (
                    r.certificate_number,
                    r.organisation,
                    r.association,
                    r.result or "-",
                    r.remark or "",
                    d(r.certified_until),
                    r.status,
                )
                for r in rows
            ],
        )


def stuck_command(
    grace_days: Annotated[
        int | None, typer.Option("--grace-days", min=0, help="Standaard CBCT_STUCK_GRACE_DAYS.")
    ] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Vastgelopen trajecten (deadline verlopen zonder voortgang) en workflows waarvan activiteiten blijven falen."""
    from projections.stuck import stuck_trajectories

    async def work(app: Any) -> tuple[list[Any], list[dict[str, Any]], list[Any]]:
        from interfaces.workflow_ops import failed_workflows, failing_activities
        from projections.messages import refused_messages

        await _fresh(app)
        grace = app.settings.stuck_grace_days if grace_days is None else grace_days
        stuck: list[Any] = await stuck_trajectories(app.pool, await app.clock.now(), grace)
        client = app.temporal.client
        failed = [a.as_dict() for a in await failing_activities(client)]
        failed += [r.as_dict() | {"activity": None} for r in await failed_workflows(client)]
        refused: list[Any] = await refused_messages(app.pool)
        return stuck, failed, refused

    stuck, failed, refused = run(work, temporal=True)
    if output is OutputFormat.json:
        print_json(
            {
                "stuck": [_plain(s) for s in stuck],
                "failed_workflows": failed,
                "refused_emails": [_refused(m) for m in refused],
            }
        )
        return
    print_table(
        f"Vastgelopen trajecten ({len(stuck)})",
        ["traject", "organisatie", "fase", "wacht op", "voor", "sinds", "dagen te laat", "laatste voortgang"],
        [
            (
                s.trajectory_id,
                s.organisation,
                s.phase,
                s.label,
                s.party,
                d(s.due_at),
                s.days_overdue,
                d(s.last_progress_at),
            )
            for s in stuck
        ],
    )
    if failed:
        print_table(
            f"Workflows met falende activiteiten of gestopt ({len(failed)})",
            ["traject", "activiteit", "poging / status", "laatste fout"],
            [
                (
                    f.get("trajectory_id") or f.get("workflow_id"),
                    f.get("activity") or "-",
                    f.get("attempt") or f.get("status"),
                    f.get("last_failure") or "-",
                )
                for f in failed
            ],
        )
    else:
        console.print("Geen workflows met falende activiteiten; geen gestopte workflows.")
    if refused:  # refused for good by the mail server: not retried, for a planner to correct and forward
        print_table(
            f"E-mails geweigerd door de mailserver ({len(refused)})",
            ["traject", "bericht", "aan", "onderwerp", "geweigerd", "reden", "id"],
            [
                (m.trajectory_id, m.kind, m.recipient, m.subject, d(m.refused_at), m.failure or "-", m.message_id)
                for m in refused
            ],
        )
        console.print("Doorsturen: cbct email save <id> slaat de e-mail op als .eml voor uw mailprogramma.")


def _refused(message: Any) -> dict[str, Any]:
    fields = ("message_id", "trajectory_id", "kind", "recipient", "subject", "refused_at", "failure")
    return {name: getattr(message, name) for name in fields}


def postponements_command(
    all_requests: Annotated[bool, typer.Option("--all", help="Ook besliste verzoeken.")] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Openstaande uitstelverzoeken (met --all ook de beslisten)."""
    from projections.postponements import list_postponements, pending_postponements

    async def work(app: Any) -> list[Any]:
        await _fresh(app)
        result: list[Any] = await (list_postponements(app.pool) if all_requests else pending_postponements(app.pool))
        return result

    rows = run(work)
    if output is OutputFormat.json:
        print_json([_plain(r) for r in rows])
        return
    print_table(
        f"Uitstelverzoeken ({len(rows)})",
        ["traject", "organisatie", "#", "grond", "toelichting", "ingediend", "beslissen voor", "status", "reden"],
        [
            (
                r.trajectory_id,
                r.organisation,
                r.request_number,
                r.ground,
                r.reason,
                d(r.requested_on),
                d(r.decide_by),
                r.status,
                r.decided_reason or "",
            )
            for r in rows
        ],
    )


def register_views(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    groups["trajectory"].command("list")(list_trajectories_command)
    groups["trajectory"].command("show")(show_trajectory_command)
    groups["postponement"].command("list")(postponements_command)
    app.command("deadlines")(deadlines_command)
    app.command("register")(register_command)
    app.command("stuck")(stuck_command)
