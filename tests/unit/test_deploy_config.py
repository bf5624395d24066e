"""docker-compose.yml, the Temporal deploy files and the Dockerfile agree with each other and with the code.

No Docker engine runs here, so these checks stand in for `docker compose up`: names, addresses, settings
and versions that must match across files.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrastructure.settings import Settings
from infrastructure.temporal_binaries import temporal_cli_path
from infrastructure.temporal_server import SEARCH_ATTRIBUTES, TUNED_DYNAMIC_CONFIG

REPO = Path(__file__).resolve().parents[2]
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _interpolate(value: Any) -> Any:
    """Compose's `${VAR:-default}` with nothing set: the default."""
    return _DEFAULTED.sub(lambda m: m.group(2), value) if isinstance(value, str) else value


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((REPO / "docker-compose.yml").read_text()))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(_interpolate(value)) for key, value in service.get("environment", {}).items()}


def _image_tag(service: dict[str, Any]) -> str:
    return str(service["image"]).rsplit(":", 1)[1]


def test_services_and_their_dependencies_exist(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == {
        "postgres", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "worker", "web"
    }  # fmt: skip
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s missing healthcheck"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
        image = service.get("image")
        assert image is None or (":" in image and not image.endswith(":latest")), f"{name}: pin the image"
    assert services["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert services["worker"]["depends_on"]["temporal-namespace"]["condition"] == "service_completed_successfully"


def test_temporal_server_runs_on_the_postgres_service_with_the_schema_jobs_credentials(
    services: dict[str, dict[str, Any]],
) -> None:
    postgres, server, schema = _env(services["postgres"]), _env(services["temporal"]), _env(services["temporal-schema"])
    assert server["DB"] == "postgres12"
    assert server["POSTGRES_SEEDS"] == schema["POSTGRES_SEEDS"] == "postgres"
    assert server["POSTGRES_USER"] == schema["POSTGRES_USER"] == postgres["POSTGRES_USER"]
    assert server["POSTGRES_PWD"] == schema["POSTGRES_PWD"] == postgres["POSTGRES_PASSWORD"]
    assert (server["DBNAME"], server["VISIBILITY_DBNAME"]) == ("temporal", "temporal_visibility")
    assert server["BIND_ON_IP"] == "0.0.0.0"
    assert int(server["NUM_HISTORY_SHARDS"]) >= 1
    script = (REPO / "deploy/temporal/setup-schema.sh").read_text()
    assert "--plugin postgres12" in script and "for db in temporal temporal_visibility" in script


def test_dynamic_config_is_mounted_and_equals_the_embedded_servers(services: dict[str, dict[str, Any]]) -> None:
    server = services["temporal"]
    path = _env(server)["DYNAMIC_CONFIG_FILE_PATH"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in server["volumes"]}
    assert mounts[path] == "./deploy/temporal/dynamicconfig.yaml"
    config = yaml.safe_load((REPO / "deploy/temporal/dynamicconfig.yaml").read_text())
    assert {key: values[0]["value"] for key, values in config.items()} == dict(TUNED_DYNAMIC_CONFIG)
    assert all(len(values) == 1 and set(values[0]) == {"value"} for values in config.values()), "no constraints"


def test_namespace_job_creates_the_workers_namespace_and_search_attributes(
    services: dict[str, dict[str, Any]],
) -> None:
    job, worker = _env(services["temporal-namespace"]), _env(services["worker"])
    assert job["NAMESPACE"] == worker["CBCT_TEMPORAL_NAMESPACE"]
    assert (
        job["TEMPORAL_ADDRESS"] == worker["CBCT_TEMPORAL_ADDRESS"] == _env(services["temporal-ui"])["TEMPORAL_ADDRESS"]
    )
    script = (REPO / "deploy/temporal/create-namespace.sh").read_text()
    listed = re.search(r"for attribute in ([^;]+);", script)
    assert listed is not None
    declared = dict(pair.split("=") for pair in listed.group(1).split())
    assert declared == {"TrajectoryPhase": "Keyword", "Organisation": "Keyword", "NextDeadline": "Datetime"}
    assert set(declared) == set(SEARCH_ATTRIBUTES)


def test_worker_settings_are_valid_and_point_at_the_services(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(services["worker"])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.temporal_address == "temporal:7233"
    postgres = _env(services["postgres"])
    user, password, database = postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"]
    assert settings.database_url == f"postgresql://{user}:{password}@postgres:5432/{database}"
    assert settings.temporal_ui_url == "http://localhost:8080"
    assert "127.0.0.1:8080:8080" in services["temporal-ui"]["ports"]


def test_web_service_serves_on_the_same_services_with_a_readyz_healthcheck(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    web, worker = services["web"], services["worker"]
    env = _env(web)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    worker_env = _env(worker)
    assert settings.database_url == worker_env["CBCT_DATABASE_URL"]
    assert settings.temporal_address == worker_env["CBCT_TEMPORAL_ADDRESS"]
    assert "cbct serve --host 0.0.0.0 --port 8470" in " ".join(web["command"])
    assert "127.0.0.1:8470:8470" in web["ports"]
    assert "http://127.0.0.1:8470/readyz" in " ".join(web["healthcheck"]["test"])
    assert web["depends_on"]["temporal-namespace"]["condition"] == "service_completed_successfully"
    assert {v for v in web["volumes"]} == {v for v in worker["volumes"]}, "one key file for both"
    ui = _env(services["temporal-ui"])
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == f"{settings.public_url}/codec"
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert settings.temporal_ui_url == "http://localhost:8080"  # the origin the codec allows


def test_cluster_images_match_the_dev_servers_version(services: dict[str, dict[str, Any]]) -> None:
    """Production runs the server version the tests ran against (the CLI wheel's embedded server)."""
    version = subprocess.run([temporal_cli_path(), "--version"], capture_output=True, text=True, check=True).stdout
    server = re.search(r"Server (\d+\.\d+\.\d+)", version)
    ui = re.search(r"UI (\d+\.\d+\.\d+)", version)
    assert server is not None and ui is not None, version
    assert _image_tag(services["temporal"]) == server.group(1)
    assert _image_tag(services["temporal-schema"]) == _image_tag(services["temporal-namespace"]) == server.group(1)
    assert _image_tag(services["temporal-ui"]) == ui.group(1)
    assert services["postgres"]["image"] == "postgres:16"


def test_dockerfile_copies_every_installed_package() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    modules = {f"{name}.py" for name in project["tool"]["setuptools"]["py-modules"]}
    copied = set()
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            copied.update(line.split()[1:-1])
    assert packages | modules | {"pyproject.toml", "README.md"} <= copied
    assert all((REPO / path).exists() for path in copied)
