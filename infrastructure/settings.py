"""Process configuration, read once at start-up from `CBCT_*` environment variables (and `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a process may be told from outside; defaults give a working embedded set-up."""

    model_config = SettingsConfigDict(env_prefix="CBCT_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="Postgres URL. Unset: an embedded Postgres is started in `data_dir`.",
    )
    data_dir: Path = Field(default=Path(".cbct"), description="Where the embedded Postgres keeps its data.")
    database_name: str = Field(default="cbct", description="Database used inside the embedded Postgres.")
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    application_version: str = Field(
        default="1",
        description="DBOS application version; bump only when in-flight workflows may not finish on new code.",
    )
    clock: Literal["system", "controlled"] = Field(
        default="system",
        description="system: the wall clock. controlled: the moment set by `cbct clock tick` (tests, demo, ops).",
    )
    outbox_dir: Path = Field(default=Path(".cbct/outbox"), description="Where the file sender writes e-mails.")
    stuck_grace_days: int = Field(default=7, ge=0, description="Overdue this long with no progress: stuck.")
    dispatch_interval_cron: str = Field(default="0 * * * * *", description="When the worker dispatches deadlines.")
    mail_from: str = Field(default="CBCT planning <planning@cbct.nl>", description="From header of every e-mail.")
    shutdown_grace_seconds: float = Field(
        default=30.0, ge=0, description="On SIGTERM the worker lets running workflows finish this long."
    )
    workflow_wait_seconds: float = Field(
        default=120.0, gt=0, description="How long a dispatcher or sender waits for one workflow's result."
    )
    executor_id: str = Field(
        default="",
        description="DBOS executor id. Empty: `worker` for the worker, a fresh `proc-...` id for other processes.",
    )
    orphan_grace_seconds: float = Field(
        default=300.0,
        ge=0,
        description="The worker adopts workflows a short-lived process left PENDING for this long (it died).",
    )
    max_event_bytes: int = Field(default=256 * 1024, gt=0, description="Largest accepted event payload.")
    pool_min_size: int = Field(default=1, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    idle_in_transaction_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="Ends sessions idle inside a transaction, which would hold every follower back.",
    )

    @field_validator("database_url")
    @classmethod
    def _must_be_postgres(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"must be a postgresql:// URL, not scheme {parts.scheme!r}")
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("needs a host, or ?host=/socket/dir for a Unix socket")
        return value
