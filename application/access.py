"""Who may do what: the roles, the signed-in principal, and the rules that scope them.

Pure (no I/O): the HTTP layer resolves the principal (session, API token or one-time link) and asks
these functions; the answer is the same for the API and the web pages. An auditee sees and acts on its
own organisation only (an organisation is its certificate number, stable across trajectories); an
auditor on the trajectories whose audit it is named for (expert or peer auditor, by its display name).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    PLANNER = "planner"
    AUDITOR = "auditor"
    DIRECTOR = "director"
    AUDITEE = "auditee"
    OPS = "ops"
    ADMIN = "admin"


STAFF: frozenset[Role] = frozenset({Role.PLANNER, Role.DIRECTOR, Role.OPS, Role.ADMIN})
"""Roles that see every trajectory (read); what each may change is `COMMAND_ROLES`."""


@dataclass(frozen=True)
class Principal:
    """The signed-in identity of one request. `actor` is what every command it sends records."""

    account_id: str  # the account's stable id (its user name)
    display_name: str  # an auditor's name as trajectories name it (expert_auditor / peer_auditor)
    role: Role
    organisation: str | None = None  # an auditee's certificate number; None for every other role
    via: Literal["session", "token", "link"] = "session"

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.account_id}"


COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "OpenTrajectory": frozenset({Role.PLANNER}),
    "SendAnnouncement": frozenset({Role.PLANNER}),
    "SendIntake": frozenset({Role.PLANNER}),
    "WithdrawParticipation": frozenset({Role.PLANNER, Role.AUDITEE}),
    "RecordIntake": frozenset({Role.PLANNER, Role.AUDITEE}),
    "ChangeContacts": frozenset({Role.PLANNER, Role.AUDITEE}),
    "DeclareConflictOfInterest": frozenset({Role.PLANNER, Role.AUDITOR}),
    "ScheduleAudit": frozenset({Role.PLANNER}),
    "RecordAuditScores": frozenset({Role.AUDITOR}),
    "SubmitSelfEvaluation": frozenset({Role.PLANNER, Role.AUDITEE}),
    "ExtendSelfEvaluation": frozenset({Role.PLANNER}),
    "CancelAudit": frozenset({Role.PLANNER}),
    "RequestPostponement": frozenset({Role.PLANNER, Role.AUDITEE}),
    "DecidePostponement": frozenset({Role.PLANNER}),
    "IssueDraftReport": frozenset({Role.PLANNER, Role.AUDITOR}),
    "ReactToDraft": frozenset({Role.AUDITEE}),
    "DecideCertification": frozenset({Role.DIRECTOR}),
    "RequestHeraudit": frozenset({Role.PLANNER, Role.AUDITEE}),
    "FileObjection": frozenset({Role.AUDITEE}),
    "DecideObjection": frozenset({Role.DIRECTOR}),
    "RecordSurveyAnswer": frozenset({Role.AUDITEE}),
    "ExtendValidity": frozenset({Role.DIRECTOR}),
}
"""Which roles may send each command (by its type name). A command missing here is sent by no one over
HTTP (FireDeadline: only the workflow's own timers). Scope comes on top: `may_see`."""


def may_send(principal: Principal, command_type: str) -> bool:
    return principal.role in COMMAND_ROLES.get(command_type, frozenset())


def may_see(
    principal: Principal,
    *,
    certificate_number: str,
    expert_auditor: str | None,
    peer_auditor: str | None,
) -> bool:
    """Whether `principal` may know that this trajectory exists (else: 404, as if it did not)."""
    if principal.role in STAFF:
        return True
    if principal.role is Role.AUDITEE:
        return principal.organisation is not None and principal.organisation == certificate_number
    if principal.role is Role.AUDITOR:
        return principal.display_name in (expert_auditor, peer_auditor)
    return False
