"""The authorization matrix: every endpoint × every role, through the real sign-in, on a seeded store.

`MATRIX` below is the expected answer of each endpoint (a row per route of the app, OpenAPI or not: a
new endpoint without a row fails `test_every_endpoint_has_a_row`) to each role. It is also the role
matrix people read: `docs/role-matrix.md` is generated from it (`test_the_role_matrix_document_is_current`;
`CBCT_WRITE_ROLE_MATRIX=1` rewrites the file) and `-s` prints it.

Each cell is probed with a request that the role would make (`PROBES`); a command's probe carries a
malformed `Idempotency-Key`, so a role that passes the checks of who (401, 404, 403) meets the input
check (422, naming the key) and nothing is written. The auditee acts through a cookie session begun
with a one-time link (its CSRF token on every change), the others with API tokens (tests/http/matrix_support.py).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from application.calendar_ids import audit_uid
from application.feed_subscriptions import create_feed
from interfaces.http import auth
from interfaces.http.command_models import ENDPOINTS
from projections.accounts import principal_of
from projections.registry import FEED_TOKENS
from tests.http.matrix_support import (
    BYSTANDER,
    NOW,
    OTHER,
    OTHER_NUMBER,
    OWN,
    OWN_CONTACT,
    PASSWORD,
    ROLES,
    UNKNOWN,
    Seeded,
    seeded,
    sign_in_auditee,
    temporal,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
__all__ = ["seeded", "temporal"]  # fixtures

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "docs" / "role-matrix.md"

_COMMAND_ROWS = {
    "trajectory/open": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "trajectory/announce": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "intake/send": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "trajectory/withdraw": "| ok | 403 | 403 | own | 403 | 403 |",
    "intake/record": "| ok | 403 | 403 | own | 403 | 403 |",
    "contacts/change": "| ok | 403 | 403 | own | 403 | 403 |",
    "auditor/declare-relation": "| ok | own | 403 | 403 | 403 | 403 |",
    "audit/schedule": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "audit/scores": "| 403 | own | 403 | 403 | 403 | 403 |",
    "selfevaluation/submit": "| ok | 403 | 403 | own | 403 | 403 |",
    "selfevaluation/extend": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "audit/cancel": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "postponement/request": "| ok | 403 | 403 | own | 403 | 403 |",
    "postponement/decide": "| ok | 403 | 403 | 403 | 403 | 403 |",
    "report/draft": "| ok | own | 403 | 403 | 403 | 403 |",
    "report/react": "| 403 | 403 | 403 | own | 403 | 403 |",
    "decision/record": "| 403 | 403 | ok | 403 | 403 | 403 |",
    "heraudit/request": "| ok | 403 | 403 | own | 403 | 403 |",
    "objection/file": "| 403 | 403 | 403 | own | 403 | 403 |",
    "objection/decide": "| 403 | 403 | ok | 403 | 403 | 403 |",
    "survey/answer": "| 403 | 403 | 403 | own | 403 | 403 |",
    "certificate/extend": "| 403 | 403 | ok | 403 | 403 | 403 |",
}

MATRIX = (
    """
| endpoint | anonymous | planner | auditor | director | auditee | ops | admin |
|---|---|---|---|---|---|---|---|
| GET / | ok | ok | ok | ok | ok | ok | ok |
| GET /api/docs | ok | ok | ok | ok | ok | ok | ok |
| GET /api/openapi.json | ok | ok | ok | ok | ok | ok | ok |
| POST /api/session | ok | ok | ok | ok | ok | ok | ok |
| DELETE /api/session | ok | ok | ok | ok | ok | ok | ok |
| POST /api/session/link | ok | ok | ok | ok | ok | ok | ok |
| GET /api/session/link/{token} | ok | ok | ok | ok | ok | ok | ok |
| GET /api/me | 401 | ok | ok | ok | ok | ok | ok |
| POST /api/tokens | 401 | ok | ok | ok | ok | ok | ok |
| DELETE /api/tokens/{token_id} | 401 | own | own | own | own | own | ok |
| GET /api/users | 401 | 403 | 403 | 403 | 403 | 403 | ok |
| POST /api/users | 401 | 403 | 403 | 403 | 403 | 403 | ok |
| PATCH /api/users/{account_id} | 401 | 403 | 403 | 403 | 403 | 403 | ok |
"""
    + "".join(f"| POST /api/trajectories/{{trajectory_id}}/{step} | 401 {row}\n" for step, row in _COMMAND_ROWS.items())
    + """| GET /api/trajectories | 401 | ok | own | ok | own | ok | ok |
| GET /api/trajectories/{trajectory_id} | 401 | ok | own | ok | own | ok | ok |
| GET /api/deadlines | 401 | ok | own | ok | own | ok | ok |
| GET /api/postponements | 401 | ok | own | ok | own | ok | ok |
| GET /api/register | 401 | ok | ok | ok | ok | ok | ok |
| GET /api/stuck | 401 | ok | 403 | ok | 403 | ok | ok |
| GET /api/reports/period | 401 | ok | 403 | ok | 403 | 403 | ok |
| POST /api/feeds | 401 | ok | ok | ok | ok | ok | ok |
| GET /api/feeds | 401 | own | own | own | own | own | own |
| DELETE /api/feeds/{feed_id} | 401 | own | own | own | own | own | own |
| GET /feeds/{token}.ics | ok | ok | ok | ok | ok | ok | ok |
| GET /healthz | ok | ok | ok | ok | ok | ok | ok |
| GET /readyz | ok | ok | ok | ok | ok | ok | ok |
| GET /metrics | 401 | 403 | 403 | 403 | 403 | ok | ok |
| POST /codec/decode | 401 | 403 | 403 | 403 | 403 | ok | 403 |
"""
)

LEGEND = """\
- **ok**: allowed. The request does its work (for a command: the checks of who pass, then the input
  and CBCT's rules decide).
- **own**: allowed on what is its own: an auditee its organisation's trajectories, an auditor the
  trajectories whose audit names it, everyone their own feeds and API tokens. Anything else is answered
  as if it did not exist: 404 with the body of an unknown id, or absent from a list (`total` counts it
  neither).
- **401**: not signed in. **403**: signed in, but the role may not.
- On a trajectory outside its scope, an auditee or an auditor gets 404 from *every* endpoint with
  `{trajectory_id}` in its path, whatever its cell says: it learns nothing, not even that the
  trajectory exists.
- Signed in means an API token (`Authorization: Bearer`, `cbct tokens create`) or the session cookie
  (password or one-time link); with the cookie, every change (POST, PUT, PATCH, DELETE) also needs the
  session's CSRF token in `X-CSRF-Token`, except signing in and asking for a link. `/feeds/<token>.ics`
  needs no sign-in: its secret URL is the credential, and it shows what its maker may see.
"""


def parse(table: str) -> dict[str, dict[str, str]]:
    """`MATRIX` as {endpoint: {role: cell}}."""
    lines = [line.strip() for line in table.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert tuple(header[1:]) == ROLES, header
    rows: dict[str, dict[str, str]] = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert len(cells) == len(header), line
        assert cells[0] not in rows, f"two rows for {cells[0]}"
        rows[cells[0]] = dict(zip(ROLES, cells[1:], strict=True))
    return rows


EXPECTED = parse(MATRIX)
SCOPED = ("auditee", "auditor")
"""Roles that see part of the trajectories; the rest (staff) see all."""


# --- what each cell's request is -------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None


Make = Callable[[Seeded, str], Awaitable[Call]]


def fixed(method: str, path: str, **kwargs: Any) -> Make:
    async def make(s: Seeded, role: str) -> Call:
        return Call(method, path, **kwargs)

    return make


NOT_FOUND_BODY = {
    "type": "https://cbct.nl/problemen/404",
    "title": "Niet gevonden",
    "status": 404,
    "detail": "Dit bestaat niet, of u mag het niet zien.",
}


def unknown(response: httpx.Response) -> bool:
    """Answered as an unknown id is: 404, the one body (but `instance`, the path asked for)."""
    body = response.json() if response.headers.get("content-type", "").endswith("json") else None
    return (
        response.status_code == 404
        and isinstance(body, dict)
        and {**body, "instance": None}
        == {
            **NOT_FOUND_BODY,
            "instance": None,
        }
    )


def empty_page(response: httpx.Response) -> bool:
    body = response.json()
    return response.status_code == 200 and body["items"] == [] and body["total"] == 0


def names_input_key(response: httpx.Response) -> bool:
    return "Idempotency-Key" in [e["field"] for e in response.json().get("errors", [])]


@dataclass(frozen=True)
class Probe:
    """How to ask one endpoint: `call` on the role's own (or the one) resource, its answer when allowed;
    `other` the same on someone else's, and how that must look (`hidden`)."""

    call: Make
    ok: tuple[int, ...]
    other: Make | None = None
    hidden: Callable[[httpx.Response], bool] = unknown
    check: Callable[[httpx.Response], bool] | None = None
    trajectory: bool = False  # {trajectory_id} in the path: the scoped roles' rule (LEGEND) applies


@dataclass
class Resources:
    """What some probes need made first: per role, and of the bystander (someone else's)."""

    feed_token: str = ""
    bystander_token_id: str = ""
    bystander_feed_id: str = ""
    made: dict[str, int] = field(default_factory=dict)

    def next(self, kind: str) -> int:
        self.made[kind] = self.made.get(kind, 0) + 1
        return self.made[kind]


RESOURCES = Resources()


async def prepare(s: Seeded) -> None:
    """The planner's feed (its URL is asked by everyone), and the bystander's token and feed."""
    made = await s.request("planner", "POST", "/api/feeds")
    assert made.status_code == 201, made.text
    RESOURCES.feed_token = made.json()["url"].rsplit("/", 1)[1].removesuffix(".ics")
    RESOURCES.bystander_token_id, _ = await s.accounts.create_token(BYSTANDER, "van een ander", actor="admin:test")
    bystander = await principal_of(s.runtime.pool, BYSTANDER)
    assert bystander is not None
    RESOURCES.bystander_feed_id = (await create_feed(s.runtime.store, bystander, NOW)).feed_id
    await s.runtime.projections.catch_up(FEED_TOKENS)


async def own_token(s: Seeded, role: str) -> Call:
    account = s.callers[role].account_id
    if account is None:  # nobody signed in: any token will do
        return Call("DELETE", f"/api/tokens/{RESOURCES.bystander_token_id}")
    token_id, _ = await s.accounts.create_token(account, "om in te trekken", actor="admin:test")
    return Call("DELETE", f"/api/tokens/{token_id}")


async def own_feed(s: Seeded, role: str) -> Call:
    if s.callers[role].account_id is None:
        return Call("DELETE", f"/api/feeds/{RESOURCES.bystander_feed_id}")
    made = await s.request(role, "POST", "/api/feeds")
    assert made.status_code == 201, made.text
    return Call("DELETE", f"/api/feeds/{made.json()['id']}")


async def link(s: Seeded, role: str) -> Call:
    asked = await s.http.post("/api/session/link", json={"email": OWN_CONTACT})
    assert asked.status_code == 202, asked.text
    return Call("GET", f"/api/session/link/{s.mail.link_token(OWN_CONTACT)}")


async def new_user(s: Seeded, role: str) -> Call:
    body = {"user_name": f"nieuw-{role}-{RESOURCES.next('user')}", "role": "ops", "password": PASSWORD}
    return Call("POST", "/api/users", json=body)


def feeds_not_of_another(response: httpx.Response) -> bool:
    return response.status_code == 200 and RESOURCES.bystander_feed_id not in {f["id"] for f in response.json()}


BAD_KEY = {"Idempotency-Key": "!geen geldige sleutel"}


def command_probe(step: str) -> Probe:
    def on(trajectory_id: str) -> Make:
        return fixed("POST", f"/api/trajectories/{trajectory_id}/{step}", json={"onbekend_veld": 1}, headers=BAD_KEY)

    return Probe(on(OWN), (422,), other=on(OTHER), check=names_input_key, trajectory=True)


def listing(path: str, params: Mapping[str, Any], other: Mapping[str, Any]) -> Probe:
    return Probe(fixed("GET", path, params=params), (200,), other=fixed("GET", path, params=other), hidden=empty_page)


PROBES: dict[str, Probe] = {
    "GET /": Probe(fixed("GET", "/"), (200,)),
    "GET /api/docs": Probe(fixed("GET", "/api/docs"), (200,)),
    "GET /api/openapi.json": Probe(fixed("GET", "/api/openapi.json"), (200,)),
    "POST /api/session": Probe(
        fixed("POST", "/api/session", json={"user_name": BYSTANDER, "password": PASSWORD}), (200,)
    ),
    "DELETE /api/session": Probe(fixed("DELETE", "/api/session"), (204,)),
    "POST /api/session/link": Probe(
        fixed("POST", "/api/session/link", json={"email": "niemand@example.invalid"}), (202,)
    ),
    "GET /api/session/link/{token}": Probe(link, (200,)),
    "GET /api/me": Probe(fixed("GET", "/api/me"), (200,)),
    "POST /api/tokens": Probe(fixed("POST", "/api/tokens", json={"label": "proef"}), (201,)),
    "DELETE /api/tokens/{token_id}": Probe(
        own_token, (204,), other=lambda s, role: fixed("DELETE", f"/api/tokens/{RESOURCES.bystander_token_id}")(s, role)
    ),
    "GET /api/users": Probe(fixed("GET", "/api/users"), (200,)),
    "POST /api/users": Probe(new_user, (201,)),
    "PATCH /api/users/{account_id}": Probe(
        fixed("PATCH", f"/api/users/{BYSTANDER}", json={"display_name": "Bea B. Bijstand"}), (200,)
    ),
    **{
        f"POST /api/trajectories/{{trajectory_id}}/{e.noun}/{e.verb}": command_probe(f"{e.noun}/{e.verb}")
        for e in ENDPOINTS
    },
    "GET /api/trajectories": listing("/api/trajectories", {}, {"certificate_number": OTHER_NUMBER}),
    "GET /api/trajectories/{trajectory_id}": Probe(
        fixed("GET", f"/api/trajectories/{OWN}"),
        (200,),
        other=fixed("GET", f"/api/trajectories/{OTHER}"),
        trajectory=True,
    ),
    "GET /api/deadlines": listing(
        "/api/deadlines", {"status": "all", "trajectory_id": OWN}, {"status": "all", "trajectory_id": OTHER}
    ),
    "GET /api/postponements": listing(
        "/api/postponements", {"status": "all", "trajectory_id": OWN}, {"status": "all", "trajectory_id": OTHER}
    ),
    "GET /api/register": Probe(fixed("GET", "/api/register"), (200,)),
    "GET /api/stuck": Probe(fixed("GET", "/api/stuck"), (200,)),
    "GET /api/reports/period": Probe(
        fixed("GET", "/api/reports/period", params={"from": "2025-01-01", "to": "2026-12-31"}), (200,)
    ),
    "POST /api/feeds": Probe(fixed("POST", "/api/feeds"), (201,)),
    "GET /api/feeds": Probe(
        fixed("GET", "/api/feeds"), (200,), other=fixed("GET", "/api/feeds"), hidden=feeds_not_of_another
    ),
    "DELETE /api/feeds/{feed_id}": Probe(
        own_feed, (204,), other=lambda s, role: fixed("DELETE", f"/api/feeds/{RESOURCES.bystander_feed_id}")(s, role)
    ),
    "GET /feeds/{token}.ics": Probe(
        lambda s, role: fixed("GET", f"/feeds/{RESOURCES.feed_token}.ics")(s, role), (200,)
    ),
    "GET /healthz": Probe(fixed("GET", "/healthz"), (200,)),
    "GET /readyz": Probe(fixed("GET", "/readyz"), (200,)),
    "GET /metrics": Probe(fixed("GET", "/metrics"), (200,)),
    "POST /codec/decode": Probe(fixed("POST", "/codec/decode", json={"payloads": []}), (200,)),
}
LAST = ("DELETE /api/session",)
"""Asked after every other row: it ends the auditee's cookie session."""


# --- the tests ------------------------------------------------------------------------------------------


def routes(web: Any) -> set[str]:
    """Every endpoint of the API the app serves, as "METHOD /path" (HEAD is GET's). Recent FastAPI keeps included
    routers as such in `app.routes`; `iter_route_contexts` flattens them (before, the list was flat)."""
    import fastapi.routing

    from interfaces.web.errors import WebRoute

    flatten = getattr(fastapi.routing, "iter_route_contexts", lambda routes: routes)
    found = set()
    for route in flatten(web.routes):
        if isinstance(getattr(route, "route", route), WebRoute) and route.path_format != "/":
            continue  # the pages have their own scope tests (tests/web); the start page is everyone's door
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add(f"{method} {route.path_format}")
    return found


async def test_every_endpoint_has_a_row(seeded: Seeded) -> None:
    served = routes(seeded.web)
    documented = {f"{m.upper()} {p}" for p, ops in seeded.web.openapi()["paths"].items() for m in ops}
    assert documented <= served
    assert sorted(served - EXPECTED.keys()) == [], "endpoints without a row in MATRIX"
    assert sorted(EXPECTED.keys() - served) == [], "rows of MATRIX for endpoints that do not exist"
    assert sorted(EXPECTED.keys() - PROBES.keys()) == [], "rows without a probe"


async def _ask(s: Seeded, role: str, make: Make) -> tuple[Call, httpx.Response]:
    call = await make(s, role)
    response = await s.request(role, call.method, call.path, json=call.json, params=call.params, headers=call.headers)
    return call, response


async def test_every_endpoint_answers_every_role_as_the_matrix_says(seeded: Seeded) -> None:
    s = seeded
    await prepare(s)
    events_before = await s.trajectory_events()
    wrong: list[str] = []
    order = [e for e in EXPECTED if e not in LAST] + list(LAST)
    for endpoint in order:
        probe = PROBES[endpoint]
        for role in ROLES:
            cell = EXPECTED[endpoint][role]
            call, response = await _ask(s, role, probe.call)
            said = f"{endpoint} as {role}: {call.method} {call.path} → {response.status_code} {response.text[:200]}"
            if cell in ("ok", "own"):
                if response.status_code not in probe.ok or (probe.check is not None and not probe.check(response)):
                    wrong.append(f"expected {cell} ({probe.ok}); {said}")
            elif response.status_code != int(cell):
                wrong.append(f"expected {cell}; {said}")
            elif int(cell) in (401, 403) and response.headers.get("content-type") != "application/problem+json":
                wrong.append(f"expected a problem document; {said}")
            scoped_rule = probe.trajectory and role in SCOPED
            if probe.other is not None and (cell == "own" or scoped_rule):
                call, response = await _ask(s, role, probe.other)
                if not probe.hidden(response):
                    wrong.append(
                        f"{endpoint} as {role} on another's: {call.method} {call.path} → "
                        f"{response.status_code} {response.text[:200]} (should learn nothing)"
                    )
    await sign_in_auditee(s)  # `DELETE /api/session` ended its session
    print(role_matrix_document(s.web))
    assert wrong == [], "\n".join(wrong)
    assert await s.trajectory_events() == events_before, "a probe wrote to a trajectory"


async def test_a_cookie_session_changes_nothing_without_its_csrf_token(seeded: Seeded) -> None:
    """Every change (except signing in and asking a link) with the cookie but without `X-CSRF-Token` is
    refused before anything else is looked at: 403, the CSRF problem, whatever the role could do."""
    s = seeded
    await prepare(s)
    cookie = s.callers["auditee"].cookie
    assert cookie is not None
    for endpoint in EXPECTED:
        method, path = endpoint.split(" ", 1)
        if method not in auth.UNSAFE or path.startswith("/codec/"):  # the codec: ops only, sent by the Web UI
            continue
        call = await PROBES[endpoint].call(s, "auditee")
        s.http.cookies.clear()
        response = await s.http.request(
            call.method, call.path, json=call.json, params=call.params,
            headers={**(call.headers or {}), "Cookie": f"{auth.SESSION_COOKIE}={cookie}"},
        )  # fmt: skip
        if (method, path) in auth.CSRF_EXEMPT:
            assert response.status_code != 403, (endpoint, response.text)
        else:
            assert response.status_code == 403, (endpoint, response.text)
            assert response.json()["type"] == "https://cbct.nl/problemen/csrf", (endpoint, response.text)
    s.http.cookies.clear()


def role_matrix_document(web: Any) -> str:
    """docs/role-matrix.md: the matrix with each endpoint's summary, and the legend."""
    summaries = {
        f"{m.upper()} {p}": (op.get("summary") or "").replace("|", "/")
        for p, ops in web.openapi()["paths"].items()
        for m, op in ops.items()
    }
    lines = [
        "# Who may do what: the role matrix",
        "",
        "Generated from `tests/http/test_authorization_matrix.py` (`MATRIX`), which asks every endpoint as",
        "every role through the real sign-in and fails when an answer differs from this table",
        "(`CBCT_WRITE_ROLE_MATRIX=1 pytest tests/http/test_authorization_matrix.py` rewrites this file).",
        "",
        "| endpoint | | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for endpoint, cells in EXPECTED.items():
        summary = summaries.get(endpoint, "")
        lines.append(f"| `{endpoint}` | {summary} | " + " | ".join(cells[r] for r in ROLES) + " |")
    return "\n".join([*lines, "", LEGEND])


async def test_the_role_matrix_document_is_current(seeded: Seeded) -> None:
    document = role_matrix_document(seeded.web)
    if os.environ.get("CBCT_WRITE_ROLE_MATRIX") == "1":
        DOCUMENT.write_text(document, encoding="utf-8")
    assert DOCUMENT.read_text(encoding="utf-8") == document, (
        "docs/role-matrix.md is not the matrix of this test: rewrite it with "
        "CBCT_WRITE_ROLE_MATRIX=1 pytest tests/http/test_authorization_matrix.py"
    )


# --- another organisation's trajectory: nothing to learn -----------------------------------------------


def _same_but_instance(one: httpx.Response, other: httpx.Response) -> None:
    assert (one.status_code, other.status_code) == (404, 404), (one.text, other.text)
    assert one.headers["content-type"] == other.headers["content-type"] == "application/problem+json"
    first, second = one.json(), other.json()
    assert first.pop("instance") != second.pop("instance")
    assert first == second


@pytest.mark.parametrize("role", SCOPED)
async def test_another_organisations_trajectory_is_answered_as_an_unknown_one(seeded: Seeded, role: str) -> None:
    """By id (a query and a command with a valid body): the very answer of an id that does not exist."""
    s = seeded
    before = await s.trajectory_events()
    asked = await s.request(role, "GET", f"/api/trajectories/{OTHER}")
    _same_but_instance(asked, await s.request(role, "GET", f"/api/trajectories/{UNKNOWN}"))
    assert (await s.request("planner", "GET", f"/api/trajectories/{OTHER}")).status_code == 200

    body = {"ground": "calamiteit", "reason": "Brand in de centrale vestiging."}
    answers = [
        await s.request(role, "POST", f"/api/trajectories/{tid}/postponement/request", json=body, headers=key)
        for tid, key in ((OTHER, {"Idempotency-Key": f"iso-{role}-1"}), (UNKNOWN, {"Idempotency-Key": f"iso-{role}-2"}))
    ]
    _same_but_instance(*answers)
    assert await s.trajectory_events() == before


@pytest.mark.parametrize("role", SCOPED)
async def test_another_organisations_trajectory_is_in_no_list(seeded: Seeded, role: str) -> None:
    """Lists filtered to it are empty (total 0); unfiltered they hold only what the role may see."""
    s = seeded
    filters: list[tuple[str, dict[str, Any]]] = [
        ("/api/trajectories", {"certificate_number": OTHER_NUMBER}),
        ("/api/trajectories", {"organisation": "Hengelo"}),
        ("/api/trajectories", {"auditor": "Ellen Expert"}),
        ("/api/deadlines", {"status": "all", "trajectory_id": OTHER}),
        ("/api/postponements", {"status": "all", "trajectory_id": OTHER}),
    ]
    for path, params in filters:
        seen_by_planner = (await s.request("planner", "GET", path, params=params)).json()
        assert seen_by_planner["total"] > 0, (path, params)  # the filter does find it
        answer = await s.request(role, "GET", path, params=params)
        assert answer.status_code == 200 and answer.json()["items"] == [] and answer.json()["total"] == 0, (
            path,
            params,
            answer.text,
        )
    for path, params in (
        ("/api/trajectories", {}),
        ("/api/deadlines", {"status": "all"}),
        ("/api/postponements", {"status": "all"}),
    ):
        page = (await s.request(role, "GET", path, params=params)).json()
        assert {item["trajectory_id"] for item in page["items"]} == {OWN}, (path, page)
        assert page["total"] == len(page["items"])


@pytest.mark.parametrize("role", SCOPED)
async def test_a_calendar_feed_shows_nothing_of_another_organisation(seeded: Seeded, role: str) -> None:
    s = seeded
    feeds = {}
    for who in (role, "planner"):
        made = await s.request(who, "POST", "/api/feeds")
        assert made.status_code == 201, made.text
        got = await s.http.get(made.json()["url"].removeprefix("http://cbct.test"))
        assert got.status_code == 200, got.text
        feeds[who] = got.text
    uids = {who: {str(e["UID"]) for e in Calendar.from_ical(text).walk("VEVENT")} for who, text in feeds.items()}
    audits = {uid for uid in uids[role] if ".audit." in uid}
    assert audits == {audit_uid(OWN, 0)}, uids[role]
    assert all(f".{OWN}." in f".{uid}" for uid in uids[role]), uids[role]
    assert OTHER not in feeds[role] and "Hengelo" not in feeds[role] and OTHER_NUMBER not in feeds[role]
    assert audit_uid(OTHER, 0) in uids["planner"]  # it is there to be shown


async def test_an_auditee_gets_no_period_report(seeded: Seeded) -> None:
    """The period report counts every organisation: not for an auditee (nor an auditor)."""
    for role in SCOPED:
        answer = await seeded.request(
            role, "GET", "/api/reports/period", params={"from": "2025-01-01", "to": "2026-12-31"}
        )
        assert answer.status_code == 403, answer.text
        assert OTHER not in answer.text and "Hengelo" not in answer.text
