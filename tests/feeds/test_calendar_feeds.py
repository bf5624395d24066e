"""Calendar feeds over HTTP: each principal's feed parsed back with icalendar; an audit that moves keeps
its UID and raises its SEQUENCE; a cancelled one stays, STATUS:CANCELLED; the read model rebuilds the same."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
from icalendar import Calendar, Event

from application.calendar_ids import audit_uid
from bootstrap import App
from domain import CancelAudit, DecidePostponement, RequestPostponement, ScheduleAudit
from projections.registry import CALENDAR
from tests.feeds.conftest import AS
from tests.projections.world import World, opened_2019

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def subscribe(client: httpx.AsyncClient, who: str) -> str:
    """A new feed's URL path for `who`."""
    made = await client.post("/api/feeds", headers={AS: who})
    assert made.status_code == 201, made.text
    url = str(made.json()["url"])
    assert url.startswith("http://cbct.test/feeds/") and url.endswith(".ics")
    return url.removeprefix("http://cbct.test")


async def fetch(client: httpx.AsyncClient, path: str) -> tuple[Calendar, str]:
    """The feed at `path`, parsed, and its text (no sign-in: a calendar app cannot)."""
    answer = await client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "private" in answer.headers["cache-control"]
    return Calendar.from_ical(answer.content), answer.text


def events(calendar: Calendar) -> dict[str, Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT") if isinstance(e, Event)}


def sequence(event: Event) -> int:
    return int(event.decoded("SEQUENCE"))


async def schedule(world: World, when: str, trajectory_id: str, day: date, expert: str, peer: str) -> None:
    await world.do(ScheduleAudit, when, trajectory_id, audit_dates=[day], expert_auditor=expert, peer_auditor=peer)


async def two_audits(world: World) -> None:
    """Helmond-Peel (1036) audited by Ellen Expert, Hengelo (1002) by Anna Auditor; Peer Bakker at both."""
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await opened_2019(world, "kib-1002", "1002", "Bibliotheek Hengelo")
    await schedule(world, "2018-12-03", "kib-1036", date(2019, 2, 12), "Ellen Expert", "Peer Bakker")
    await schedule(world, "2018-12-03", "kib-1002", date(2019, 2, 19), "Anna Auditor", "Peer Bakker")
    await world.catch_up()


HELMOND, HENGELO = audit_uid("kib-1036", 0), audit_uid("kib-1002", 0)


async def test_each_principal_sees_its_own_audits_in_amsterdam_time(world: World, client: httpx.AsyncClient) -> None:
    await two_audits(world)

    planner, _ = await fetch(client, await subscribe(client, "planner"))
    assert set(events(planner)) == {HELMOND, HENGELO}
    [zone] = planner.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Amsterdam" and str(planner["X-WR-TIMEZONE"]) == "Europe/Amsterdam"
    helmond = events(planner)[HELMOND]
    assert helmond.decoded("DTSTART") == date(2019, 2, 12) and helmond.decoded("DTEND") == date(2019, 2, 13)
    assert str(helmond["STATUS"]) == "CONFIRMED" and sequence(helmond) == 0
    assert "Bibliotheek Helmond-Peel" in str(helmond["SUMMARY"])
    assert "Ellen Expert" in str(helmond["DESCRIPTION"])

    ellen, _ = await fetch(client, await subscribe(client, "ellen"))
    assert set(events(ellen)) == {HELMOND}
    anna, _ = await fetch(client, await subscribe(client, "anna"))
    assert set(events(anna)) == {HENGELO}

    # An auditee: its own audit and the deadlines it has to meet, nothing of another organisation.
    own, text = await fetch(client, await subscribe(client, "helmond"))
    mine = events(own)
    assert HELMOND in mine and HENGELO not in mine
    assert "Hengelo" not in text and "1002" not in text and "Anna Auditor" not in text
    deadlines = [e for uid, e in mine.items() if uid.startswith("deadline.")]
    assert deadlines and all("kib-1036" in str(e["UID"]) for e in deadlines)
    reminder = next(e for e in deadlines if "certificate_expiry_reminder" in str(e["UID"]))
    start = reminder.decoded("DTSTART")
    assert isinstance(start, datetime) and str(start.tzinfo) == "Europe/Amsterdam"
    assert (start.date(), start.hour, start.minute) == (date(2018, 12, 31), 9, 0)  # the reminder hour

    other, text = await fetch(client, await subscribe(client, "hengelo"))
    assert HENGELO in events(other) and HELMOND not in events(other)
    assert "Helmond" not in text and "1036" not in text and "Ellen Expert" not in text


async def test_moving_an_audit_keeps_its_uid_and_raises_its_sequence(
    app: App, world: World, client: httpx.AsyncClient
) -> None:
    await two_audits(world)
    feed = await subscribe(client, "planner")

    async def helmond() -> Event:
        await world.catch_up()
        calendar, _ = await fetch(client, feed)
        return events(calendar)[HELMOND]

    # A re-schedule to another day.
    await schedule(world, "2018-12-10", "kib-1036", date(2019, 2, 14), "Ellen Expert", "Peer Bakker")
    moved = await helmond()
    assert moved.decoded("DTSTART") == date(2019, 2, 14) and sequence(moved) == 1
    # New auditors on the same day: the same entry, no new sequence (RFC 5545: dates and status count).
    await schedule(world, "2018-12-10", "kib-1036", date(2019, 2, 14), "Ellen Expert", "Bert Bakker")
    same = await helmond()
    assert sequence(same) == 1 and "Bert Bakker" in str(same["DESCRIPTION"])

    # A postponement granted with a new date moves it again.
    await world.do(RequestPostponement, "2018-12-11", "kib-1036", ground="calamiteit", reason="brand in de centrale")
    await world.do(
        DecidePostponement,
        "2018-12-12",
        "kib-1036",
        grant=True,
        reason="brand, audit naar april",
        new_quarter="2019-K2",
        new_audit_dates=[date(2019, 4, 16)],
    )
    postponed = await helmond()
    assert postponed.decoded("DTSTART") == date(2019, 4, 16) and sequence(postponed) == 2
    assert str(postponed["STATUS"]) == "CONFIRMED"

    # Cancelled: it stays in the feed, cancelled, with a higher sequence.
    await world.do(CancelAudit, "2018-12-13", "kib-1036", reason="de centrale is niet op tijd hersteld")
    cancelled = await helmond()
    assert str(cancelled["STATUS"]) == "CANCELLED" and sequence(cancelled) == 3
    assert cancelled.decoded("DTSTART") == date(2019, 4, 16) and str(cancelled["SUMMARY"]).startswith("Geannuleerd")

    # Planned again in the same round: the same UID, confirmed, a higher sequence still.
    await schedule(world, "2018-12-14", "kib-1036", date(2019, 5, 14), "Ellen Expert", "Peer Bakker")
    again = await helmond()
    assert str(again["STATUS"]) == "CONFIRMED" and sequence(again) == 4
    assert again.decoded("DTSTART") == date(2019, 5, 14)
    hengelo, _ = await fetch(client, feed)
    assert sequence(events(hengelo)[HENGELO]) == 0  # the other audit did not move

    # The read model is rebuilt from the events alone: the same feed, byte for byte (audits only).
    before = (await client.get(feed)).content
    await app.projections.rebuild(CALENDAR)
    assert (await client.get(feed)).content == before


async def test_a_postponement_without_a_new_date_cancels_the_audit_until_it_is_planned_again(
    world: World, client: httpx.AsyncClient
) -> None:
    await two_audits(world)
    feed = await subscribe(client, "ellen")
    await world.do(RequestPostponement, "2018-12-11", "kib-1036", ground="calamiteit", reason="wateroverlast")
    await world.do(DecidePostponement, "2018-12-12", "kib-1036", grant=True, reason="naar Q2", new_quarter="2019-K2")
    await world.catch_up()
    calendar, _ = await fetch(client, feed)
    entry = events(calendar)[HELMOND]
    assert str(entry["STATUS"]) == "CANCELLED" and sequence(entry) == 1
    assert entry.decoded("DTSTART") == date(2019, 2, 12)
