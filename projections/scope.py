"""Who may know of which trajectories, as a condition inside the read models' SQL.

The rule is `application.access.may_see`: staff see every trajectory, an auditee the trajectories of its
own organisation (its certificate number), an auditor those whose current round names it as expert or
peer auditor. Lists apply it in their WHERE clause, so items, totals and pages never count what the
reader may not know of; a single trajectory outside it reads as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.access import STAFF, Principal, Role


class Params:
    """Positional parameters of one asyncpg statement: `p(value)` appends it and returns `$n`."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        return f"${len(self.values)}" + (f"::{cast}" if cast else "")


@dataclass(frozen=True)
class Scope:
    """The trajectories one reader may know of: all, one organisation's, or one auditor's (else none)."""

    everything: bool = False
    certificate_number: str | None = None
    auditor: str | None = None

    def condition(self, p: Params, alias: str = "t") -> str:
        """A SQL condition on the trajectories table (as `alias`) that holds for the visible rows."""
        if self.everything:
            return "TRUE"
        if self.certificate_number is not None:
            return f"{alias}.certificate_number = {p(self.certificate_number, 'text')}"
        if self.auditor is not None:
            name = p(self.auditor, "text")
            return f"({alias}.expert_auditor = {name} OR {alias}.peer_auditor = {name})"
        return "FALSE"

    def condition_on(self, p: Params, column: str) -> str:
        """The condition for a table that refers to trajectories by `column` (deadlines, requests)."""
        if self.everything:
            return "TRUE"
        return f"EXISTS (SELECT 1 FROM trajectories s WHERE s.trajectory_id = {column} AND {self.condition(p, 's')})"


EVERYTHING = Scope(everything=True)
NOTHING = Scope()


def scope_of(principal: Principal) -> Scope:
    """The reader's scope, exactly as `may_see` decides for one trajectory."""
    if principal.role in STAFF:
        return EVERYTHING
    if principal.role is Role.AUDITEE:
        return Scope(certificate_number=principal.organisation) if principal.organisation else NOTHING
    if principal.role is Role.AUDITOR:
        return Scope(auditor=principal.display_name) if principal.display_name else NOTHING
    return NOTHING
