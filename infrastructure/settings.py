"""Process configuration, read once at start-up from `CBCT_*` environment variables (and `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PostgresDsn, field_validator
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
        PostgresDsn(value)  # raises a ValidationError naming the rule
        return value
