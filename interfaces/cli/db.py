"""`cbct db ...`: create and migrate the database, and show where it stands."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlsplit

import asyncpg
import typer

from infrastructure.database import Database, ensure_database
from infrastructure.migrations import (
    MigrationError,
    MigrationState,
    load_migrations,
    migrate,
    migration_status,
)
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_REJECTED, OutputFormat, console, fail, print_json, print_table

app = typer.Typer(help="Database: migrations and status.", no_args_is_help=True)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json")]


def _describe(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1] or parts.query.removeprefix("host=")
    return f"{netloc}{parts.path}"


async def _migrate(settings: Settings) -> dict[str, Any]:
    database = Database.from_settings(settings)
    try:
        created = await ensure_database(database.url)
        conn = await asyncpg.connect(database.url)
        try:
            applied = await migrate(conn)
        finally:
            await conn.close()
        return {
            "database": _describe(database.url),
            "embedded": database.embedded is not None,
            "created": created,
            "applied": [f"{m.version:04d}_{m.name}" for m in applied],
        }
    finally:
        database.close()


async def _status(settings: Settings) -> dict[str, Any]:
    database = Database.from_settings(settings)
    try:
        await ensure_database(database.url)
        conn = await asyncpg.connect(database.url)
        try:
            statuses = await migration_status(conn, load_migrations())
            server = await conn.fetchval("SHOW server_version")
            # Two statements: Postgres plans a CASE's subquery even when the table is missing.
            migrated = await conn.fetchval("SELECT to_regclass('events') IS NOT NULL")
            events = await conn.fetchval("SELECT count(*) FROM events") if migrated else None
        finally:
            await conn.close()
        return {
            "database": _describe(database.url),
            "embedded": database.embedded is not None,
            "server_version": server,
            "events": events,
            "migrations": [
                {"version": s.version, "name": s.name, "state": s.state.value, "applied_at": s.applied_at}
                for s in statuses
            ],
        }
    finally:
        database.close()


@app.command("migrate")
def migrate_command(output: FormatOption = OutputFormat.table) -> None:
    """Create the database if needed and apply every pending migration (safe to run concurrently)."""
    try:
        result = asyncio.run(_migrate(Settings()))
    except MigrationError as exc:
        fail(f"migration refused: {exc}")
        raise typer.Exit(EXIT_REJECTED) from exc
    if output is OutputFormat.json:
        print_json(result)
        return
    where = f"{result['database']} ({'embedded' if result['embedded'] else 'CBCT_DATABASE_URL'})"
    if result["applied"]:
        console.print(f"Applied {len(result['applied'])} migration(s) to {where}: {', '.join(result['applied'])}")
    else:
        console.print(f"{where} is up to date.")


@app.command("status")
def status_command(output: FormatOption = OutputFormat.table) -> None:
    """Show applied and pending migrations; exit 1 when an applied migration's checksum changed."""
    result = asyncio.run(_status(Settings()))
    bad = [m for m in result["migrations"] if m["state"] == MigrationState.CHECKSUM_MISMATCH.value]
    if output is OutputFormat.json:
        print_json(result)
    else:
        where = "embedded" if result["embedded"] else "CBCT_DATABASE_URL"
        console.print(f"Database {result['database']} ({where}), PostgreSQL {result['server_version']}")
        print_table(
            "Migrations",
            ["version", "name", "state", "applied at"],
            [(f"{m['version']:04d}", m["name"], m["state"], m["applied_at"]) for m in result["migrations"]],
        )
        pending = sum(1 for m in result["migrations"] if m["state"] == "pending")
        console.print(f"{pending} pending; events stored: {result['events'] if result['events'] is not None else '-'}")
    if bad:
        fail("checksum mismatch: " + ", ".join(f"{m['version']:04d}_{m['name']}" for m in bad))
        raise typer.Exit(EXIT_REJECTED)
