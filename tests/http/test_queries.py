"""The list and detail queries over HTTP: filters, keyset pages, and each role's scope inside the SQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.http import queries_support
from tests.http.queries_support import OPEN_FILLERS, Api

pytestmark = pytest.mark.asyncio(loop_scope="session")
api = queries_support.api  # the module's seeded app (a fixture)

FILLERS = [f"p-{1101 + i}" for i in range(OPEN_FILLERS)]
ALL_IDS = ["b-1011", "d-1014", "kib-1036", "h-1002", "kib-1052", *FILLERS]  # by organisation name
STAFF = ("planner", "director", "ops", "admin")


async def _ids(api: Api, who: str = "planner", **params: Any) -> tuple[list[str], int]:
    response = await api.get("/api/trajectories", who, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [t["trajectory_id"] for t in body["items"]], body["total"]


async def _walk(api: Api, path: str, who: str, key: str, **params: Any) -> tuple[list[str], set[int]]:
    """Follow `next` links to the end; the keys seen in order, and every page's total."""
    seen: list[str] = []
    totals: set[int] = set()
    response = await api.get(path, who, **params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= body["limit"]
        seen += [item[key] for item in body["items"]]
        totals.add(body["total"])
        if body["next"] is None:
            return seen, totals
        assert body["next"].startswith(path + "?")
        response = await api.client.get(body["next"], headers={"x-test-as": who})


async def test_every_filter_narrows_the_list(api: Api) -> None:
    """Phase, part of the name, association, auditor, audit period, opening period, open and certificate."""
    assert await _ids(api) == (ALL_IDS, 12)
    assert await _ids(api, phase="aangekondigd") == (["b-1011", *FILLERS], 8)
    assert await _ids(api, organisation="HENGELO") == (["h-1002"], 1)
    assert await _ids(api, organisation="100%") == ([], 0)  # no wildcards
    assert await _ids(api, association="Cultuurconnectie") == (["kib-1052"], 1)
    assert await _ids(api, auditor="karel keurder") == (["d-1014"], 1)
    assert await _ids(api, auditor="Peer Bakker") == (["kib-1036"], 1)
    assert await _ids(api, audit_from="2026-05-01", audit_to="2026-05-31") == (["d-1014"], 1)
    assert await _ids(api, audit_from="2019-01-01") == (["d-1014", "kib-1036"], 2)
    assert await _ids(api, audit_to="2019-02-11") == ([], 0)
    assert await _ids(api, audit_from="2026-05-31", audit_to="2026-05-01") == ([], 0)  # an empty period
    assert await _ids(api, opened_from="2018-01-01", opened_to="2018-12-31") == (["kib-1036", "kib-1052"], 2)
    assert await _ids(api, opened_from="2026-01-01") == (FILLERS, OPEN_FILLERS)
    assert await _ids(api, open="false") == (["kib-1036", "kib-1052"], 2)
    assert (await _ids(api, open="true"))[1] == 10
    assert await _ids(api, certificate_number="1052") == (["kib-1052"], 1)
    assert await _ids(api, phase="aangekondigd", organisation="borne", open="true") == (["b-1011"], 1)


async def test_pages_follow_next_links_without_gaps_or_repeats(api: Api) -> None:
    """limit=5 gives 5, 5, 2 with the same total each time; the next link keeps the filters."""
    first = (await api.get("/api/trajectories", "planner", limit=5)).json()
    assert (len(first["items"]), first["total"], first["limit"]) == (5, 12, 5)
    seen, totals = await _walk(api, "/api/trajectories", "planner", "trajectory_id", limit=5)
    assert seen == ALL_IDS and totals == {12}
    seen, totals = await _walk(api, "/api/trajectories", "planner", "trajectory_id", limit=3, phase="aangekondigd")
    assert seen == ["b-1011", *FILLERS] and totals == {8}
    last = (await api.get("/api/trajectories", "planner", limit=12)).json()
    assert last["next"] is None and len(last["items"]) == 12


async def test_staff_see_everything_auditees_their_own_organisation_auditors_their_audits(api: Api) -> None:
    """Items and totals count only what the role may see, also under a filter and across pages."""
    for who in STAFF:
        assert await _ids(api, who) == (ALL_IDS, 12)
    assert await _ids(api, "auditee-1002") == (["h-1002"], 1)
    assert await _ids(api, "auditee-1036") == (["kib-1036"], 1)
    assert await _ids(api, "auditee-1002", organisation="Borne") == ([], 0)
    assert await _ids(api, "auditee-1002", certificate_number="1036") == ([], 0)
    assert await _ids(api, "auditee-none") == ([], 0)
    assert await _ids(api, "auditor-karel") == (["d-1014"], 1)
    assert await _ids(api, "auditor-ellen") == (["kib-1036"], 1)
    assert await _ids(api, "auditor-ellen", auditor="Karel Keurder") == ([], 0)
    assert await _ids(api, "auditor-none") == ([], 0)
    seen, totals = await _walk(api, "/api/trajectories", "auditee-1002", "trajectory_id", limit=1)
    assert seen == ["h-1002"] and totals == {1}


async def test_one_trajectory_with_timeline_deadlines_and_requests(api: Api) -> None:
    """The overview, its version, the full timeline, the pending deadlines and the uitstel request."""
    body = (await api.get("/api/trajectories/kib-1036", "planner")).json()
    assert body["version"] == body["trajectory"]["version"] == len(body["timeline"]) == 14
    assert [t["stream_version"] for t in body["timeline"]] == list(range(1, 15))
    assert body["timeline"][0]["event_type"] == "TrajectoryOpened"
    assert "Audit gepland op 12-02-2019 (auditoren: Ellen Expert, Peer Bakker)" in [
        t["summary"] for t in body["timeline"]
    ]
    assert body["trajectory"]["phase"] == "afgesloten" and body["deadlines"] == []
    assert body["trajectory"]["audit_norm_scores"]["1"] == 3.0
    hengelo = (await api.get("/api/trajectories/h-1002", "auditee-1002")).json()
    assert [(p["request_number"], p["status"], p["decide_by"]) for p in hengelo["postponements"]] == [
        (1, "pending", "2026-01-19")
    ]
    assert "postponement_decision" in {d["kind"] for d in hengelo["deadlines"]}
    assert {d["trajectory_id"] for d in hengelo["deadlines"]} == {"h-1002"}


async def test_a_trajectory_not_yours_is_answered_as_unknown(api: Api) -> None:
    """Another organisation's (or another auditor's) trajectory: 404 with exactly the unknown one's body."""

    async def problem(who: str, trajectory_id: str) -> dict[str, Any]:
        response = await api.get(f"/api/trajectories/{trajectory_id}", who)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body: dict[str, Any] = response.json()
        assert body.pop("instance") == f"/api/trajectories/{trajectory_id}"
        return body

    unknown = await problem("auditee-1002", "kib-9999")
    assert unknown["detail"] == "Dit bestaat niet, of u mag het niet zien."
    assert await problem("auditee-1002", "kib-1036") == unknown
    assert await problem("auditee-none", "h-1002") == unknown
    assert await problem("auditor-karel", "kib-1036") == unknown
    assert await problem("auditor-ellen", "d-1014") == unknown
    assert await problem("planner", "kib-9999") == unknown
    bad = await api.get("/api/trajectories/kib%001036", "planner")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "path.trajectory_id"
    assert (await api.get("/api/trajectories/d-1014", "auditor-karel")).status_code == 200
    assert (await api.get("/api/trajectories/kib-1036", "auditee-1036")).status_code == 200


async def test_deadlines_due_within_days_overdue_and_scoped(api: Api) -> None:
    """due widens with within_days; overdue counts days late; an auditee sees only its own."""
    overdue = (await api.get("/api/deadlines", "planner", status="overdue", limit=500)).json()
    assert overdue["total"] == len(overdue["items"]) > 0
    assert {d["status"] for d in overdue["items"]} == {"overdue"}
    [intake] = [d for d in overdue["items"] if d["trajectory_id"] == "b-1011" and d["kind"] == "intake"]
    assert (intake["due_on"], intake["days_overdue"], intake["party"]) == ("2025-11-19", 51, "auditee")

    async def due(within: int, who: str = "planner") -> set[tuple[str, str]]:
        body = (await api.get("/api/deadlines", who, status="due", within_days=within, limit=500)).json()
        assert {d["status"] for d in body["items"]} <= {"due"} and body["total"] == len(body["items"])
        return {(d["trajectory_id"], d["kind"]) for d in body["items"]}

    assert ("h-1002", "postponement_decision") not in await due(7)  # 2026-01-19: nine days ahead
    fortnight = await due(14)
    assert ("h-1002", "postponement_decision") in fortnight
    assert {(t, "intake") for t in FILLERS} <= fortnight  # opened 2026-01-08, intake due on the 22nd
    assert await due(14, "auditee-1002") == {("h-1002", "postponement_decision")}
    assert await due(14, "auditee-none") == set()
    karel = (await api.get("/api/deadlines", "auditor-karel", status="all")).json()
    assert {d["trajectory_id"] for d in karel["items"]} == {"d-1014"} and karel["total"] == len(karel["items"])
    mine = (await api.get("/api/deadlines", "auditee-1002", status="all")).json()
    assert mine["total"] == len(mine["items"]) > 0
    assert {d["trajectory_id"] for d in mine["items"]} == {"h-1002"}
    other = (await api.get("/api/deadlines", "auditee-1002", status="all", trajectory_id="b-1011")).json()
    assert (other["total"], other["items"]) == (0, [])


async def test_deadline_pages_are_in_due_order(api: Api) -> None:
    everything = (await api.get("/api/deadlines", "planner", status="all", limit=500)).json()
    ids = [d["deadline_id"] for d in everything["items"]]
    moments = [d["due_at"] for d in everything["items"]]
    assert moments == sorted(moments) and len(ids) == everything["total"] > 8
    seen, totals = await _walk(api, "/api/deadlines", "planner", "deadline_id", status="all", limit=4)
    assert seen == ids and totals == {len(ids)}


async def test_postponement_requests_pending_and_all_scoped(api: Api) -> None:
    cases: tuple[tuple[str, list[str]], ...] = (
        ("planner", ["h-1002"]),
        ("auditee-1002", ["h-1002"]),
        ("auditee-1036", []),
        ("auditor-karel", []),
    )
    for who, expected in cases:
        for status in ("pending", "all"):
            body = (await api.get("/api/postponements", who, status=status)).json()
            assert [p["trajectory_id"] for p in body["items"]] == expected and body["total"] == len(expected)
    assert (await api.get("/api/postponements", "planner", status="granted")).json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/trajectories", {"limit": "0"}, "limit"),
        ("/api/trajectories", {"limit": "501"}, "limit"),
        ("/api/trajectories", {"limit": "veel"}, "limit"),
        ("/api/trajectories", {"phase": "bijna klaar"}, "phase"),
        ("/api/trajectories", {"association": "VNG"}, "association"),
        ("/api/trajectories", {"audit_from": "20260101"}, "audit_from"),
        ("/api/trajectories", {"audit_from": "2026-02-30"}, "audit_from"),
        ("/api/trajectories", {"opened_to": "1999-12-31"}, "opened_to"),
        ("/api/trajectories", {"open": "misschien"}, "open"),
        ("/api/trajectories", {"cursor": "niet-een-cursor"}, "cursor"),
        ("/api/trajectories", {"cursor": "WzFd"}, "cursor"),  # [1]: the wrong shape
        ("/api/trajectories", {"organisation": ""}, "organisation"),
        ("/api/trajectories", {"organisation": "Borne\x00"}, "organisation"),
        ("/api/trajectories", {"cursor": "WyJcdTAwMDAiLCJ4Il0"}, "cursor"),  # ["\u0000","x"]
        ("/api/deadlines", {"status": "soon"}, "status"),
        ("/api/deadlines", {"within_days": "-1"}, "within_days"),
        ("/api/deadlines", {"cursor": "WyJnaXN0ZXJlbiIsIngiXQ"}, "cursor"),  # ["gisteren","x"]
        ("/api/postponements", {"status": "open"}, "status"),
        ("/api/postponements", {"limit": "1000"}, "limit"),
        ("/api/postponements", {"trajectory_id": "h-1002\n"}, "trajectory_id"),
    ],
)
async def test_bad_query_parameters_are_422_naming_the_parameter(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    response = await api.get(path, "planner", **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert [e["field"] for e in body["errors"]] == [f"query.{field}"]
    assert field in body["detail"]


async def test_without_a_principal_every_query_is_401(api: Api) -> None:
    """The real principal resolver (sign-in not installed here) answers 401 before any query runs."""
    from interfaces.http.app import create_app

    bare = create_app(api.app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url="http://test") as client:
        for path in ("/api/trajectories", "/api/trajectories/kib-1036", "/api/deadlines", "/api/register"):
            response = await client.get(path)
            assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


async def test_the_openapi_document_states_every_answer(api: Api) -> None:
    """Each query names its answer model, and its errors as problem documents."""
    paths = api.http.openapi()["paths"]
    expected = {
        "/api/trajectories": ("TrajectoryPage", {"401", "422", "503"}),
        "/api/trajectories/{trajectory_id}": ("TrajectoryDetail", {"401", "404", "422", "503"}),
        "/api/deadlines": ("DeadlinePage", {"401", "422", "503"}),
        "/api/postponements": ("PostponementPage", {"401", "422", "503"}),
        "/api/register": ("Register", {"401", "422", "503"}),
        "/api/stuck": ("StuckList", {"401", "403", "422", "503"}),
        "/api/reports/period": ("PeriodReportView", {"401", "403", "422", "503"}),
    }
    for path, (model, errors) in expected.items():
        responses = paths[path]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/" + model)
        assert set(responses) == {"200", *errors}
        for status in errors:
            schema = responses[status]["content"]["application/problem+json"]["schema"]
            assert schema["$ref"].endswith("/ProblemDocument")
