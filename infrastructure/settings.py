"""Process configuration, read once at start-up from `CBCT_*` environment variables (and `.env`)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a process may be told from outside; defaults give a working embedded set-up."""

    # `hide_input_in_errors`: a wrong value may be a secret; errors name the setting and the rule only.
    model_config = SettingsConfigDict(env_prefix="CBCT_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    database_url: str | None = Field(
        default=None,
        description="Postgres URL. Unset: an embedded Postgres is started in `data_dir`.",
    )
    data_dir: Path = Field(
        default=Path(".cbct"),
        description="Where the embedded Postgres and the embedded Temporal server keep their data.",
    )
    database_name: str = Field(default="cbct", description="Database used inside the embedded Postgres.")
    temporal_address: str | None = Field(
        default=None,
        description="Temporal frontend `host:port`. Unset: an embedded `temporal server start-dev` in `data_dir`.",
    )
    temporal_namespace: str = Field(default="cbct", min_length=1, description="Temporal namespace of the workflows.")
    temporal_tls_cert: Path | None = Field(default=None, description="Client certificate (PEM) for mTLS.")
    temporal_tls_key: Path | None = Field(default=None, description="Private key (PEM) of the client certificate.")
    temporal_tls_ca: Path | None = Field(default=None, description="CA (PEM) that signed the server's certificate.")
    temporal_tls_server_name: str | None = Field(default=None, description="Server name to verify the certificate by.")
    temporal_api_key: SecretStr | None = Field(default=None, description="API key (sent as a bearer token; TLS on).")
    temporal_ui_url: str | None = Field(
        default=None, description="Web UI of the external Temporal server, printed where ops need it."
    )
    payload_keys: SecretStr | None = Field(
        default=None,
        description=(
            "AES-GCM keys of Temporal payloads, `id:base64[,id:base64...]`, the first one current (32 bytes each)."
            " Unset: a key file in `data_dir` (keys.json, 0600), made on first use."
        ),
    )
    signing_keys: SecretStr | None = Field(
        default=None,
        description=(
            "HMAC keys that sign every command sent to a workflow, `id:base64[,...]`, the first one current."
            " Unset: the key file in `data_dir`."
        ),
    )
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    outbox_dir: Path = Field(default=Path(".cbct/outbox"), description="Where the file sender writes e-mails.")
    stuck_grace_days: int = Field(default=7, ge=0, description="Overdue this long with no progress: stuck.")
    mail_from: str = Field(default="CBCT planning <planning@cbct.nl>", description="From header of every e-mail.")
    # --- e-mail over SMTP (issue 22); without smtp_host the file sender writes to outbox_dir ---------
    smtp_host: str | None = Field(default=None, description="SMTP server. Unset: e-mails go to `outbox_dir` as files.")
    smtp_port: int | None = Field(
        default=None, gt=0, lt=65536, description="SMTP port. Unset: 465 with tls, 587 with starttls, 25 with none."
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls", description="tls: TLS from the start (465); starttls: upgraded (587); none: plain."
    )
    smtp_username: str | None = Field(default=None, description="SMTP AUTH user (needs smtp_password and TLS).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP AUTH password.")
    smtp_timeout: float = Field(
        default=10.0, gt=0, le=15, description="Seconds per SMTP step (the e-mail activity has 20 s in all)."
    )
    smtp_ca_file: Path | None = Field(
        default=None, description="CA (PEM) the SMTP server's certificate is verified by. Unset: the system's CAs."
    )
    contact_name: str = Field(default="CBCT planning", min_length=1, description="Contact at the foot of e-mails.")
    contact_email: str = Field(
        default="planning@cbct.nl", pattern=r"^[^@\s<>]+@[^@\s<>]+$", description="Contact's e-mail address."
    )
    contact_phone: str | None = Field(default=None, description="Contact's phone number, shown in e-mails.")

    shutdown_grace_seconds: float = Field(
        default=30.0, ge=0, description="On SIGTERM the worker lets running workflows finish this long."
    )
    command_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a CLI command waits for its answer before it names its id and the retry command.",
    )
    reconcile_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How often the worker brings every open trajectory's workflow up to the store.",
    )
    max_event_bytes: int = Field(default=256 * 1024, gt=0, description="Largest accepted event payload.")
    pool_min_size: int = Field(default=1, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    idle_in_transaction_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="Ends sessions idle inside a transaction, which would hold every follower back.",
    )

    # --- `cbct serve`: the HTTP server ---
    http_host: str = Field(default="127.0.0.1", min_length=1, description="Address `cbct serve` listens on.")
    http_port: int = Field(default=8470, ge=1, le=65535, description="Port `cbct serve` listens on.")
    public_url: str | None = Field(
        default=None,
        description=(
            "Where people (links in e-mails; the Temporal Web UI, for its codec) reach `cbct serve`, e.g."
            " https://cbct.example.nl. Unset: http://<host>:<port> (links in e-mails: the request's address)."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Addresses or networks (comma-separated, e.g. 127.0.0.1 or 10.0.0.0/8) of the reverse proxies whose"
            " X-Forwarded-For and X-Forwarded-Proto `cbct serve` believes. Unset: nobody's (anyone on the"
            " machine could claim any client address, to the sign-in limit and the account log)."
        ),
    )
    max_request_bytes: int = Field(default=1 << 20, gt=0, description="Largest request body the HTTP API accepts.")
    ready_max_projection_lag: int = Field(
        default=1000, ge=0, description="/readyz answers 503 while a read model is more events than this behind."
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _must_be_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"moet IP-adressen of netwerken zijn, gescheiden door komma's; {entry!r} is dat niet"
                ) from None
        return ",".join(entries)

    @field_validator("public_url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"moet een http(s)://-adres zijn, niet {value!r}")
        return value.rstrip("/")

    # --- accounts and signing in (interfaces/http/auth.py, application/account_service.py) ---
    session_lifetime_minutes: int = Field(
        default=12 * 60, ge=5, le=30 * 24 * 60, description="How long a sign-in session lasts (fixed, not sliding)."
    )
    signin_link_minutes: int = Field(default=15, ge=1, le=24 * 60, description="How long a one-time link works.")
    signin_window_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="Window of the sign-in rate limits (failures counted in it)."
    )
    signin_max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed sign-ins of one user name in the window before 429."
    )
    signin_max_failures_per_client: int = Field(
        default=20, ge=1, description="Failed sign-ins from one client address in the window before 429."
    )
    signin_max_links_per_address: int = Field(
        default=3, ge=1, description="One-time links e-mailed to one address in the window; more are not sent."
    )
    cookie_secure: bool = Field(
        default=False, description="Always mark the session cookie Secure (it is whenever the request is https)."
    )

    # --- documents uploaded in the auditee portal (issue 23, interfaces/web/portal_documents.py) ---
    uploads_dir: Path | None = Field(
        default=None, description="Where uploaded documents are kept (a 0700 folder). Unset: `data_dir`/uploads."
    )
    upload_max_bytes: int = Field(
        default=10 << 20, ge=1024, le=1 << 30, description="Largest document an auditee may upload (bytes)."
    )

    @property
    def upload_dir(self) -> Path:
        """Where uploaded documents are kept: `uploads_dir`, else `data_dir`/uploads."""
        return self.uploads_dir if self.uploads_dir is not None else self.data_dir / "uploads"

    @field_validator("uploads_dir", mode="before")
    @classmethod
    def _empty_uploads_dir_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _must_be_postgres(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"moet een postgresql://-URL zijn, niet schema {parts.scheme!r}")
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError("heeft een host nodig, of ?host=/socket/map voor een Unix-socket")
        return value

    @field_validator("temporal_address")
    @classmethod
    def _must_be_host_port(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"moet host:poort zijn (bijvoorbeeld temporal:7233), niet {value!r}")
        return value

    @field_validator(
        "temporal_tls_cert", "temporal_tls_key", "temporal_tls_ca", "temporal_tls_server_name", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("smtp_host", "smtp_username", "smtp_password", "smtp_ca_file", "contact_phone", mode="before")
    @classmethod
    def _empty_smtp_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("contact_name", "contact_phone")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and any(c in value for c in "\r\n"):
            raise ValueError("moet op één regel staan")
        return value

    @model_validator(mode="after")
    def _smtp_auth_needs_tls(self) -> Settings:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("CBCT_SMTP_USERNAME en CBCT_SMTP_PASSWORD: geef ze allebei of geen")
        if self.smtp_username is not None and self.smtp_security == "none":
            raise ValueError("CBCT_SMTP_SECURITY: aanmelden (SMTP AUTH) vraagt tls of starttls, nooit none")
        return self

    @model_validator(mode="after")
    def _client_cert_needs_key(self) -> Settings:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("CBCT_TEMPORAL_TLS_CERT en CBCT_TEMPORAL_TLS_KEY: geef ze allebei (mTLS) of geen")
        return self
