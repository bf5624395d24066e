"""The process's Prometheus metrics (prometheus-client), declared once; `/metrics` exposes the registry.

Counters and histograms are updated where things happen (the command endpoints, the e-mail sender);
gauges that describe the read models (open trajectories by phase, overdue deadlines, projection lag,
e-mails waiting) are computed when `/metrics` is scraped (`interfaces/http/metrics.py`).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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
