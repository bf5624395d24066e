"""`/metrics`: ops and admin only; the read models' gauges agree with the read models; projection lag
shows events not yet applied; the Temporal SDK's own metrics appear once a workflow ran."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from application.account_service import AccountService
from bootstrap import App
from domain import OpenTrajectory, Phase, ScheduleAudit
from infrastructure import loopback_test_server
from infrastructure.settings import Settings
from infrastructure.temporal_client import connect_embedded
from infrastructure.temporal_server import TemporalServerInfo
from interfaces.http import metrics as metrics_route
from interfaces.http.app import create_app
from tests.feeds.conftest import AS
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.projections.world import World, opened_2019

pytestmark = pytest.mark.asyncio(loop_scope="session")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient, who: str = "ops") -> Samples:
    answer = await client.get("/metrics", headers={AS: who})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture(autouse=True)
def every_scrape_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """No reuse of a recent reading: each scrape of a test reads the read models."""
    monkeypatch.setattr(metrics_route, "REFRESH_SECONDS", 0.0)


async def test_only_ops_and_admin_may_scrape(client: httpx.AsyncClient) -> None:
    unsigned = await client.get("/metrics")
    assert unsigned.status_code == 401 and unsigned.headers["content-type"] == "application/problem+json"
    for role in ("planner", "ellen", "helmond", "director"):
        forbidden = await client.get("/metrics", headers={AS: role})
        assert forbidden.status_code == 403 and "cbct_" not in forbidden.text
    assert (await client.get("/metrics", headers={AS: "ops"})).status_code == 200
    assert (await client.get("/metrics", headers={AS: "admin"})).status_code == 200


async def seed(world: World) -> None:
    """Helmond-Peel scheduled; Almelo announced, its intake overdue at the clock's 2018-12-10."""
    await opened_2019(world, "kib-1036", "1036", "Bibliotheek Helmond-Peel")
    await world.do(
        ScheduleAudit,
        "2018-12-03",
        "kib-1036",
        audit_dates=[date(2019, 2, 12)],
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    await world.do(
        OpenTrajectory,
        "2018-06-20",
        "kib-1003",
        organisation="Bibliotheek Almelo",
        certificate_number="1003",
        association="VOB",
        framework_version="kib-2018",
        previous_certificate_expiry="2019-03-31",
    )
    await world.fire_due("2018-10-01")
    await world.catch_up()


async def test_the_read_model_gauges_agree_with_the_read_models(
    app: App, world: World, client: httpx.AsyncClient
) -> None:
    await seed(world)
    samples = await scrape(client)
    assert value(samples, "cbct_read_models_up") == 1.0

    phases = {
        r["phase"]: r["n"]
        for r in await app.pool.fetch("SELECT phase, count(*) AS n FROM trajectories WHERE is_open GROUP BY phase")
    }
    assert sum(phases.values()) == 2
    for phase, count in phases.items():
        assert value(samples, "cbct_open_trajectories", phase=phase) == count
    assert value(samples, "cbct_open_trajectories", phase=Phase.SCHEDULED.value) == 1  # Helmond-Peel

    assert value(samples, "cbct_overdue_deadlines", kind="intake") == 1  # Almelo's, due 2018-10-15
    assert value(samples, "cbct_overdue_deadlines", kind="certificate_expiry") is None  # not yet

    pending = await app.pool.fetchval("SELECT count(*) FROM messages WHERE status = 'pending'")
    assert pending > 0
    assert value(samples, "cbct_emails_waiting") == pending
    assert value(samples, "cbct_messages", status="pending") == pending
    assert value(samples, "cbct_emails_refused") == 0

    for name in ("trajectories", "messages", "calendar", "feed_tokens"):
        assert value(samples, "cbct_projection_lag_events", projection=name) == 0
        assert value(samples, "cbct_projection_lag_seconds", projection=name) == 0
        assert value(samples, "cbct_projection_halted", projection=name) == 0

    # Events the projections have not applied yet: the lag shows them, per projection.
    await world.do(
        ScheduleAudit,
        "2018-12-10",
        "kib-1036",
        audit_dates=[date(2019, 2, 14)],
        expert_auditor="Ellen Expert",
        peer_auditor="Peer Bakker",
    )
    behind = await scrape(client)
    assert value(behind, "cbct_projection_lag_events", projection="trajectories") == 1
    assert value(behind, "cbct_projection_lag_events", projection="calendar") == 1
    assert value(behind, "cbct_projection_lag_events", projection="feed_tokens") == 0
    lag = value(behind, "cbct_projection_lag_seconds", projection="trajectories")
    assert lag is not None and 0 < lag < 60
    await world.catch_up()
    assert value(await scrape(client), "cbct_projection_lag_events", projection="trajectories") == 0


async def test_the_process_counters_are_exposed(client: httpx.AsyncClient) -> None:
    from infrastructure.metrics import COMMANDS, EMAILS

    COMMANDS.labels("ScheduleAudit", "accepted").inc()
    EMAILS.labels("smtp", "sent").inc()
    samples = await scrape(client)
    assert (value(samples, "cbct_commands_total", command="ScheduleAudit", answer="accepted") or 0) >= 1
    assert (value(samples, "cbct_emails_total", transport="smtp", outcome="sent") or 0) >= 1


@workflow.defn(sandboxed=False)
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=1))
        return f"dag {name}"


async def test_the_temporal_sdk_metrics_appear_after_a_workflow_ran(client: httpx.AsyncClient, tmp_path: Path) -> None:
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(loopback_test_server.launcher())
    )
    try:
        address = environment.client.service_client.config.target_host
        settings = Settings(data_dir=tmp_path / "data", payload_keys=TEST_PAYLOAD_KEYS, log_level="error")
        info = TemporalServerInfo(address, None, environment.client.namespace, pid=0)
        ours = await connect_embedded(settings, info)  # the project's own client: the shared SDK runtime
        async with Worker(
            ours, task_queue="metrics-test", workflows=[Greeting], workflow_runner=UnsandboxedWorkflowRunner()
        ):
            answer = await ours.execute_workflow(
                Greeting.run, "ops", id="metrics-test-greeting", task_queue="metrics-test"
            )
        assert answer == "dag ops"
    finally:
        await environment.shutdown()

    samples = await scrape(client)
    names = {name for name, _labels in samples}
    sdk = {name for name in names if name.startswith("temporal_")}
    assert sdk, sorted(names)
    completed = [
        v
        for (name, labels), v in samples.items()
        if name == "temporal_workflow_completed_total" and ("workflow_type", "Greeting") in labels
    ]
    assert completed and sum(completed) >= 1, sorted(sdk)
    assert any(name.endswith("_seconds_bucket") for name in sdk), sorted(sdk)


async def test_a_scraper_signs_in_with_an_ops_api_token(app: App, accounts: AccountService) -> None:
    """Through the real sign-in (no test principal): an ops account's bearer token is let in, a
    planner's is not, a revoked one is nobody."""
    ops_token_id, ops_token = await accounts.create_token("olaf", "prometheus", actor="admin:test")
    _, planner_token = await accounts.create_token("pia", "script", actor="admin:test")
    web = create_app(app)
    web.state.accounts = accounts  # the app's own service, with the tests' cheap password hashing
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://cbct.test") as plain:
        scraped = await plain.get("/metrics", headers={"Authorization": f"Bearer {ops_token}"})
        assert scraped.status_code == 200 and "cbct_read_models_up 1.0" in scraped.text
        planner = await plain.get("/metrics", headers={"Authorization": f"Bearer {planner_token}"})
        assert planner.status_code == 403
        await accounts.revoke_token(ops_token_id, actor="admin:test")
        assert (await plain.get("/metrics", headers={"Authorization": f"Bearer {ops_token}"})).status_code == 401
