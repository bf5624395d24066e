"""Typed refusals: every error names the rule that refused and the values involved, in Dutch.

The auditee or planner reads ``message`` as is; ``rule`` is a stable code for logs, metrics and the
API; ``values`` repeats the values in the message for machines.
"""

from __future__ import annotations


class DomainError(Exception):
    """A command refused by a CBCT rule. Nothing is recorded when this is raised."""

    default_rule = "domain"

    def __init__(self, message: str, *, rule: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule or self.default_rule
        self.values: dict[str, str] = {key: str(value) for key, value in values.items()}

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class InvalidCommand(DomainError):
    """The command does not fit the trajectory's current state (wrong phase, closed, unknown)."""

    default_rule = "state"


class TrajectoryNotFound(InvalidCommand):
    """A command for a trajectory that was never opened."""

    default_rule = "state.not_opened"


class FrameworkMismatch(DomainError):
    """Rules of another framework version than the trajectory runs under were passed in."""

    default_rule = "framework.version"


class DateInPast(DomainError):
    """A date that must lie ahead lies before today (Amsterdam)."""

    default_rule = "calendar.in_past"


class SchedulingRefused(DomainError):
    """An audit date or auditor pair breaks a planning rule."""

    default_rule = "planning"


class ConflictOfInterest(SchedulingRefused):
    """An auditor audited this auditee last time or declared a relation with it."""

    default_rule = "planning.conflict_of_interest"


class PostponementRefused(DomainError):
    """A postponement request or decision breaks the uitstel policy."""

    default_rule = "postponement"


class ScoresRefused(DomainError):
    """Audit scores incomplete, outside the scope, or recorded too early."""

    default_rule = "scores"


class VerdictContradictsScores(DomainError):
    """The director's verdict differs from the one the scores imply."""

    default_rule = "verdict.contradicts_scores"


class HerauditRefused(DomainError):
    """A heraudit asked for outside its window or after the wrong verdict."""

    default_rule = "heraudit"


class ObjectionRefused(DomainError):
    """A bezwaar filed out of term or against a verdict that allows none."""

    default_rule = "objection"


class ExtensionRefused(DomainError):
    """A validity extension beyond the maximum, or without a certificate to extend."""

    default_rule = "certificate.extension"


class CertificateNumberTaken(DomainError):
    """A certificate number that belongs to another organisation."""

    default_rule = "certificate.number_taken"


class CertificateMismatch(DomainError):
    """A typed gecertificeerd tot that disagrees with the certificate in the register."""

    default_rule = "certificate.expiry_mismatch"
