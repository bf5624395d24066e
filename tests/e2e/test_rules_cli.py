"""Issue 11's rule cases (and issue 9's certificate number) end to end through the `cbct` CLI, each
command its own process as at a terminal: force majeure, a lost postponement race, the heraudit
window, the register during recertification, and the next cycle's certificate.

Four organisations share one database and one controlled clock; between clock ticks their commands
run side by side (each organisation's in order), so the whole story costs about one trajectory's time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_asyncio

from infrastructure.database import drop_database
from tests.conftest import fresh_database

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALL = {str(n): dict.fromkeys("abcd", "Volledig") for n in range(1, 8)}
CONDITIONAL = {**ALL, "3": dict.fromkeys("abcd", "Beperkt")}


@pytest_asyncio.fixture(loop_scope="session")
async def env(server_urls: dict[str, str], tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """One fresh database on one server (the external one when configured): the story is long."""
    url = await fresh_database(server_urls.get("external") or server_urls["embedded"])
    yield {
        **os.environ,
        "CBCT_DATABASE_URL": url,
        "CBCT_CLOCK": "controlled",
        "CBCT_OUTBOX_DIR": str(tmp_path / "outbox"),
        "CBCT_LOG_LEVEL": "error",
        "COLUMNS": "200",
    }
    await drop_database(url)


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    async def __call__(self, *args: str, code: int = 0) -> str:
        """Run `cbct ARGS` in its own process; check the exit code; stdout and stderr together."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "interfaces.cli.app",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 180)
        text = " ".join(out.decode().split())  # Rich wraps long answers; compare words
        assert proc.returncode == code, f"cbct {' '.join(args)} → {proc.returncode}: {text}"
        return text

    async def chains(self, *chains: Sequence[tuple[str, ...]]) -> None:
        """Each chain's commands in order (all must be accepted), the chains side by side."""

        async def run(chain: Sequence[tuple[str, ...]]) -> None:
            for args in chain:
                await self(*args)

        await asyncio.gather(*(run(chain) for chain in chains))


def opening(tid: str, organisation: str, number: str, *extra: str) -> tuple[str, ...]:
    return (
        "trajectory", "open", tid, "--organisation", organisation, "--certificate-number", number,
        "--association", "VOB", "--framework-version", "kib-ii-2023", *extra,
    )  # fmt: skip


def up_to_audit(tid: str, organisation: str, number: str, expert: str, peer: str) -> list[tuple[str, ...]]:
    """Opened 2026-01-05 with a certificate ending 2026-06-30; audit on 2026-04-14."""
    contact = json.dumps({"name": "An de Vries", "email": "an@bieb.example"})
    return [
        opening(tid, organisation, number, "--previous-certificate-expiry", "2026-06-30"),
        ("trajectory", "announce", tid),
        ("intake", "record", tid, "--contacts", contact, "--locations", "Centrale", "--employees", "30"),
        ("selfevaluation", "submit", tid),
        ("audit", "schedule", tid, "--audit-dates", "2026-04-14", "--expert-auditor", expert, "--peer-auditor", peer),
    ]


def audited(tid: str, scores: dict[str, dict[str, str]]) -> list[tuple[str, ...]]:
    return [
        ("audit", "scores", tid, "--scores", json.dumps(scores)),
        ("report", "draft", tid),
        ("report", "react", tid, "--reaction", "Geen opmerkingen"),
    ]


async def postponements(cbct: Cli) -> None:
    """Bibliotheek Borne (KiB II: 2 regular postponements): a lost race, then force majeure."""
    await cbct(*opening("t-d1", "Bibliotheek Borne", "3001", "--previous-certificate-expiry", "2026-12-31"))
    await cbct("postponement", "request", "t-d1", "--ground", "verhuizing of nieuwbouw", "--reason", "nieuwbouw")
    await cbct(
        "postponement", "decide", "t-d1", "--grant", "--reason", "nieuwbouw aangetoond",
        "--new-quarter", "2027-K1", "--actor", "planner:anna",
    )  # fmt: skip
    lost = await cbct(
        "postponement", "decide", "t-d1", "--no-grant", "--reason", "geen grond", "--actor", "planner:bert", code=1
    )
    assert "[postponement.already_decided]" in lost
    assert (
        "uitstelverzoek 1 (verhuizing of nieuwbouw) is zojuist al beslist: verleend (nieuw auditkwartaal 2027-K1) "
        "door planner:anna, met als reden 'nieuwbouw aangetoond'" in lost
    )
    await cbct("postponement", "request", "t-d1", "--ground", "langdurige afwezigheid management", "--reason", "ziek")
    await cbct("postponement", "decide", "t-d1", "--grant", "--reason", "ok", "--new-quarter", "2027-K2")
    limit = await cbct(
        "postponement", "request", "t-d1", "--ground", "verhuizing of nieuwbouw", "--reason", "x", code=1
    )
    assert (
        "maximaal 2 reguliere uitstellen" in limit and "alleen overmacht (calamiteit, pandemie of overmacht)" in limit
    )
    await cbct("postponement", "request", "t-d1", "--ground", "calamiteit", "--reason", "brand in de centrale")
    refusal = await cbct("postponement", "decide", "t-d1", "--no-grant", "--reason", "past niet", code=1)
    assert "[postponement.force_majeure_always_granted]" in refusal and "is overmacht en wordt altijd" in refusal
    await cbct("postponement", "decide", "t-d1", "--grant", "--reason", "brand", "--new-quarter", "2027-K3")
    await cbct("postponement", "request", "t-d1", "--ground", "pandemie", "--reason", "lockdown")
    await cbct("postponement", "decide", "t-d1", "--grant", "--reason", "lockdown", "--new-quarter", "2027-K4")
    listed = json.loads(await cbct("postponement", "list", "--all", "--format", "json"))
    assert [(r["request_number"], r["ground"], r["status"], r["force_majeure"]) for r in listed] == [
        (1, "verhuizing of nieuwbouw", "granted", False),
        (2, "langdurige afwezigheid management", "granted", False),
        (3, "calamiteit", "granted", True),
        (4, "pandemie", "granted", True),
    ]


async def test_the_rule_cases_through_the_cli(env: dict[str, str]) -> None:
    cbct = Cli(env)
    await cbct("clock", "tick", "--to", "2026-01-05")
    await asyncio.gather(
        cbct.chains(
            up_to_audit("t-a1", "Bibliotheek Hengelo", "1002", "Ellen Expert", "Peer Bakker"),
            up_to_audit("t-b1", "Bibliotheek Almelo", "2001", "Frank Expert", "Petra Peer"),
            up_to_audit("t-c1", "Bibliotheek Enschede", "2002", "Gert Expert", "Paula Peer"),
        ),
        postponements(cbct),
    )
    await cbct("clock", "tick", "--to", "2026-04-14")
    await cbct.chains(audited("t-a1", ALL), audited("t-b1", CONDITIONAL), audited("t-c1", CONDITIONAL))
    await cbct("clock", "tick", "--to", "2026-04-15")
    await cbct.chains(*[[("decision", "record", t)] for t in ("t-a1", "t-b1", "t-c1")])

    # The next cycle knows its certificate; a number belongs to one organisation.
    wrong = await cbct(
        *opening("t-a2", "Bibliotheek Hengelo", "1002", "--previous-certificate-expiry", "2026-06-30"), code=1
    )
    assert "[certificate.expiry_mismatch]" in wrong
    assert (
        "certificaat 1002 van Bibliotheek Hengelo is geldig tot 2030-06-30 (afgegeven op 2026-04-15 in traject t-a1), "
        "niet tot 2026-06-30" in wrong
    )
    taken = await cbct(
        *opening("t-x1", "Bibliotheek Oldenzaal", "1002", "--previous-certificate-expiry", "2027-03-31"), code=1
    )
    assert "[certificate.number_taken]" in taken
    assert (
        "certificaatnummer 1002 hoort bij Bibliotheek Hengelo (traject t-a1), niet bij Bibliotheek Oldenzaal" in taken
    )
    await cbct(*opening("t-a3", "Bibliotheek Hengelo", "1002"))
    shown = await cbct("trajectory", "show", "t-a3")
    assert "auditkwartaal 2030-K2" in shown
    rows = {r["certificate_number"]: r for r in json.loads(await cbct("register", "--format", "json"))}
    assert rows["1002"]["organisation"] == "Bibliotheek Hengelo"
    assert (rows["1002"]["certified_until"], rows["1002"]["status"]) == ("2030-06-30", "gecertificeerd tot")

    # The register during recertification: voorwaardelijk past the old gecertificeerd tot (2026-06-30).
    await cbct("clock", "tick", "--to", "2026-07-01")
    rows = {r["certificate_number"]: r for r in json.loads(await cbct("register", "--format", "json"))}
    assert [rows[n]["status"] for n in ("2001", "2002")] == ["hercertificering loopt"] * 2

    # The heraudit window (2026-04-15 … 2026-10-15) bounds the heraudit itself.
    await cbct("heraudit", "request", "t-b1")
    rows = {r["certificate_number"]: r for r in json.loads(await cbct("register", "--format", "json"))}
    assert (rows["2001"]["remark"], rows["2001"]["status"]) == ("Heraudit in voorbereiding", "hercertificering loopt")
    late = await cbct(
        "audit", "schedule", "t-b1", "--audit-dates", "2026-11-10", "--expert-auditor", "Hans Expert",
        "--peer-auditor", "Pim Peer", code=1,
    )  # fmt: skip
    assert "[heraudit.after_window]" in late
    assert (
        "heraudit op 2026-11-10 valt buiten de termijn: na 'Voorwaardelijk gecertificeerd' (besluit van 2026-04-15) "
        "vindt de heraudit uiterlijk op 2026-10-15 plaats" in late
    )
    await cbct(
        "audit", "schedule", "t-b1", "--audit-dates", "2026-10-13", "--expert-auditor", "Hans Expert",
        "--peer-auditor", "Pim Peer",
    )  # fmt: skip
    await cbct("clock", "tick", "--to", "2026-10-15")
    last_day = await cbct("heraudit", "request", "t-c1", code=1)
    assert "[heraudit.no_time_left]" in last_day and "aanvragen kon tot en met 2026-10-01" in last_day
