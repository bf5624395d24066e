"""The list and the register answered again from what was kept, exactly while no read model moved.

One database for the module; the tests run in order and change it (a trajectory opened in between)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bootstrap import App, bootstrap
from domain import OpenTrajectory
from infrastructure.database import drop_database
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.deps import current_principal
from tests.conftest import fresh_database
from tests.http.queries_support import NOW, FixedClock, as_header
from tests.projections.world import World, make_world

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class Cached:
    app: App
    http: FastAPI
    client: httpx.AsyncClient
    world: World

    async def get(self, path: str, who: str = "planner", **headers: str) -> httpx.Response:
        return await self.client.get(path, headers={"x-test-as": who, **headers})

    async def open(self, trajectory_id: str, number: str) -> None:
        await self.world.do(
            OpenTrajectory,
            "2026-01-08",
            trajectory_id,
            organisation=f"Bibliotheek {number}",
            certificate_number=number,
            association="VOB",
            framework_version="kib-ii-2023",
            previous_certificate_expiry=date(2026, 6, 30),
            contact_email="info@example.nl",
        )
        await self.app.projections.catch_up()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def cached(server_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cached]:
    url = await fresh_database(server_urls.get("external") or server_urls["embedded"])
    data: Path = tmp_path_factory.mktemp("answers")
    try:
        async with bootstrap(Settings(_env_file=None, data_dir=data, log_level="warning"), url=url) as app:
            app.clock = FixedClock(NOW)
            http = create_app(app)
            http.dependency_overrides[current_principal] = as_header
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=http), base_url="http://test") as client:
                found = Cached(app, http, client, make_world(app.pool))
                await found.open("c-1002", "1002")
                yield found
    finally:
        await drop_database(url)


@pytest.mark.parametrize("path", ["/api/trajectories", "/api/register"])
async def test_the_same_question_gets_the_same_answer_and_its_etag_a_304(cached: Cached, path: str) -> None:
    first = await cached.get(path)
    again = await cached.get(path)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert first.headers["content-type"] == "application/json"
    assert first.headers["cache-control"] == "private, no-cache"
    unchanged = await cached.get(path, **{"if-none-match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == first.headers["etag"]


async def test_what_is_kept_for_one_asker_is_not_given_to_another(cached: Cached) -> None:
    planner = await cached.get("/api/trajectories")
    other = await cached.get("/api/trajectories", "auditee-1036")
    assert [t["trajectory_id"] for t in planner.json()["items"]] == ["c-1002"]
    assert other.json()["items"] == [] and other.json()["total"] == 0
    assert other.headers["etag"] != planner.headers["etag"]
    stale = await cached.get("/api/trajectories", "auditee-1036", **{"if-none-match": planner.headers["etag"]})
    assert stale.status_code == 200  # another asker's tag is no tag of this answer


async def test_an_event_projected_makes_a_new_answer(cached: Cached) -> None:
    before = await cached.get("/api/trajectories")
    register_before = await cached.get("/api/register")
    await cached.open("c-1036", "1036")
    after = await cached.get("/api/trajectories")
    assert [t["trajectory_id"] for t in after.json()["items"]] == ["c-1002", "c-1036"]
    assert after.json()["total"] == 2 and after.headers["etag"] != before.headers["etag"]
    changed = await cached.get("/api/trajectories", **{"if-none-match": before.headers["etag"]})
    assert changed.status_code == 200 and changed.content == after.content
    assert (await cached.get("/api/register")).headers["etag"] != register_before.headers["etag"]


async def test_another_question_is_answered_on_its_own(cached: Cached) -> None:
    everything = await cached.get("/api/trajectories")
    one = await cached.client.get(
        "/api/trajectories", params={"certificate_number": "1036"}, headers={"x-test-as": "planner"}
    )
    assert [t["trajectory_id"] for t in one.json()["items"]] == ["c-1036"]
    assert one.headers["etag"] != everything.headers["etag"]


async def test_one_trajectory_is_made_again_when_time_changes_its_deadlines(cached: Cached) -> None:
    """Its announcement (due 2026-01-08 09:00) is 2 days overdue at NOW; a third day starts on the 11th at
    09:00, after Amsterdam's midnight (which turns the day for what is `due`)."""
    clock = cached.app.clock
    assert isinstance(clock, FixedClock)
    path = "/api/trajectories/c-1002"
    try:
        first = await cached.get(path)
        overdue = [d for d in first.json()["deadlines"] if d["kind"] == "announcement"]
        assert [(d["status"], d["days_overdue"]) for d in overdue] == [("overdue", 2)]
        assert (await cached.get(path)).headers["etag"] == first.headers["etag"]
        clock.at = NOW + timedelta(minutes=1)  # nothing falls due: the kept answer
        later = await cached.get(path, **{"if-none-match": first.headers["etag"]})
        assert later.status_code == 304
        clock.at = datetime(2026, 1, 11, 8, 0, tzinfo=UTC)  # the third day overdue begins
        third = await cached.get(path, **{"if-none-match": first.headers["etag"]})
        assert third.status_code == 200 and third.headers["etag"] != first.headers["etag"]
        overdue = [d for d in third.json()["deadlines"] if d["kind"] == "announcement"]
        assert [(d["status"], d["days_overdue"]) for d in overdue] == [("overdue", 3)]
    finally:
        clock.at = NOW
