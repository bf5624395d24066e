"""The soak test's verdicts, as pure functions of what the run observed and what the store and Temporal hold.

Kept apart from the processes and servers (bench/soak.py gathers the data) so that each rule can be
tested on its own (tests/unit/test_soak_checks.py): a check that could never fail proves nothing.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

DELIVERY_PREFIX = "deliver:"
"""The command id under which an e-mail's delivery is recorded (`deliver:<message id>`)."""
Verdict = Literal["accepted", "refused", "failed", "timeout", "interrupted"]
"""`interrupted`: the bench pressed Ctrl-C (to have only the worker running for a fault)."""
Outcome = Literal["accepted", "refused", "unresolved"]


@dataclass(frozen=True)
class Attempt:
    """One `cbct` process: how it ended and what it printed (an operator reads every line of it)."""

    verdict: Verdict
    seconds: float
    exit_code: int | None
    lines: int
    traceback: bool
    first_line: str = ""
    started: float = 0.0
    """The attempt's start on the run's monotonic clock."""


@dataclass
class CommandLog:
    """One command as an operator sends it: the same command id on every attempt, until it is answered."""

    command_id: str
    trajectory_id: str
    kind: str
    attempts: list[Attempt] = field(default_factory=list)
    outcome: Outcome = "unresolved"
    events: int = 0
    """Events the accepted verdict listed (a duplicate answer lists those stored the first time)."""
    duplicate: bool = False
    started: float = 0.0
    finished: float = 0.0


@dataclass(frozen=True)
class StoredCommand:
    """What the event store holds under one command id."""

    events: int
    transactions: int


def command_findings(logs: Sequence[CommandLog], stored: Mapping[str, StoredCommand]) -> dict[str, Any]:
    """Every accepted command stored exactly once: `lost` (accepted with events, none stored), `doubled`
    (a command id, ours or a deadline's or a delivery's, whose events came from more than one decision,
    i.e. more than one transaction), `refused_but_stored` (refused, yet something stored under its id).
    An unresolved command (the operator gave up) is counted by whether it landed."""
    lost = [
        log.command_id for log in logs if log.outcome == "accepted" and log.events > 0 and log.command_id not in stored
    ]
    doubled = sorted(command_id for command_id, s in stored.items() if s.transactions > 1)
    refused_but_stored = [log.command_id for log in logs if log.outcome == "refused" and log.command_id in stored]
    unresolved = [log for log in logs if log.outcome == "unresolved"]
    ours = {log.command_id for log in logs}
    return {
        "deadline_decisions": sum(1 for c in stored if c not in ours and not c.startswith(DELIVERY_PREFIX)),
        "deliveries": sum(1 for c in stored if c.startswith(DELIVERY_PREFIX)),
        "lost": len(lost),
        "doubled": len(doubled),
        "refused_but_stored": len(refused_but_stored),
        "unresolved": len(unresolved),
        "unresolved_stored": sum(1 for log in unresolved if log.command_id in stored),
        "examples": {"lost": lost[:5], "doubled": doubled[:5], "refused_but_stored": refused_but_stored[:5]},
    }


def email_findings(
    expected: Iterable[str],
    files: Mapping[str, str],
    header_of: Callable[[str], str],
    outbox_rows: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Every e-mail sent once. `expected`: the message ids the store's events cause (addressed ones);
    `files`: each outbox file's name → its Message-ID header; `header_of`: the header a message id gets.
    Missing: expected, no file carries its header; extra: a file no expected message explains;
    doubled: a Message-ID carried by more than one file. `outbox_rows`: the addressed message ids of
    the messages read model (the outbox `cbct` shows); each one the store does not cause, or the store
    causes and it lacks, is `outbox_mismatch`."""
    headers = Counter(files.values())
    wanted = {header_of(message_id): message_id for message_id in expected}
    missing = sorted(message_id for header, message_id in wanted.items() if header not in headers)
    extra = sorted(name for name, header in files.items() if header not in wanted)
    doubled = sorted(header for header, n in headers.items() if n > 1)
    mismatch = sorted(set(outbox_rows) ^ set(wanted.values())) if outbox_rows is not None else []
    return {
        "outbox_mismatch": len(mismatch),
        "emails_expected": len(wanted),
        "emails_sent": len(files),
        "emails_missing": len(missing),
        "emails_extra": len(extra),
        "emails_doubled": len(doubled),
        "examples": {
            "emails_missing": missing[:5],
            "emails_extra": extra[:5],
            "emails_doubled": doubled[:5],
            "outbox_mismatch": mismatch[:5],
        },
    }


@dataclass(frozen=True)
class WorkflowView:
    """An open trajectory's workflow as Temporal shows it: the `NextDeadline` search attribute and, when
    the workflow answered the query, the `status` query's next deadline."""

    running: bool
    attribute: datetime | None = None
    queried: datetime | None = None
    answered: bool = False


def deadline_findings(
    store_next: Mapping[str, datetime | None],
    workflows: Mapping[str, WorkflowView],
    now: datetime,
    read_model_next: Mapping[str, datetime] | None = None,
    due_grace: timedelta = timedelta(seconds=60),
) -> dict[str, Any]:
    """Every open trajectory's workflow waits for the store's next deadline. `store_next`: each open
    trajectory's next unfired deadline per the event store (None: none). A deadline already due is in
    flight (its workflow may be deciding it right now) and is not compared; one due longer than
    `due_grace` ago and still unfired is `overdue_unfired` (nobody fires it). `read_model_next`: the
    `deadlines` read model's earliest unfired deadline per trajectory (`cbct deadlines`); one that
    disagrees with the store is `stale_read_model` (its projection stopped or lags)."""
    stale: list[str] = []
    missing: list[str] = []
    unanswered: list[str] = []
    overdue: list[str] = []
    behind: list[str] = []
    for trajectory_id, due in sorted(store_next.items()):
        view = workflows.get(trajectory_id, WorkflowView(running=False))
        if read_model_next is not None and read_model_next.get(trajectory_id) != due:
            behind.append(trajectory_id)
        if due is not None and due <= now:
            if due <= now - due_grace:
                overdue.append(trajectory_id)
            continue
        if not view.running:
            if due is not None:  # its deadline would pass unnoticed
                missing.append(trajectory_id)
            continue
        if view.attribute != due or (view.answered and view.queried != due):
            stale.append(trajectory_id)
        if not view.answered:
            unanswered.append(trajectory_id)
    return {
        "open_trajectories": len(store_next),
        "stale_workflows": len(stale),
        "missing_workflows": len(missing),
        "unanswered_queries": len(unanswered),
        "overdue_unfired": len(overdue),
        "stale_read_model": len(behind),
        "examples": {
            "stale_workflows": stale[:5],
            "missing_workflows": missing[:5],
            "overdue_unfired": overdue[:5],
            "stale_read_model": behind[:5],
        },
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def attempt_findings(logs: Sequence[CommandLog], bound_seconds: float = 30.0) -> dict[str, Any]:
    """What operators lived through: retries, waits beyond `bound_seconds`, failure output, tracebacks."""
    attempts = [a for log in logs for a in log.attempts]
    failed = [a for a in attempts if a.verdict in ("failed", "timeout")]
    seconds = [a.seconds for a in attempts]
    done = [log.finished - log.started for log in logs if log.outcome != "unresolved" and log.finished]
    return {
        "attempts": len(attempts),
        "retries": sum(max(0, len(log.attempts) - 1) for log in logs),
        "failed_attempts": len(failed),
        "timed_out_attempts": sum(1 for a in attempts if a.verdict == "timeout"),
        "interrupted_attempts": sum(1 for a in attempts if a.verdict == "interrupted"),
        "interrupted_max_lines": max((a.lines for a in attempts if a.verdict == "interrupted"), default=0),
        "attempts_over_bound": sum(1 for s in seconds if s > bound_seconds),
        "failures_with_traceback": sum(1 for a in failed if a.traceback),
        "max_failure_lines": max((a.lines for a in failed), default=0),
        "attempt_p50_s": round(percentile(seconds, 50), 2),
        "attempt_p99_s": round(percentile(seconds, 99), 2),
        "attempt_max_s": round(max(seconds, default=0.0), 2),
        "command_p50_s": round(percentile(done, 50), 2),
        "command_max_s": round(max(done, default=0.0), 2),
        "failure_lines": [f"{n}× {line}" for line, n in Counter(a.first_line for a in failed).most_common(5)],
    }


def recovery_seconds(fault_at: float, logs: Sequence[CommandLog]) -> float | None:
    """Seconds from a fault until the first command attempt started after it got an answer (None: none did)."""
    ends = [
        a.started + a.seconds
        for log in logs
        for a in log.attempts
        if a.started >= fault_at and a.verdict in ("accepted", "refused")
    ]
    return round(min(ends) - fault_at, 1) if ends else None


def summary(
    *,
    logs: Sequence[CommandLog],
    commands: Mapping[str, Any],
    emails: Mapping[str, Any],
    deadlines: Mapping[str, Any],
    faults: Mapping[str, int],
    seconds: float,
) -> dict[str, Any]:
    """The one JSON line: the three verdicts first (`lost`, `doubled`, `stale_workflows` must be 0), then
    what the run did and how fast."""
    accepted = sum(1 for log in logs if log.outcome == "accepted")
    return {
        "commands": len(logs),
        "faults": dict(faults),
        "lost": commands["lost"],
        "doubled": commands["doubled"],
        "stale_workflows": deadlines["stale_workflows"],
        "accepted": accepted,
        "refused": sum(1 for log in logs if log.outcome == "refused"),
        "refused_but_stored": commands["refused_but_stored"],
        "deadline_decisions": commands["deadline_decisions"],
        "deliveries": commands["deliveries"],
        "unresolved": commands["unresolved"],
        "unresolved_stored": commands["unresolved_stored"],
        "emails_expected": emails["emails_expected"],
        "emails_sent": emails["emails_sent"],
        "emails_missing": emails["emails_missing"],
        "emails_extra": emails["emails_extra"],
        "emails_doubled": emails["emails_doubled"],
        "outbox_mismatch": emails["outbox_mismatch"],
        "open_trajectories": deadlines["open_trajectories"],
        "missing_workflows": deadlines["missing_workflows"],
        "unanswered_queries": deadlines["unanswered_queries"],
        "overdue_unfired": deadlines["overdue_unfired"],
        "stale_read_model": deadlines["stale_read_model"],
        "seconds": round(seconds, 1),
        "commands_per_min": round(len(logs) / seconds * 60, 1) if seconds else 0.0,
        "accepted_per_min": round(accepted / seconds * 60, 1) if seconds else 0.0,
        "median_command_s": round(statistics.median([log.finished - log.started for log in logs if log.finished]), 2)
        if any(log.finished for log in logs)
        else 0.0,
    }


def passed(result: Mapping[str, Any]) -> bool:
    """The soak holds: nothing lost, doubled, stale (workflow or read model) or missing, and every killed
    server brought back without an operator's command (`not_healed`, added by the run)."""
    keys = ("lost", "doubled", "stale_workflows", "refused_but_stored", "emails_missing", "emails_extra")
    more = (
        "emails_doubled",
        "missing_workflows",
        "overdue_unfired",
        "stale_read_model",
        "not_healed",
        "outbox_mismatch",
    )
    return all(result.get(k, 0) == 0 for k in (*keys, *more))
