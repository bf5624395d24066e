"""Connecting to Temporal: the configured server or cluster, else the embedded dev server.

Every client speaks pydantic, so workflow inputs, updates and results are the project's own models on
both sides, and encrypts every payload under the payload key (`infrastructure.payload_codec`): the
server, its Web UI and its files hold ciphertext only. A connection is bounded in time
(`CONNECT_TIMEOUT`): a hung server gives a one-line error, not a minute of silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import KeepAliveConfig, RPCError, TLSConfig

from infrastructure.keyring import load_file, load_keyring
from infrastructure.metrics import SDK_BUFFER_SIZE, SDK_DRAIN_SECONDS, TEMPORAL_SDK
from infrastructure.payload_codec import encrypted_data_converter
from infrastructure.settings import Settings
from infrastructure.temporal_server import EmbeddedTemporal, TemporalServerInfo

CONNECT_TIMEOUT = 15.0
"""Seconds a connection may take; the SDK's own retries would wait about 50 s for a hung server."""

LOOPBACK_KEEP_ALIVE = KeepAliveConfig(interval_millis=5000, timeout_millis=5000)
"""The embedded server's connections: a call stuck on a dead address (the server moved after a crash and
something else took its port) is dropped after 10 s instead of the default 45 s; pings cost nothing locally."""


_runtime: Runtime | None = None


def sdk_runtime() -> Runtime:
    """The process's one SDK runtime, shared by every client and worker it makes: its metrics go to a
    MetricBuffer that `infrastructure.metrics.TEMPORAL_SDK` drains into our registry (served by the
    authenticated /metrics, so the SDK opens no port of its own). One runtime, not one per client: each
    runtime has its own thread pool, and a buffer must have a single reader. The SDK core's own log
    lines go to Python logging (`temporalio.core`), as the CLI's default runtime sends them, never
    straight to stdout."""
    global _runtime
    if _runtime is None:
        buffer = MetricBuffer(SDK_BUFFER_SIZE, MetricBufferDurationFormat.SECONDS)
        quiet = LoggingConfig(
            filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
            forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
        )
        _runtime = Runtime(telemetry=TelemetryConfig(logging=quiet, metrics=buffer))
        TEMPORAL_SDK.attach(buffer)
    return _runtime


async def _drain_sdk_metrics() -> None:
    """Drain the SDK's buffer now and then, so it never fills up between two scrapes (or with none)."""
    while True:
        await asyncio.sleep(SDK_DRAIN_SECONDS)
        TEMPORAL_SDK.drain()


class TemporalConfigError(ValueError):
    """A Temporal setting points at something unusable (a missing certificate file, ...)."""


class TemporalUnreachable(RuntimeError):
    """The Temporal server did not answer a connection in time; the message is one Dutch line."""


def data_converter(settings: Settings) -> DataConverter:
    """The converter of every client and worker: pydantic, payloads encrypted under the payload keys
    (from the key file: read again when a payload names a key rotated in since this process started)."""
    keys = load_keyring(settings).payload
    if settings.payload_keys is not None:
        return encrypted_data_converter(keys)
    return encrypted_data_converter(keys, reload=lambda: load_file(settings.data_dir).payload)


def _read(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise TemporalConfigError(f"{setting}: cannot read {path} ({error.strerror})") from error


def tls_config(settings: Settings) -> TLSConfig | None:
    """TLS from the settings: mTLS with cert + key, a private CA, a server name; None when none is set."""
    if not any((settings.temporal_tls_cert, settings.temporal_tls_ca, settings.temporal_tls_server_name)):
        return None
    return TLSConfig(
        server_root_ca_cert=_read(settings.temporal_tls_ca, "CBCT_TEMPORAL_TLS_CA"),
        domain=settings.temporal_tls_server_name,
        client_cert=_read(settings.temporal_tls_cert, "CBCT_TEMPORAL_TLS_CERT"),
        client_private_key=_read(settings.temporal_tls_key, "CBCT_TEMPORAL_TLS_KEY"),
    )


async def connect_client(
    settings: Settings,
    *,
    address: str | None = None,
    namespace: str | None = None,
    interceptors: Sequence[Interceptor] = (),
    identity: str | None = None,
) -> Client:
    """A client for `address` (default: `CBCT_TEMPORAL_ADDRESS`) with our converter, TLS and API key.

    An API key without TLS settings turns on TLS with the system's roots (as Temporal Cloud expects).
    """
    target = address or settings.temporal_address
    if target is None:
        raise TemporalConfigError("CBCT_TEMPORAL_ADDRESS is not set; use temporal_connection() for the embedded server")
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await _connect(
        target,
        namespace or settings.temporal_namespace,
        data_converter(settings),
        tls=tls_config(settings) or bool(api_key),
        api_key=api_key,
        interceptors=interceptors,
        identity=identity,
    )


async def connect_embedded(
    settings: Settings,
    info: TemporalServerInfo,
    *,
    interceptors: Sequence[Interceptor] = (),
    identity: str | None = None,
) -> Client:
    """A client for the embedded server at `info`: plain loopback (the TLS and API key settings are for
    an external server), our converter."""
    converter = data_converter(settings)
    return await _connect(
        info.address,
        info.namespace,
        converter,
        interceptors=interceptors,
        identity=identity,
        keep_alive=LOOPBACK_KEEP_ALIVE,
    )


async def _connect(
    target: str,
    namespace: str,
    converter: DataConverter,
    *,
    tls: TLSConfig | bool = False,
    api_key: str | None = None,
    interceptors: Sequence[Interceptor] = (),
    identity: str | None = None,
    within: float | None = None,
    keep_alive: KeepAliveConfig = KeepAliveConfig.default,
) -> Client:
    within = within or CONNECT_TIMEOUT
    try:
        return await asyncio.wait_for(
            Client.connect(
                target,
                namespace=namespace,
                api_key=api_key,
                tls=tls,
                data_converter=converter,
                interceptors=interceptors,
                identity=identity,
                keep_alive_config=keep_alive,
                runtime=sdk_runtime(),
            ),
            within,
        )
    except TimeoutError:
        raise TemporalUnreachable(
            f"De Temporal-server op {target} antwoordt niet binnen {within:.0f} s (hangt hij, of is hij gestopt?)"
        ) from None
    except (RPCError, RuntimeError) as error:
        if isinstance(error, RuntimeError) and not str(error).startswith("Failed client connect"):
            raise
        raise TemporalUnreachable(f"De Temporal-server op {target} is niet bereikbaar: {error}") from error


@asynccontextmanager
async def temporal_connection(
    settings: Settings, *, interceptors: Sequence[Interceptor] = (), identity: str | None = None
) -> AsyncIterator[tuple[Client, str | None]]:
    """Yield a connected client and the Web UI's address (None when unknown).

    With `CBCT_TEMPORAL_ADDRESS` this connects there (UI: `CBCT_TEMPORAL_UI_URL`); without, it starts
    or joins the embedded dev server of `CBCT_DATA_DIR` and releases it on exit (the last process to
    leave stops it, without waiting for its graceful stop). While it is open the SDK's metric buffer is
    drained every few seconds.
    """
    drain = asyncio.create_task(_drain_sdk_metrics(), name="temporal-sdk-metrics")
    try:
        if settings.temporal_address is not None:
            client = await connect_client(settings, interceptors=interceptors, identity=identity)
            yield client, settings.temporal_ui_url
            return
        server = EmbeddedTemporal(settings.data_dir, settings.temporal_namespace)
        info = await server.start()
        try:
            client = await connect_embedded(settings, info, interceptors=interceptors, identity=identity)
            yield client, info.ui_address
        finally:
            server.stop(wait=False)  # the server finishes its graceful stop on its own
    finally:
        drain.cancel()
