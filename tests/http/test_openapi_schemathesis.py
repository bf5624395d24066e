"""schemathesis against the OpenAPI document: no 5xx, and every answer is the one the document describes.

The app runs on a real HTTP server (uvicorn on 127.0.0.1, a free port, in the test's event loop) over the
seeded system of `tests/http/matrix_support.py` (two organisations, the real sign-in, the workflows on
Temporal's test server). schemathesis (4.x) generates requests for every operation of `/api/openapi.json`
from its schema and its examples, in a worker thread, once as a planner and once as the auditee, each
with an API token; a command whose path names a seeded trajectory reaches the domain for real.

Bounded and repeatable: `MAX_EXAMPLES` per operation and source (schema, examples, the seeded
trajectory), derandomized (the same cases every run), no example database, no shrinking; every failure
is collected (with the curl command that repeats it) and reported at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from interfaces.http.server import listen_socket, uvicorn_server
from tests.http.matrix_support import OWN, Seeded, seeded, temporal

pytestmark = pytest.mark.asyncio(loop_scope="session")
__all__ = ["seeded", "temporal"]  # fixtures

MAX_EXAMPLES = 4
"""Cases per operation and source: about 330 requests per identity."""

EXCLUDED_CHECKS = [
    # Domain rules are stronger than JSON Schema can say (an audit date outside the audit quarter, an
    # uitstel ground the framework refuses once the date is fixed, a step the trajectory's phase does not
    # allow, an Idempotency-Key used before for another body): a schema-valid request is rightly 409 or
    # 422, so "schema-valid data is accepted" cannot hold by design. Every other check of schemathesis
    # runs (those for negative or stateful cases have nothing to say about these positive ones).
    openapi_checks.positive_data_acceptance,
]


@dataclass
class Run:
    """What one identity's run met: requests by status, and the failures (with a curl to repeat each)."""

    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def failed(self, kind: str, report: str) -> None:
        """The first report of each kind of failure (operation and checks) is kept."""
        self.failures.setdefault(kind, report[:3000])


@contextlib.asynccontextmanager
async def served(web: Any) -> AsyncIterator[str]:
    """`web` on a real HTTP server on loopback (as `cbct serve` runs it), while inside: its base URL."""
    sock = listen_socket("127.0.0.1", 0)
    server = uvicorn_server(web, grace_seconds=1)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # uvicorn sets a flag, not an event
            assert not task.done(), "the HTTP server stopped while starting"
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def base_url(seeded: Seeded) -> AsyncIterator[str]:
    async with served(seeded.web) as url:
        yield url


def strategies(operation: Any) -> Iterator[Any]:
    """The cases of one operation: from its schema, from its examples, and on the seeded trajectory."""
    yield operation.as_strategy()
    examples = operation.schema.get_strategies_from_examples(operation)
    if examples:
        yield st.one_of(examples)
    if any(p.name == "trajectory_id" for p in operation.path_parameters):
        yield operation.as_strategy(path_parameters={"trajectory_id": OWN})


BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def check_cases(strategy: Any, label: str, base: str, headers: dict[str, str], session: Any, run: Run) -> None:
    """`MAX_EXAMPLES` cases of `strategy`, each sent and validated; failures collected, not raised."""

    @BOUNDED
    @given(case=strategy)
    def one(case: Any) -> None:
        run.requests += 1
        try:
            response = case.call(base_url=base, session=session, headers=headers, timeout=30)
            run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, headers=headers)
        except FailureGroup as failed:  # the checks that failed, each with the curl to repeat it
            kinds = ",".join(sorted({type(f).__name__ for f in failed.exceptions}))
            run.failed(f"{label} {kinds}", str(failed.args[0] if failed.args else failed))
        except requests.RequestException as error:  # no answer at all
            run.failed(f"{label} no answer", f"{case.as_curl_command()}: {error!r}")

    one()


def exercise(schema: Any, base: str, headers: dict[str, str], run: Run) -> None:
    """Every operation of `schema`, from every source."""
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        started = time.monotonic()
        for strategy in strategies(operation):
            check_cases(strategy, operation.label, base, headers, session, run)
        run.seconds[operation.label] = time.monotonic() - started


@pytest.mark.parametrize("role", ["planner", "auditee"])
async def test_every_answer_matches_the_openapi_document(seeded: Seeded, base_url: str, role: str) -> None:
    caller = seeded.callers[role]
    token = caller.token
    if token is None:  # the auditee signed in with a link (a cookie): scripts use a token
        assert caller.account_id is not None
        _, token = await seeded.accounts.create_token(caller.account_id, "schemathesis", actor="admin:test")
    schema = schemathesis.openapi.from_dict(seeded.web.openapi())
    run = Run()
    started = time.monotonic()
    await asyncio.to_thread(exercise, schema, base_url, {"Authorization": f"Bearer {token}"}, run)
    took = time.monotonic() - started
    slowest = ", ".join(f"{label} {t:.1f} s" for label, t in sorted(run.seconds.items(), key=lambda x: -x[1])[:3])
    print(f"\nschemathesis as {role}: {run.requests} requests in {took:.1f} s (slowest: {slowest});")
    print(f"  statuses {sorted(run.statuses.items())}")
    assert run.failures == {}, f"{len(run.failures)} kinds of failure:\n\n" + "\n\n".join(run.failures.values())
    assert not [status for status in run.statuses if status >= 500]
    assert run.statuses.get(200, 0) > 0 and run.requests >= 100
