"""In `cbct serve` the HTTP app's way to the workflows follows the Temporal supervisor: when the embedded
server moved and the supervisor connected a new client, commands go to the new one (signed as before)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from interfaces.http.server import supervised_access
from tests.workflows.support import SIGNER


@dataclass
class FakeSupervisor:
    client: Any
    ui: str | None


def test_the_apps_temporal_access_follows_the_supervisors_client_and_web_ui() -> None:
    first, second = object(), object()
    supervisor = FakeSupervisor(first, "http://127.0.0.1:8233")
    access = supervised_access(cast(Any, supervisor), SIGNER)
    assert access.client is first and access.trajectories.client is first
    assert access.trajectories.signer is SIGNER

    supervisor.client, supervisor.ui = second, "http://127.0.0.1:9233"  # the server moved; revived elsewhere
    assert access.client is second and access.trajectories.client is second
    assert access.ui_address == "http://127.0.0.1:9233"
