"""`cbct keys ...`: which payload and signing keys the system uses, and rotating them.

Shows key ids and where they come from (a setting or the data directory's `keys.json`), never a key.
Rotation adds a new current key to `keys.json` and keeps the old ones, so what was encrypted or signed
under them stays readable; keys given by a setting are rotated by changing the setting.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from infrastructure.keyring import KeySet, key_file, load_keyring, rotate
from infrastructure.settings import Settings
from interfaces.cli.output import EXIT_USAGE, OutputFormat, console, fail, print_json, print_table

app = typer.Typer(help="Sleutels: payload-versleuteling en ondertekening van commando's.", no_args_is_help=True)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json")]


class Purpose(StrEnum):
    payload = "payload"
    signing = "signing"


_SETTING = {Purpose.payload: "CBCT_PAYLOAD_KEYS", Purpose.signing: "CBCT_SIGNING_KEYS"}
_MEANING = {Purpose.payload: "versleutelt Temporal-payloads", Purpose.signing: "ondertekent commando's"}


def _from_setting(settings: Settings, purpose: Purpose) -> bool:
    value = settings.payload_keys if purpose is Purpose.payload else settings.signing_keys
    return value is not None


def _describe(settings: Settings, purpose: Purpose, keys: KeySet) -> dict[str, Any]:
    source = (
        f"instelling {_SETTING[purpose]}"
        if _from_setting(settings, purpose)
        else f"bestand {key_file(settings.data_dir)}"
    )
    return {"purpose": purpose.value, "current": keys.current, "keys": sorted(keys.keys), "source": source}


@app.command("status")
def status_command(output: FormatOption = OutputFormat.table) -> None:
    """Key ids per purpose, the current one, and where they come from (never the keys themselves)."""
    settings = Settings()
    keyring = load_keyring(settings)
    rows = [
        _describe(settings, Purpose.payload, keyring.payload),
        _describe(settings, Purpose.signing, keyring.signing),
    ]
    if output is OutputFormat.json:
        print_json(rows)
        return
    print_table(
        "Sleutels",
        ["doel", "huidige", "alle sleutel-id's", "bron"],
        [
            (f"{r['purpose']} ({_MEANING[Purpose(r['purpose'])]})", r["current"], ", ".join(r["keys"]), r["source"])
            for r in rows
        ],
    )


@app.command("rotate")
def rotate_command(purpose: Annotated[Purpose, typer.Argument(help="payload of signing")]) -> None:
    """Add a new current key to the data directory's key file; the old ones stay to read older data."""
    settings = Settings()
    if _from_setting(settings, purpose):
        fail(
            f"{_SETTING[purpose]} is gezet: roteer door een nieuwe sleutel vooraan in die instelling te zetten "
            "(id:base64,oude-id:base64,...) en herstart de processen"
        )
        raise typer.Exit(EXIT_USAGE)
    load_keyring(settings)  # the file is checked (owner, mode) before it is changed
    key_id = rotate(settings.data_dir, purpose.value)
    running = (
        "Lopende processen lezen payloads onder de nieuwe sleutel vanzelf; herstart de worker om er ook mee "
        "te versleutelen."
        if purpose is Purpose.payload
        else "Lopende workers aanvaarden commando's onder de nieuwe sleutel vanzelf; herstart ze om er ook mee "
        "te ondertekenen."
    )
    console.print(
        f"Nieuwe huidige {purpose.value}-sleutel: {key_id} (in {key_file(settings.data_dir)}). "
        f"De oude sleutels blijven bewaard, zodat wat eerder versleuteld of ondertekend is leesbaar blijft. {running}"
    )
