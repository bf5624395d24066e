"""The pure domain of CBCT certification trajectories: commands in, events out, state folded.

No I/O and no clock reads: time and rules are arguments. See ``decide``, ``evolve``, ``deadlines``.

The commands and events listed below by name are the ones older code imports from here; a new command or
event is declared by its concept (``domain.concept``) and reached through ``COMMAND_TYPES``, ``EVENT_TYPES``
or its concept's module. Every declared command and event is also an attribute of this package (added from
the registry at the end), so nothing needs listing here twice.
"""

from domain.calendar import Quarter
from domain.certificate import certificate_status, certified_until, recertification_running
from domain.certificate_holder import CertificateFacts, RunningCertificate, certificate_facts
from domain.commands import (
    CancelAudit,
    ChangeContacts,
    Command,
    Contact,
    DecideCertification,
    DecideObjection,
    DecidePostponement,
    DeclareConflictOfInterest,
    ExtendValidity,
    FileObjection,
    FireDeadline,
    IssueDraftReport,
    OpenTrajectory,
    ReactToDraft,
    RecordAuditScores,
    RecordIntake,
    RecordSurveyAnswer,
    RequestHeraudit,
    RequestPostponement,
    ScheduleAudit,
    SendAnnouncement,
    SendIntake,
    SubmitSelfEvaluation,
    WithdrawParticipation,
)
from domain.deadlines import Deadline, deadlines, due_deadlines, on_deadline
from domain.decide import decide
from domain.errors import (
    CertificateMismatch,
    CertificateNumberTaken,
    ConflictOfInterest,
    DateInPast,
    DomainError,
    ExtensionRefused,
    FrameworkMismatch,
    HerauditRefused,
    InvalidCommand,
    ObjectionRefused,
    PostponementRefused,
    SchedulingRefused,
    ScoresRefused,
    TrajectoryNotFound,
    VerdictContradictsScores,
)
from domain.events import Event, event_to_dict, event_type
from domain.evolve import evolve, replay
from domain.register import RegisterEntry, register_entry
from domain.registry import COMMAND_TYPES, EVENT_TYPES, event_from_dict
from domain.rules import Rules
from domain.state import TrajectoryState
from domain.vocabulary import (
    Association,
    CertificateStatus,
    CostClass,
    DeadlineKind,
    DeadlineNature,
    OrganisationType,
    Party,
    Phase,
    PostponementGround,
    Remark,
    Result,
    RoundKind,
    Satisfaction,
    Score,
)

__all__ = [
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "Association",
    "CancelAudit",
    "CertificateFacts",
    "CertificateMismatch",
    "CertificateNumberTaken",
    "CertificateStatus",
    "ChangeContacts",
    "Command",
    "ConflictOfInterest",
    "Contact",
    "CostClass",
    "DateInPast",
    "Deadline",
    "DeadlineKind",
    "DeadlineNature",
    "DecideCertification",
    "DecideObjection",
    "DecidePostponement",
    "DeclareConflictOfInterest",
    "DomainError",
    "Event",
    "ExtendValidity",
    "ExtensionRefused",
    "FileObjection",
    "FireDeadline",
    "FrameworkMismatch",
    "HerauditRefused",
    "InvalidCommand",
    "IssueDraftReport",
    "ObjectionRefused",
    "OpenTrajectory",
    "OrganisationType",
    "Party",
    "Phase",
    "PostponementGround",
    "PostponementRefused",
    "Quarter",
    "ReactToDraft",
    "RecordAuditScores",
    "RecordIntake",
    "RecordSurveyAnswer",
    "RegisterEntry",
    "Remark",
    "RequestHeraudit",
    "RequestPostponement",
    "Result",
    "RoundKind",
    "Rules",
    "RunningCertificate",
    "Satisfaction",
    "ScheduleAudit",
    "SchedulingRefused",
    "Score",
    "ScoresRefused",
    "SendAnnouncement",
    "SendIntake",
    "SubmitSelfEvaluation",
    "TrajectoryNotFound",
    "TrajectoryState",
    "VerdictContradictsScores",
    "WithdrawParticipation",
    "certificate_facts",
    "certificate_status",
    "certified_until",
    "deadlines",
    "decide",
    "due_deadlines",
    "event_from_dict",
    "event_to_dict",
    "event_type",
    "evolve",
    "on_deadline",
    "recertification_running",
    "register_entry",
    "replay",
]

# Every command and event the concepts declare, by its stored name, without a list kept by hand.
globals().update({name: cls for name, cls in (*COMMAND_TYPES.items(), *EVENT_TYPES.items()) if name not in globals()})
__all__ += sorted(name for name in (*COMMAND_TYPES, *EVENT_TYPES) if name not in __all__)
