"""The register (now and on a peildatum, JSON and CSV), stuck work, and the period report in every format."""

from __future__ import annotations

import csv
import io

import pytest

from tests.http import queries_support
from tests.http.queries_support import PRINCIPALS, Api

pytestmark = pytest.mark.asyncio(loop_scope="session")
api = queries_support.api  # the module's seeded app (a fixture)

PERIOD = {"from": "2018-01-01", "to": "2022-12-31"}


async def test_the_register_now_is_public_and_shows_expired_certificates(api: Api) -> None:
    """Every signed-in role reads the same register; a validity that ended reads 'verlopen' today."""
    bodies = []
    for who in PRINCIPALS:
        response = await api.get("/api/register", who)
        assert response.status_code == 200, (who, response.text)
        bodies.append(response.json())
    assert all(b == bodies[0] for b in bodies)
    body = bodies[0]
    assert (body["peildatum"], body["as_of"], body["total"]) == (None, "2026-01-10", 12)
    by_number = {r["certificate_number"]: r for r in body["items"]}
    assert by_number["1036"] == {
        "certificate_number": "1036",
        "organisation": "Bibliotheek Helmond-Peel",
        "association": "VOB",
        "result": "Gecertificeerd",
        "remark": None,
        "certified_until": "2023-03-31",
        "status": "verlopen",
    }
    assert by_number["1052"]["remark"] == "Geen deelname"
    only_cc = (await api.get("/api/register", "auditee-1002", association="Cultuurconnectie")).json()
    assert [r["certificate_number"] for r in only_cc["items"]] == ["1052"]


async def test_the_register_on_a_peildatum_is_folded_from_the_events(api: Api) -> None:
    """As it stood at the end of 31-03-2019: only what was opened by then, with that day's status."""
    body = (await api.get("/api/register", "auditor-ellen", peildatum="2019-03-31")).json()
    assert (body["peildatum"], body["as_of"], body["total"]) == ("2019-03-31", "2019-03-31", 2)
    assert [(r["certificate_number"], r["result"], r["remark"], r["status"]) for r in body["items"]] == [
        ("1036", "Gecertificeerd", None, "gecertificeerd tot"),
        ("1052", "Niet gecertificeerd", "Geen deelname", "gecertificeerd tot"),
    ]
    assert (await api.get("/api/register", "planner", peildatum="2018-06-01")).json()["items"] == []
    bad = await api.get("/api/register", "planner", peildatum="31-03-2019")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.peildatum"


async def test_the_register_as_csv_for_dutch_excel(api: Api) -> None:
    """Semicolons, a BOM, Dutch dates, as `cbct register --format csv`; a file name with the day."""
    response = await api.get("/api/register", "auditee-1036", peildatum="2019-03-31", format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="register_2019-03-31.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffcertificaatnummer;organisatie;")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[1] == [
        "1036",
        "Bibliotheek Helmond-Peel",
        "VOB",
        "Gecertificeerd",
        "",
        "31-03-2023",
        "gecertificeerd tot",
    ]
    assert len(rows) == 3
    today = await api.get("/api/register", "planner", format="csv")
    assert 'filename="register_2026-01-10.csv"' in today.headers["content-disposition"]
    assert len(today.content.decode("utf-8").splitlines()) == 13


async def test_stuck_work_is_for_staff_with_the_configured_grace(api: Api) -> None:
    """Borne's intake is 51 days overdue, Delden's expiry reminder 11 (no dispatcher ran); a longer grace
    leaves out what is younger; roles outside staff get 403."""
    for who in ("planner", "director", "ops", "admin"):
        body = (await api.get("/api/stuck", who)).json()
        assert body["grace_days"] == api.app.settings.stuck_grace_days == 7
        assert [(s["trajectory_id"], s["kind"], s["days_overdue"]) for s in body["items"]] == [
            ("b-1011", "intake", 51),
            ("d-1014", "certificate_expiry_reminder", 11),
        ]
    assert [s["trajectory_id"] for s in (await api.get("/api/stuck", "ops", grace_days=30)).json()["items"]] == [
        "b-1011"
    ]
    assert (await api.get("/api/stuck", "ops", grace_days=60)).json()["items"] == []
    for who in ("auditee-1002", "auditor-karel"):
        response = await api.get("/api/stuck", who)
        assert response.status_code == 403 and response.json()["detail"] == "Uw rol mag dit niet."
    assert (await api.get("/api/stuck", "ops", grace_days=-1)).status_code == 422


async def test_the_period_report_as_json_counts_the_period(api: Api) -> None:
    """The two 2018 trajectories: one certified at once, one without participation."""
    response = await api.get("/api/reports/period", "director", **PERIOD, peildatum="2023-02-21")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["period"] == PERIOD and body["peildatum"] == "2023-02-21"
    outcomes = body["groups"]["alle"]["outcomes"]
    assert (outcomes["register_rows"], outcomes["carried_out"], outcomes["certified_at_once"]) == (2, 1, 1)
    assert outcomes["no_participation"] == 1
    assert [r["certificate_number"] for r in body["register"]] == ["1036", "1052"]
    today = (await api.get("/api/reports/period", "planner", **PERIOD)).json()
    assert today["peildatum"] == "2026-01-10"


@pytest.mark.parametrize(
    ("fmt", "media_type", "magic"),
    [
        ("csv", "text/csv; charset=utf-8", "\ufeffHoofdlijnenrapportage".encode()),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"),
        ("pdf", "application/pdf", b"%PDF-"),
    ],
)
async def test_the_period_report_as_a_file(api: Api, fmt: str, media_type: str, magic: bytes) -> None:
    response = await api.get("/api/reports/period", "admin", **PERIOD, peildatum="2023-02-21", format=fmt)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.content.startswith(magic)
    name = f"hoofdlijnenrapportage_2018-01-01_2022-12-31_peildatum_2023-02-21.{fmt}"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'


async def test_the_period_report_is_for_planner_director_and_admin_only(api: Api) -> None:
    """Auditees, auditors and ops get 403 before anything is computed, whatever they ask."""
    for who in ("auditee-1036", "auditee-1002", "auditor-ellen", "ops"):
        for fmt in ("json", "pdf"):
            response = await api.get("/api/reports/period", who, **PERIOD, format=fmt)
            assert response.status_code == 403, (who, fmt)
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2022-12-31"}, "from"),
        ({"from": "2018-01-01"}, "to"),
        ({"from": "2022-01-01", "to": "2018-12-31"}, "to"),
        ({"from": "2000-01-01", "to": "2012-12-31"}, "to"),  # more than ten years
        ({**PERIOD, "peildatum": "2017-12-31"}, "peildatum"),
        ({**PERIOD, "format": "odt"}, "format"),
        ({"from": "2018-1-1", "to": "2022-12-31"}, "from"),
    ],
)
async def test_bad_report_parameters_are_422_naming_the_parameter(api: Api, params: dict[str, str], field: str) -> None:
    response = await api.get("/api/reports/period", "planner", **params)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [f"query.{field}"]
