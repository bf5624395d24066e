"""Issue 18, case 4 and the `--data @FILE` item of case 5, from the command line: `cbct event correct`.

Each case was accepted on main (measured; /work/notes/correct.md): the certificate moved, year 1 emptied
every view, the EventCorrected event became {"nothing": "to see"}, a 2 KB name and CR/LF in an address
went in, and `--data @/dev/zero` or a FIFO never returned. Now each is one Dutch line naming the field
or file and the rule — exit 2 for bad input, 1 for a rule — with nothing written and every view intact.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from infrastructure.database import open_pool
from tests.e2e.test_hostile_regressions import cbct, db, events_stored, open_unchecked

__all__ = ["db"]  # the fixture, shared with the issue-9 regressions


def _event_ids(url: str, trajectory_id: str) -> dict[str, str]:
    async def go() -> dict[str, str]:
        async with open_pool(url) as pool:
            rows = await pool.fetch(
                "SELECT event_id::text, event_type FROM events WHERE stream_id = $1", f"trajectory-{trajectory_id}"
            )
            return {r["event_type"]: r["event_id"] for r in rows}

    return asyncio.run(go())


def _corrections(url: str) -> int:
    async def go() -> int:
        async with open_pool(url) as pool:
            return int(await pool.fetchval("SELECT count(*) FROM event_corrections"))

    return asyncio.run(go())


def _data(event_id: str) -> dict[str, Any]:
    code, out = cbct("event", "show", event_id, "--format", "json")
    assert code == 0, out
    found: dict[str, Any] = json.loads(out)
    return dict(found["corrected"] or found["data"])


@pytest.fixture
def two(db: str) -> dict[str, str]:
    """Bibliotheek Een holds 1001, Bibliotheek Twee 1002; their TrajectoryOpened event ids."""
    open_unchecked(db, "t-een", organisation="Bibliotheek Een", certificate_number="1001")
    open_unchecked(db, "t-twee", organisation="Bibliotheek Twee", certificate_number="1002")
    return {"een": _event_ids(db, "t-een")["TrajectoryOpened"], "twee": _event_ids(db, "t-twee")["TrajectoryOpened"]}


def _refused(db: str, args: list[str], code: int, *words: str) -> str:
    """Run `cbct event correct …`: refused with `code`, one line naming `words`, nothing written."""
    before = (events_stored(db), _corrections(db))
    got, out = cbct("event", "correct", *args)
    assert got == code, out
    assert len(out.strip().splitlines()) == 1, out
    for word in words:
        assert word in out, (word, out)
    assert (events_stored(db), _corrections(db)) == before
    return out


def _views_intact() -> None:
    code, out = cbct("projections", "rebuild")
    assert code == 0 and "gestopt" not in out, out
    code, out = cbct("register")
    assert code == 0 and "Bibliotheek Een" in out and "Bibliotheek Twee" in out and "staat stil" not in out, out
    code, out = cbct("trajectory", "list")
    assert code == 0 and "t-een" in out and "t-twee" in out, out


def test_moving_certificate_1001_to_another_organisation_is_refused(db: str, two: dict[str, str]) -> None:
    """Main: exit 0; after `projections rebuild` the register showed 1001 Bibliotheek Twee, Een gone."""
    data = json.dumps({**_data(two["twee"]), "certificate_number": "1001"})
    _refused(db, [two["twee"], "--data", data, "--reason", "x", "--force"], 1, "1001", "Bibliotheek Een")
    _views_intact()
    assert "1001" in cbct("register")[1] and "Bibliotheek Een" in cbct("trajectory", "show", "t-een")[1]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("previous_certificate_expiry", "0001-01-01", ["2000-01-01"]),  # main: every view empty, for everyone
        ("organisation", "B" * 2048, ["200"]),  # main: workflow tasks and email.send failed for ever
        ("contact_email", "an@bieb.example\r\nBcc: x@y.nl", []),  # main: the same
        ("opened_on", "9999-12-31", ["2100-12-31"]),
    ],
)
def test_a_value_no_command_could_have_produced_is_refused(
    db: str, two: dict[str, str], field: str, value: str, words: list[str]
) -> None:
    data = json.dumps({**_data(two["een"]), field: value})
    _refused(db, [two["een"], "--data", data, "--reason", "x", "--force"], 2, "--data", field, *words)
    _views_intact()


def test_the_event_corrected_event_cannot_be_corrected(db: str, two: dict[str, str]) -> None:
    """Main: exit 0, the record of the correction became {"nothing": "to see"}."""
    data = json.dumps({**_data(two["twee"]), "contact_email": "info@twee.example"})
    code, out = cbct("event", "correct", two["twee"], "--data", data, "--reason", "adres", "--force")
    assert code == 0, out

    async def correction_id() -> str:
        async with open_pool(db) as pool:
            return str(await pool.fetchval("SELECT event_id FROM events WHERE event_type = 'EventCorrected'"))

    corrected = asyncio.run(correction_id())
    _refused(db, [corrected, "--data", '{"nothing": "to see"}', "--reason", "x", "--force"], 1, "EventCorrected")
    _views_intact()


def test_a_readable_event_needs_force_and_the_correction_shows_in_the_timeline(db: str, two: dict[str, str]) -> None:
    data = json.dumps({**_data(two["twee"]), "contact_email": "info@twee.example"})
    _refused(db, [two["twee"], "--data", data, "--reason", "nieuw adres"], 2, "--force")
    code, out = cbct(
        "event", "correct", two["twee"], "--data", data, "--reason", "nieuw adres", "--actor", "ops:anna", "--force"
    )
    assert code == 0 and "gecorrigeerd" in out and "projections rebuild" in out, out
    code, out = cbct("trajectory", "show", "t-twee")
    assert code == 0, out
    assert "gecorrigeerd" in out and "nieuw adres" in out and "ops:anna" in out and "EventCorrected" in out, out
    shown = json.loads(cbct("trajectory", "show", "t-twee", "--format", "json")[1])
    assert [t["corrected"] for t in shown["timeline"]] == [True]
    assert [(c["reason"], c["corrected_by"]) for c in shown["corrections"]] == [("nieuw adres", "ops:anna")]
    assert _data(two["twee"])["contact_email"] == "info@twee.example"


# --- --data @FILE: the file checks of application/input_file.py, and bounded JSON ----------------------


def test_data_from_a_device_a_fifo_a_directory_or_a_large_file_is_one_line(
    db: str, two: dict[str, str], tmp_path: Path
) -> None:
    """Main: /dev/zero read until memory ran out, a FIFO hung, deep nesting gave *Interne fout*."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    large = tmp_path / "large.json"
    large.write_text(json.dumps({"organisation": "x" * 300_000}))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(b'{"organisation": "Bibliotheek \xe9\xe9n"}')
    cases = [
        ("/dev/zero", "geen gewoon bestand"),
        (str(fifo), "geen gewoon bestand"),
        (str(tmp_path), "is een map"),
        (str(tmp_path / "missing.json"), "bestaat niet"),
        (str(large), "te groot"),
        (str(deep), "te diep genest"),
        (str(not_utf8), "UTF-8"),
    ]
    for path, rule in cases:
        _refused(db, [two["een"], "--data", f"@{path}", "--reason", "x", "--force"], 2, "--data", rule)
    for text, rule in [('{"a": NaN}', "JSON"), ("[1]", "JSON-object"), ("{" * 50, "te diep genest")]:
        _refused(db, [two["een"], "--data", text, "--reason", "x", "--force"], 2, "--data", rule)
    _views_intact()


def test_a_good_correction_from_a_file_is_accepted(db: str, two: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**_data(two["een"]), "organisation": "Bibliotheek Eén"}))
    code, out = cbct("event", "correct", two["een"], "--data", f"@{good}", "--reason", "accent", "--force")
    assert code == 0, out
    code, out = cbct("projections", "rebuild")
    assert code == 0
    assert "Bibliotheek Eén" in cbct("register")[1]
