"""The command endpoints (issue 22, item 2): one per CLI step, with the command's fields as the body,
sent through the trajectory's workflow as the CLI sends them — against real Postgres and Temporal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from application.access import COMMAND_ROLES
from domain.registry import CLI_STEPS, FIELDS
from frameworks.loader import load_rules
from infrastructure.metrics import COMMANDS, REGISTRY
from interfaces.http import auth
from interfaces.http.app import create_app
from interfaces.http.command_models import ENDPOINTS
from tests.http.commands_support import (  # noqa: F401  (fixtures)
    OPEN_BODY,
    PRINCIPALS,
    Api,
    api_fixture,
    planned,
    rig,
    temporal,
)
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
        assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
        media = operation["requestBody"]["content"]["application/json"]
        assert media["examples"]["voorbeeld"]["value"] == endpoint.example
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


# --- idempotency -----------------------------------------------------------------------------------------


async def _all_events(api: Api) -> int:
    count: int = await api.runtime.pool.fetchval("SELECT count(*) FROM events")
    return count


async def test_the_same_request_twice_is_applied_once_and_answered_the_same(api: Api) -> None:
    """Retried with its Idempotency-Key, a command appends nothing more and gets the original answer
    (status, body and events), marked `Idempotent-Replayed`."""
    tid = "T-idem-1"
    await api.until("2025-11-03")
    first = await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="idem-open")
    assert first.status_code == 200, first.text
    stored = await _all_events(api)
    second = await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="idem-open")
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    assert second.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert await _all_events(api) == stored
    mine = [e for e in await api.events(tid) if e[2] == "idem-open"]
    assert len(mine) == len(first.json()["events"]) >= 1

    await api.until("2025-11-10")
    request = {"ground": "fusie", "reason": "Fusie met de buurgemeente.", "ground_effective_on": "2026-07-01"}
    asked = await api.command("auditee", tid, "postponement/request", request, key="idem-ask")
    assert asked.status_code == 200, asked.text
    stored = await _all_events(api)
    for _ in range(2):
        again = await api.command("auditee", tid, "postponement/request", request, key="idem-ask")
        assert (again.status_code, again.json()) == (200, asked.json())
    assert await _all_events(api) == stored
    assert [e[1] for e in await api.events(tid) if e[2] == "idem-ask"] == ["PostponementRequested"]


async def test_the_same_key_with_another_body_or_by_someone_else_is_422_and_writes_nothing(api: Api) -> None:
    tid = "T-idem-2"
    await api.until("2025-11-03")
    assert (await api.command("planner", tid, "trajectory/open", OPEN_BODY, key="idem-k")).status_code == 200
    before = await api.events(tid)
    stored = await _all_events(api)
    cases = [
        ("planner", "trajectory/open", {**OPEN_BODY, "organisation": "Bibliotheek Almelo"}),
        ("planner", "trajectory/announce", None),  # another command under the same key
        ("other_planner", "trajectory/open", OPEN_BODY),  # the same body, but on behalf of someone else
        ("director", "trajectory/open", OPEN_BODY),  # (not allowed to open at all: 403 comes first)
        ("auditee", "postponement/request", {"ground": "fusie", "reason": "Fusie."}),
    ]
    for who, step, body in cases:
        response = await api.command(who, tid, step, body, key="idem-k")
        if who == "director":
            assert response.status_code == 403, response.text
            continue
        assert response.status_code == 422, (step, response.text)
        problem = response.json()
        assert problem["errors"] == [
            {
                "field": "Idempotency-Key",
                "rule": "command.id_reused",
                "message": "deze sleutel is al gebruikt voor een ander verzoek op dit traject",
            }
        ]
        assert "Idempotency-Key" in problem["detail"]
    assert await api.events(tid) == before
    assert await _all_events(api) == stored


@pytest.mark.parametrize("key", ["", " ", "-begint-met-streep", "met spatie", "a/b", "é".encode(), "x" * 101, "a\tb"])
async def test_a_malformed_idempotency_key_is_422_naming_the_header(api: Api, key: str | bytes) -> None:
    await api.until("2025-11-03")
    response = await api.command("planner", "T-key", "trajectory/open", OPEN_BODY, headers={"Idempotency-Key": key})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert await _all_events(api) == 0


async def test_without_a_key_each_request_is_a_new_command(api: Api) -> None:
    tid = "T-nokey"
    await api.until("2025-11-03")
    opened = await api.command("planner", tid, "trajectory/open", OPEN_BODY)
    assert opened.status_code == 200, opened.text
    assert opened.json()["command_id"].startswith("http-")
    announced = [await api.command("planner", tid, "trajectory/announce") for _ in range(2)]
    assert [r.status_code for r in announced] == [200, 409]  # the second is a new command, refused


# --- who may do what ---------------------------------------------------------------------------------------


async def test_a_role_not_allowed_gets_403_on_every_command_and_nothing_is_written(api: Api) -> None:
    """Every command × every role that may see the trajectory but may not send that command: 403."""
    tid = "T-auth-1"
    await planned(api, tid)
    before = await api.events(tid)
    who_sees = ["planner", "other_planner", "director", "expert", "peer", "auditee", "ops", "admin"]
    wrong = []
    for endpoint in ENDPOINTS:
        for who in who_sees:
            if PRINCIPALS[who].role in COMMAND_ROLES[endpoint.name]:
                continue
            response = await api.command(who, tid, f"{endpoint.noun}/{endpoint.verb}", endpoint.example)
            if response.status_code != 403 or response.json()["status"] != 403:
                wrong.append((endpoint.name, who, response.status_code))
    assert not wrong, wrong
    assert await api.events(tid) == before


async def test_not_yours_or_unknown_is_404_on_every_command(api: Api) -> None:
    """An auditee of another organisation and an auditor not named for the audit learn nothing: 404,
    the same answer as for a trajectory that does not exist (for everyone, on every command but the
    opening)."""
    tid = "T-auth-2"
    await planned(api, tid)
    before = await api.events(tid)
    wrong = []
    for endpoint in ENDPOINTS:
        step = f"{endpoint.noun}/{endpoint.verb}"
        for who in ("other_auditee", "other_auditor"):
            response = await api.command(who, tid, step, endpoint.example)
            if response.status_code != 404:
                wrong.append((endpoint.name, who, tid, response.status_code))
        if endpoint.name != "OpenTrajectory":
            for who in PRINCIPALS:
                response = await api.command(who, "T-bestaat-niet", step, endpoint.example)
                if response.status_code != 404:
                    wrong.append((endpoint.name, who, "unknown", response.status_code))
    assert not wrong, wrong
    unknown = await api.command("other_auditee", "T-bestaat-niet", "trajectory/announce")
    mine = await api.command("other_auditee", tid, "trajectory/announce")
    assert unknown.json()["detail"] == mine.json()["detail"]
    assert await api.events(tid) == before
    assert await api.events("T-bestaat-niet") == []


async def test_an_auditor_named_for_the_audit_may_score_it(api: Api) -> None:
    tid = "T-auth-3"
    await planned(api, tid)
    await api.until("2026-04-14")
    body = {"scores": scores(KIB2.base_norm_ids, KIB2), "indicators": {}}
    assert (await api.command("other_auditor", tid, "audit/scores", body)).status_code == 404
    assert (await api.command("peer", tid, "audit/scores", body, key="peer-scores")).status_code == 200


async def test_not_signed_in_is_401(api: Api) -> None:
    response = await api.http.post("/api/trajectories/T-1/trajectory/open", json=OPEN_BODY)
    assert response.status_code == 401 and response.json()["status"] == 401


# --- bad input ------------------------------------------------------------------------------------------


def _wrong_type(example: Any) -> Any:
    """A value of the wrong JSON type for a field whose example is `example`."""
    if isinstance(example, bool):
        return "misschien"
    if isinstance(example, int):
        return "veel"
    if isinstance(example, str):
        return 12345
    if isinstance(example, list):
        return "geen lijst"
    return 42


SENDER = {
    name: next(w for w in ("planner", "auditee", "expert", "director") if PRINCIPALS[w].role in roles)
    for name, roles in COMMAND_ROLES.items()
}
"""Per command, a principal allowed to send it (and who sees the planned trajectory)."""


async def test_bad_input_on_every_command_endpoint_is_422_naming_the_field_and_writes_nothing(api: Api) -> None:
    """Table-driven over every endpoint: each field of the wrong type, each required field missing, an
    unknown field, a body that is no JSON object: 422 naming the field and the rule; nothing written."""
    tid = "T-bad"
    await planned(api, tid)
    before = await api.events(tid)
    stored = await _all_events(api)
    cases = 0
    wrong = []
    for endpoint in ENDPOINTS:
        target = "T-bad-open" if endpoint.name == "OpenTrajectory" else tid
        step = f"{endpoint.noun}/{endpoint.verb}"
        who = SENDER[endpoint.name]
        example = endpoint.example
        table: list[tuple[dict[str, Any] | list[Any], str, str]] = [
            ({**example, "onbekend_veld": 1}, "onbekend_veld", "extra_forbidden"),
            ([example], "(body)", ""),
        ]
        for name in endpoint.body.model_fields:
            sample = FIELDS[name].example if FIELDS[name].example is not None else "tekst"
            table.append(({**example, name: _wrong_type(sample)}, name, ""))
            if endpoint.body.model_fields[name].is_required():
                table.append(({k: v for k, v in example.items() if k != name}, name, "missing"))
        for body, field, rule in table:
            cases += 1
            response = await api.command(who, target, step, body, key=f"bad-{cases}")
            problem = response.json()
            errors = problem.get("errors") or []
            named = [e for e in errors if e["field"] == field or e["field"].startswith(f"{field}.")]
            if response.status_code != 422 or not named or (rule and named[0]["rule"] != rule):
                wrong.append((endpoint.name, field, rule, response.status_code, errors))
            elif field not in problem["detail"]:
                wrong.append((endpoint.name, field, "detail", 422, problem["detail"]))
    assert not wrong, wrong
    assert cases > 3 * len(ENDPOINTS)
    assert await api.events(tid) == before
    assert await api.events("T-bad-open") == []
    assert await _all_events(api) == stored


async def test_the_command_s_own_rules_apply_after_the_body_s(api: Api) -> None:
    """A rule of the command beyond its fields' (a date out of range, an oversized body) is a 422 too."""
    await api.until("2025-11-03")
    late = await api.command(
        "planner", "T-x", "trajectory/open", {**OPEN_BODY, "previous_certificate_expiry": "2200-01-01"}
    )
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "previous_certificate_expiry", late.text
    crlf = await api.command("planner", "T-x", "trajectory/open", {**OPEN_BODY, "organisation": "A\r\nBcc: x"})
    assert crlf.status_code == 422 and crlf.json()["errors"][0]["field"] == "organisation", crlf.text
    bad_id = await api.command("planner", "-bad-", "trajectory/open", OPEN_BODY)
    assert bad_id.status_code == 422, bad_id.text
    assert [e["field"] for e in bad_id.json()["errors"]] == ["trajectory_id"]
    not_json = await api.http.post(
        "/api/trajectories/T-x/trajectory/open",
        content=b"{nee",
        headers={"X-Test-Principal": "planner", "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422 and "Traceback" not in not_json.text
    assert [(e["field"], e["rule"]) for e in not_json.json()["errors"]] == [("(body)", "json_invalid")]
    assert await _all_events(api) == 0


# --- with the real sign-in --------------------------------------------------------------------------------


async def test_with_the_real_sign_in_the_actor_is_the_account_and_a_cookie_needs_its_csrf_token(api: Api) -> None:
    """No principal override: an API token and a cookie session (with and without its CSRF token)."""
    accounts = auth.account_service(api.runtime)
    await accounts.add_user("anna", "planner", actor="admin:test", password="een-goed-wachtwoord")
    await accounts.add_user("bieb", "auditee", actor="admin:test", password="een-goed-wachtwoord", organisation="9999")
    _, token = await accounts.create_token("anna", "script", actor="admin:test")
    transport = httpx.ASGITransport(app=create_app(api.runtime), client=("192.0.2.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await api.until("2025-11-03")
        path = "/api/trajectories/T-real/trajectory/open"
        anonymous = await http.post(path, json=OPEN_BODY, headers={"Idempotency-Key": "real-0"})
        assert anonymous.status_code == 401, anonymous.text
        by_token = await http.post(
            path, json=OPEN_BODY, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "real-1"}
        )
        assert by_token.status_code == 200, by_token.text
        actor = await api.runtime.pool.fetchval("SELECT actor FROM events WHERE command_id = 'real-1' LIMIT 1")
        assert actor == "planner:anna"

        signed = await http.post("/api/session", json={"user_name": "bieb", "password": "een-goed-wachtwoord"})
        assert signed.status_code == 200, signed.text
        announce = "/api/trajectories/T-real/trajectory/announce"
        without_csrf = await http.post(announce, headers={"Idempotency-Key": "real-2"})
        assert without_csrf.status_code == 403, without_csrf.text
        csrf = {"X-CSRF-Token": signed.json()["csrf_token"], "Idempotency-Key": "real-3"}
        not_theirs = await http.post(announce, headers=csrf)
        assert not_theirs.status_code == 404, not_theirs.text  # an auditee of another organisation
    assert [e[2] for e in await api.events("T-real")] == ["real-1"] * len(by_token.json()["events"])
