"""`/healthz`, `/readyz` (Postgres, Temporal, projection lag) and the Web UI's codec endpoint."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from application.access import Principal, Role
from application.event_store import ExpectedVersion, NewEvent
from bootstrap import App, TemporalAccess
from infrastructure.database import drop_database
from infrastructure.keyring import KEY_BYTES, KeySet
from infrastructure.payload_codec import EncryptionCodec
from infrastructure.readiness import Readiness
from interfaces.http.deps import current_principal
from tests.conftest import fresh_database
from tests.http.platform_support import client_for, quiet_logs, runtime_on, web_app
from tests.payload_keys import TEST_KEYS

pytestmark = pytest.mark.asyncio(loop_scope="session")

UI = "http://127.0.0.1:8233"


@pytest_asyncio.fixture(loop_scope="session")
async def app(server_urls: dict[str, str], tmp_path: Path) -> AsyncIterator[App]:
    url = await fresh_database(next(iter(server_urls.values())))
    try:
        with quiet_logs():
            async with runtime_on(url, tmp_path / "data", temporal_ui_url=UI) as the_app:
                yield the_app
    finally:
        await drop_database(url)


def connected(app: App) -> Readiness:
    """Pretend the process reaches Temporal (as `cbct serve` does through its supervisor)."""
    app.temporal_access = TemporalAccess(cast(Any, object()), cast(Any, object()), ui_address=None)
    return Readiness()


def signed_in_as(web: Any, role: Role | None) -> None:
    async def principal() -> Principal:
        if role is None:
            from interfaces.http.problems import Problem

            raise Problem(401, "Meld u aan.")
        return Principal(account_id="anna", display_name="Anna", role=role)

    web.dependency_overrides[current_principal] = principal


async def test_healthz_answers_while_nothing_else_is_ready(app: App) -> None:
    async with client_for(web_app(app)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_readyz_is_503_without_temporal_and_200_once_connected(app: App) -> None:
    web = web_app(app)
    async with client_for(web) as client:
        alone = await client.get("/readyz")
        assert alone.status_code == 503
        assert alone.json()["down"] == {"temporal": "niet verbonden in dit proces"}
        web.state.readiness = connected(app)
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "klaar", "down": {}}
        web.state.readiness.down("temporal", "Temporal-server 127.0.0.1:7233 onbereikbaar: proces gestopt")
        lost = await client.get("/readyz")
        assert lost.status_code == 503
        assert lost.json()["down"]["temporal"].startswith("Temporal-server")
        assert lost.headers["cache-control"] == "no-store"


async def test_readyz_is_503_while_a_read_model_lags_behind_the_store(app: App) -> None:
    web = web_app(app)
    web.state.readiness = connected(app)
    for n in range(3):
        await app.store.append(f"trajectory-lag-{n}", [NewEvent("TrajectoryOpened", {})], ExpectedVersion.NO_STREAM)
    async with client_for(web) as client:
        app.settings.ready_max_projection_lag = 2
        behind = await client.get("/readyz")
        assert behind.status_code == 503
        assert "trajectories 3" in behind.json()["down"]["projections"]
        app.settings.ready_max_projection_lag = 3
        assert (await client.get("/readyz")).status_code == 200


async def sealed_payloads(keys: KeySet, *datas: bytes) -> str:
    """Payloads as the Web UI sends them to the codec: protobuf JSON of encrypted payloads."""
    payloads = [Payload(metadata={"encoding": b"json/plain"}, data=data) for data in datas]
    return json_format.MessageToJson(Payloads(payloads=await EncryptionCodec(keys).encode(payloads)))


async def test_the_codec_decrypts_for_ops_only(app: App) -> None:
    web = web_app(app)
    body = await sealed_payloads(TEST_KEYS, b'{"organisatie": "Bibliotheek Hengelo"}')
    headers = {"Content-Type": "application/json", "X-Namespace": "cbct"}
    async with client_for(web) as client:
        signed_in_as(web, None)
        assert (await client.post("/codec/decode", content=body, headers=headers)).status_code == 401
        signed_in_as(web, Role.PLANNER)
        assert (await client.post("/codec/decode", content=body, headers=headers)).status_code == 403
        signed_in_as(web, Role.OPS)
        response = await client.post("/codec/decode", content=body, headers=headers)
    assert response.status_code == 200, response.text
    (decoded,) = response.json()["payloads"]
    assert base64.b64decode(decoded["data"]) == b'{"organisatie": "Bibliotheek Hengelo"}'
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"


async def test_the_codec_leaves_a_foreign_payload_refused_and_rejects_malformed_input(app: App) -> None:
    web = web_app(app)
    signed_in_as(web, Role.OPS)
    foreign = KeySet(current="other", keys={"other": secrets.token_bytes(KEY_BYTES)})
    async with client_for(web) as client:
        response = await client.post("/codec/decode", content=await sealed_payloads(foreign, b"geheim"))
        malformed = await client.post("/codec/decode", content=b'{"payloads": 42}')
    (refused,) = response.json()["payloads"]
    assert "data" not in refused
    assert b"unknown payload key" in base64.b64decode(refused["metadata"]["reason"])
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "payloads"


async def test_the_codec_allows_cors_for_the_web_ui_only(app: App) -> None:
    web = web_app(app)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    async with client_for(web) as client:
        allowed = await client.options("/codec/decode", headers={"Origin": UI, **preflight})
        other = await client.options("/codec/decode", headers={"Origin": "http://evil.example", **preflight})
        elsewhere = await client.options("/readyz", headers={"Origin": UI, **preflight})
        signed_in_as(web, Role.OPS)
        body = await sealed_payloads(TEST_KEYS, b"1")
        post = await client.post("/codec/decode", content=body, headers={"Origin": UI})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in elsewhere.headers  # only the codec is shared
    assert post.status_code == 200 and post.headers["access-control-allow-origin"] == UI
    assert json.loads(post.text)["payloads"]
