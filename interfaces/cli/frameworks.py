"""`cbct framework ...`: which rule data a trajectory runs under, where each value comes from, and which values
CBCT never published."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from frameworks.loader import ORIGIN_LABELS, assumed_values, available_versions, framework_values, load_rules
from interfaces.cli.output import EXIT_USAGE, OutputFormat, console, fail, print_json, print_table

app = typer.Typer(help="Kaders (Kwaliteit in Beeld): versies, hun waarden en aangenomen waarden.", no_args_is_help=True)
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table of json")]


@app.command("list")
def list_frameworks(output: FormatOption = OutputFormat.table) -> None:
    """De kaderversies waarvoor regels bestaan."""
    versions = available_versions()
    if output is OutputFormat.json:
        print_json(versions)
    else:
        for version in versions:
            console.print(f"{version}: {load_rules(version).name}")


def _known(version: str) -> None:
    if version not in available_versions():
        fail(f"versie: onbekend kader '{version}'; bekend zijn: {', '.join(available_versions())}")
        raise typer.Exit(EXIT_USAGE)


@app.command("show")
def show(
    version: Annotated[str, typer.Argument(help="Kaderversie, bv. kib-ii-2023.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Elke waarde van een kaderversie met haar herkomst: het bestand, de standaard (later toegevoegd) of aangenomen."""
    _known(version)
    values = framework_values(version)
    if output is OutputFormat.json:
        print_json([{"path": v.path, "value": v.value, "origin": v.origin, "note": v.note} for v in values])
        return
    print_table(
        f"{version}: {load_rules(version).name} ({len(values)} waarden)",
        ["pad", "waarde", "herkomst", "toelichting"],
        [(v.path, str(v.value)[:60], ORIGIN_LABELS[v.origin], v.note) for v in values],
    )


@app.command("assumed")
def assumed(
    version: Annotated[str, typer.Argument(help="Kaderversie, bv. kib-2018.")],
    output: FormatOption = OutputFormat.table,
) -> None:
    """Elke waarde die CBCT niet heeft gepubliceerd en die hier is aangenomen (pad in het regelbestand)."""
    _known(version)
    rows: list[dict[str, Any]] = [{"path": a.path, "value": a.value, "note": a.note} for a in assumed_values(version)]
    if output is OutputFormat.json:
        print_json(rows)
    else:
        print_table(
            f"Aangenomen waarden in {version} ({len(rows)})",
            ["pad", "waarde", "toelichting"],
            [(r["path"], str(r["value"])[:60], r["note"]) for r in rows],
        )
