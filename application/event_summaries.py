"""Dutch one-line summaries of events, as the timeline and the scenario runner show them.

Each concept declares its events' summaries beside the events (``domain.concept``), so the scenario runner
and the timeline projection print the very same line for an event; every event has one (checked at import).
"""

from __future__ import annotations

from domain import Event
from domain.registry import SUMMARIES


def summarize(event: Event) -> str:
    """One Dutch line for an event."""
    summary = SUMMARIES.get(type(event))
    return summary(event) if summary else type(event).__name__
