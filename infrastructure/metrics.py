"""The process's Prometheus metrics (prometheus-client), declared once; `/metrics` exposes the registry.

Counters and histograms are updated where things happen (the command endpoints, the e-mail sender);
gauges that describe the read models (open trajectories by phase, overdue deadlines, projection lag,
e-mails waiting and refused) are computed when `/metrics` is scraped (`interfaces/http/metrics.py`,
`projections/gauges.py`) and exposed by `READ_MODELS`; the Temporal SDK's own metrics come from its
MetricBuffer through `TEMPORAL_SDK`, so everything is served by the one authenticated endpoint.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from temporalio.runtime import BUFFERED_METRIC_KIND_COUNTER, BUFFERED_METRIC_KIND_GAUGE

if TYPE_CHECKING:
    from temporalio.runtime import BufferedMetricUpdate, MetricBuffer

REGISTRY = CollectorRegistry(auto_describe=True)

COMMANDS = Counter(
    "cbct_commands_total",
    "Commands received over HTTP, by command type and answer (accepted, duplicate, refused, invalid, "
    "forbidden, not_found, unavailable).",
    ["command", "answer"],
    registry=REGISTRY,
)
COMMAND_SECONDS = Histogram(
    "cbct_command_seconds",
    "Time from receiving a command to its answer, by command type.",
    ["command"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
EMAILS = Counter(
    "cbct_emails_total",
    "E-mails handed to the sender, by outcome (sent, failed: will be retried, refused: permanently).",
    ["transport", "outcome"],
    registry=REGISTRY,
)


# --- gauges of the read models, computed when /metrics is scraped -----------------------------------------


@dataclass(frozen=True)
class ProjectionLag:
    """How far one projection is behind the store's head: events not yet applied, and how long the
    oldest of them has waited (0 when none)."""

    behind: int
    seconds: float
    halted: bool


@dataclass(frozen=True)
class ReadModelFigures:
    """What the read models say at one moment (`projections.gauges.read_model_figures`)."""

    open_by_phase: Mapping[str, int]
    overdue_by_kind: Mapping[str, int]
    projections: Mapping[str, ProjectionLag]
    messages_by_status: Mapping[str, int]


class ReadModelGauges(Collector):
    """Exposes the last `ReadModelFigures` (set by the /metrics endpoint just before it renders), and
    whether they could be read (`cbct_read_models_up`): a scrape while the database is away still
    answers, with the process's own counters."""

    def __init__(self) -> None:
        self._figures: ReadModelFigures | None = None
        self._up = 0.0

    def update(self, figures: ReadModelFigures | None) -> None:
        """New figures; None when they could not be read (the last ones are then no longer shown)."""
        self._figures = figures
        self._up = 0.0 if figures is None else 1.0

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("cbct_read_models_up", "1 when this scrape could read the read models.", self._up)
        figures = self._figures
        if figures is None:
            return
        phases = GaugeMetricFamily("cbct_open_trajectories", "Open trajectories, by phase.", labels=["phase"])
        for phase, count in sorted(figures.open_by_phase.items()):
            phases.add_metric([phase], count)
        yield phases
        overdue = GaugeMetricFamily(
            "cbct_overdue_deadlines",
            "Deadlines whose moment has passed with the step undone, by kind.",
            labels=["kind"],
        )
        for kind, count in sorted(figures.overdue_by_kind.items()):
            overdue.add_metric([kind], count)
        yield overdue
        behind = GaugeMetricFamily(
            "cbct_projection_lag_events",
            f"Events a projection has still to apply (counted up to {LAG_COUNT_CAP}).",
            labels=["projection"],
        )
        seconds = GaugeMetricFamily(
            "cbct_projection_lag_seconds",
            "How long the oldest event a projection has still to apply has waited (0: none waiting).",
            labels=["projection"],
        )
        halted = GaugeMetricFamily(
            "cbct_projection_halted",
            "1 when a projection is halted at an event it cannot apply.",
            labels=["projection"],
        )
        for name, lag in sorted(figures.projections.items()):
            behind.add_metric([name], lag.behind)
            seconds.add_metric([name], lag.seconds)
            halted.add_metric([name], 1.0 if lag.halted else 0.0)
        yield from (behind, seconds, halted)
        statuses = dict(figures.messages_by_status)
        yield GaugeMetricFamily(
            "cbct_emails_waiting", "E-mails written but not yet delivered (status pending).", statuses.get("pending", 0)
        )
        yield GaugeMetricFamily(
            "cbct_emails_refused",
            "E-mails the mail server refused for good (5xx): ops must act.",
            statuses.get("refused", 0),
        )
        messages = GaugeMetricFamily("cbct_messages", "Messages in the outbox, by status.", labels=["status"])
        for status, count in sorted(statuses.items()):
            messages.add_metric([status], count)
        yield messages


LAG_COUNT_CAP = 100_000
"""Projection lag is counted up to this many events: a scrape's cost stays bounded during a rebuild."""

READ_MODELS = ReadModelGauges()
REGISTRY.register(READ_MODELS)


# --- the Temporal SDK's own metrics, re-exposed through REGISTRY ---------------------------------------------

SDK_BUFFER_SIZE = 50_000
"""Updates the SDK may buffer between two drains (every scrape, and every `SDK_DRAIN_SECONDS`)."""
SDK_DRAIN_SECONDS = 5.0
SDK_SECONDS_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
SDK_PLAIN_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
_NAME = re.compile(r"[^a-zA-Z0-9_]")


def _prom_name(name: str) -> str:
    cleaned = _NAME.sub("_", name)
    return cleaned if not cleaned[:1].isdigit() else f"_{cleaned}"


@dataclass
class _Series:
    """One metric with one label set: a counter's total, a gauge's value, or a histogram's buckets."""

    value: float = 0.0
    count: int = 0
    buckets: list[int] = field(default_factory=list)


@dataclass
class _Family:
    name: str
    documentation: str
    kind: str  # "counter", "gauge", "histogram"
    bounds: tuple[float, ...] = ()
    series: dict[tuple[tuple[str, str], ...], _Series] = field(default_factory=dict)


class TemporalSdkMetrics(Collector):
    """The Temporal SDK's worker and client metrics (its Core's MetricBuffer), drained and folded here,
    so they are served by our authenticated /metrics and the SDK opens no port of its own.

    Counters arrive as deltas (summed), gauges as values (the last kept), histograms as single
    observations (bucketed; durations in seconds). Drained on every scrape and every few seconds in
    between (`drain`), from one process-wide runtime (`infrastructure.temporal_client.sdk_runtime`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer: MetricBuffer | None = None
        self._families: dict[str, _Family] = {}

    def attach(self, buffer: MetricBuffer) -> None:
        with self._lock:
            self._buffer = buffer

    def drain(self) -> int:
        """Fold the buffered updates in; how many there were."""
        with self._lock:
            if self._buffer is None:
                return 0
            try:
                updates = self._buffer.retrieve_updates()
            except RuntimeError:  # its runtime is not made yet
                return 0
            for update in updates:
                self._fold(update)
            return len(updates)

    def _fold(self, update: BufferedMetricUpdate) -> None:
        metric = update.metric
        family = self._families.get(metric.name)
        if family is None:
            family = self._new_family(metric.name, metric.description, metric.unit, metric.kind)
            self._families[metric.name] = family
        labels = tuple(sorted((_prom_name(str(k)), str(v)) for k, v in update.attributes.items()))
        series = family.series.get(labels)
        if series is None:
            series = _Series(buckets=[0] * len(family.bounds))
            family.series[labels] = series
        value = float(update.value)
        if family.kind == "counter":
            series.value += value
        elif family.kind == "gauge":
            series.value = value
        else:
            series.value += value
            series.count += 1
            for n, bound in enumerate(family.bounds):
                if value <= bound:
                    series.buckets[n] += 1

    @staticmethod
    def _new_family(name: str, description: str | None, unit: str | None, kind: int) -> _Family:
        documentation = description or f"Temporal SDK metric {name}."
        base = _prom_name(name)
        if kind == BUFFERED_METRIC_KIND_COUNTER:
            return _Family(base.removesuffix("_total"), documentation, "counter")
        if kind == BUFFERED_METRIC_KIND_GAUGE:
            return _Family(base, documentation, "gauge")
        if unit in ("s", "seconds", "duration"):  # durations come in seconds (MetricBufferDurationFormat.SECONDS)
            seconds = base if base.endswith("_seconds") else f"{base}_seconds"
            return _Family(seconds, documentation, "histogram", SDK_SECONDS_BUCKETS)
        return _Family(base, documentation, "histogram", SDK_PLAIN_BUCKETS)

    def collect(self) -> Iterator[Metric]:
        self.drain()
        with self._lock:
            families = list(self._families.values())
            for family in families:
                metric = Metric(family.name, family.documentation, family.kind)
                for labels, series in family.series.items():
                    base = dict(labels)
                    if family.kind == "counter":
                        metric.add_sample(f"{family.name}_total", base, series.value)
                    elif family.kind == "gauge":
                        metric.add_sample(family.name, base, series.value)
                    else:
                        for bound, cumulative in zip(family.bounds, series.buckets, strict=True):
                            metric.add_sample(f"{family.name}_bucket", {**base, "le": str(float(bound))}, cumulative)
                        metric.add_sample(f"{family.name}_bucket", {**base, "le": "+Inf"}, series.count)
                        metric.add_sample(f"{family.name}_count", base, series.count)
                        metric.add_sample(f"{family.name}_sum", base, series.value)
                yield metric


TEMPORAL_SDK = TemporalSdkMetrics()
REGISTRY.register(TEMPORAL_SDK)
