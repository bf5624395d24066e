"""The command endpoints (issue 22, item 2): one per CLI step, with the command's fields as the body,
sent through the trajectory's workflow as the CLI sends them — against real Postgres and Temporal."""

from __future__ import annotations

from typing import Any

import pytest

from domain.registry import CLI_STEPS, FIELDS
from frameworks.loader import load_rules
from infrastructure.metrics import COMMANDS, REGISTRY
from interfaces.http.command_models import ENDPOINTS
from tests.http.commands_support import OPEN_BODY, Api, api_fixture, rig, temporal  # noqa: F401  (fixtures)
from tests.unit.driver import scores

pytestmark = pytest.mark.asyncio(loop_scope="session")

KIB2 = load_rules("kib-ii-2023")


async def test_one_endpoint_per_cli_step_with_a_valid_example() -> None:
    """Every `cbct <noun> <verb>` has its endpoint, named after its command, and its example validates."""
    assert len(ENDPOINTS) == len(CLI_STEPS)
    assert {(e.noun, e.verb, e.command) for e in ENDPOINTS} == {(c.noun, c.verb, k) for c, k in CLI_STEPS}
    for endpoint in ENDPOINTS:
        body = endpoint.body.model_validate(endpoint.example)
        command = endpoint.command_of(body, trajectory_id="T-1", command_id="k-1", actor="planner:piet")
        assert type(command) is endpoint.command
        assert set(endpoint.body.model_fields) == set(endpoint.command.model_fields) - {
            "command_id",
            "trajectory_id",
            "actor",
        }


async def test_openapi_documents_every_command_with_summary_example_and_descriptions(api: Api) -> None:
    doc = (await api.http.get("/api/openapi.json")).json()
    for endpoint in ENDPOINTS:
        operation = doc["paths"][f"/api{endpoint.path}"]["post"]
        assert operation["summary"] == endpoint.summary
        assert operation["operationId"] == endpoint.name
        assert {"200", "403", "404", "409", "422", "503"} <= set(operation["responses"])
        assert "Retry-After" in operation["responses"]["503"]["headers"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
        schema = doc["components"]["schemas"][f"{endpoint.name}Body"]
        assert schema["additionalProperties"] is False
        assert schema["examples"] == [endpoint.example]
        for name, prop in schema["properties"].items():
            assert prop["description"], (endpoint.name, name)
            assert FIELDS[name].help.split(" ")[0] in prop["description"]
    # no actor, no command id in any body
    assert not any(
        {"actor", "command_id", "trajectory_id"} & set(s.get("properties", {}))
        for n, s in doc["components"]["schemas"].items()
        if n.endswith("Body")
    )


def _answer(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_trajectory_from_opening_to_certification_over_http(api: Api) -> None:
    """Planner opens, announces and schedules; the auditee does the intake and self-evaluation; the
    expert auditor scores and drafts; the auditee reacts; the director decides. Every event records
    the signed-in principal as its actor."""
    tid = "T-http-1"
    await api.until("2025-11-03")
    opened = _answer(await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="open-1"))
    assert opened["accepted"] is True and opened["command_id"] == "open-1"
    assert opened["events"][0]["type"] == "TrajectoryOpened"
    _answer(await api.command("planner", tid, "trajectory/announce", key="announce-1"))
    await api.until("2025-11-10")
    intake = {"contacts": FIELDS["contacts"].example, "locations": ["Centrale"], "employees": 40}
    _answer(await api.command("auditee", tid, "intake/record", intake, key="intake-1"))
    await api.until("2025-11-20")
    _answer(await api.command("auditee", tid, "selfevaluation/submit", {"documents": ["zelfevaluatie.pdf"]}))
    await api.until("2025-11-21")
    plan = {"audit_dates": ["2026-04-14"], "expert_auditor": "Ellen Expert", "peer_auditor": "Peer Bakker"}
    _answer(await api.command("planner", tid, "audit/schedule", plan, key="plan-1"))
    await api.until("2026-04-14")
    answers = {"scores": scores(KIB2.base_norm_ids, KIB2), "indicators": {}}
    _answer(await api.command("expert", tid, "audit/scores", answers, key="scores-1"))
    _answer(await api.command("expert", tid, "report/draft", {}, key="draft-1"))
    _answer(await api.command("auditee", tid, "report/react", {"reaction": "Geen opmerkingen."}, key="react-1"))
    await api.until("2026-05-15")
    decided = _answer(await api.command("director", tid, "decision/record", key="decide-1"))
    assert {"CertificationDecided", "CertificateIssued"} <= {e["type"] for e in decided["events"]}
    rows = await api.runtime.pool.fetch(
        "SELECT command_id, actor FROM events WHERE stream_id = $1 AND command_id = ANY($2::text[])",
        f"trajectory-{tid}",
        ["open-1", "intake-1", "scores-1", "decide-1"],
    )
    actors = {r["command_id"]: r["actor"] for r in rows}
    assert actors == {
        "open-1": "planner:piet",
        "intake-1": "auditee:an",
        "scores-1": "auditor:ellen",
        "decide-1": "director:dirk",
    }


async def test_an_auditee_requests_a_postponement_and_the_planner_grants_it(api: Api) -> None:
    tid = "T-http-2"
    await api.until("2025-11-03")
    _answer(await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="p-open"))
    await api.until("2025-11-10")
    request = {"ground": "fusie", "reason": "Fusie met de buurgemeente.", "ground_effective_on": "2026-07-01"}
    asked = _answer(await api.command("auditee", tid, "postponement/request", request, key="p-ask"))
    assert [e["type"] for e in asked["events"]] == ["PostponementRequested"]
    decision = {"grant": True, "reason": "Fusie in het auditkwartaal.", "new_quarter": "2027-K1"}
    granted = _answer(await api.command("planner", tid, "postponement/decide", decision, key="p-grant"))
    assert "PostponementGranted" in {e["type"] for e in granted["events"]}


async def test_a_refusal_is_409_with_the_rule_and_the_dutch_explanation(api: Api) -> None:
    tid = "T-http-3"
    await api.until("2025-11-03")
    _answer(await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="r-open"))
    before = await api.events(tid)
    refused = await api.command("director", tid, "decision/record", key="r-decide")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["status"] == 409 and problem["rule"] and problem["detail"]
    assert "Traceback" not in refused.text
    assert await api.events(tid) == before
    again = await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="r-open-2")
    assert again.status_code == 409 and again.json()["rule"], again.text
    assert await api.events(tid) == before


def _count(command: str, answer: str) -> float:
    value = REGISTRY.get_sample_value("cbct_commands_total", {"command": command, "answer": answer})
    return value or 0.0


async def test_every_request_is_counted_by_command_and_answer_and_timed(api: Api) -> None:
    tid = "T-http-4"
    await api.until("2025-11-03")
    accepted, forbidden = _count("OpenTrajectory", "accepted"), _count("OpenTrajectory", "forbidden")
    invalid, timed = (
        _count("OpenTrajectory", "invalid"),
        REGISTRY.get_sample_value("cbct_command_seconds_count", {"command": "OpenTrajectory"}) or 0.0,
    )
    _answer(await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="m-open"))
    assert (await api.command("auditee", "T-new", "trajectory/open", OPEN_BODY)).status_code == 403
    assert (await api.command("planner", "T-new", "trajectory/open", {"organisation": 1})).status_code == 422
    assert _count("OpenTrajectory", "accepted") == accepted + 1
    assert _count("OpenTrajectory", "forbidden") == forbidden + 1
    assert _count("OpenTrajectory", "invalid") == invalid + 1
    assert REGISTRY.get_sample_value("cbct_command_seconds_count", {"command": "OpenTrajectory"}) == timed + 3
    assert COMMANDS is not None
