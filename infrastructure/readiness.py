"""Whether this process can do its work right now: a set of named conditions, each up or down.

Components that lose what they depend on (the Temporal server, the database) mark their condition down
with a reason and up again when it is back; whatever exposes readiness (the worker's probe, later the
HTTP API's `/readyz` and metrics) reads one object instead of asking every component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Readiness:
    """Named conditions; ready when none is down. Not thread-safe: use it from one event loop."""

    _down: dict[str, str] = field(default_factory=dict)

    def down(self, condition: str, reason: str) -> None:
        """Mark `condition` as not holding, saying why (one line, no secrets)."""
        self._down[condition] = reason

    def up(self, condition: str) -> None:
        """Mark `condition` as holding again."""
        self._down.pop(condition, None)

    @property
    def ready(self) -> bool:
        return not self._down

    @property
    def reasons(self) -> Mapping[str, str]:
        """The conditions that do not hold, with their reasons."""
        return dict(self._down)
