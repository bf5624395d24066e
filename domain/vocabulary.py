"""CBCT's words as enums: the values are the Dutch labels the register, e-mails and reports show.

Identifiers stay English; the *values* are exactly what CBCT publishes (the register CSV spells
``Gecertificeerd``, ``Voorwaardelijk gecertificeerd`` …), so a read model can print ``.value`` as is.
"""

from __future__ import annotations

from enum import StrEnum


class Association(StrEnum):
    """Which branch association the organisation belongs to; spelled as in the register."""

    VOB = "VOB"
    CULTUURCONNECTIE = "Cultuurconnectie"
    BOTH = "Cultuurconnectie + VOB"

    @property
    def is_library(self) -> bool:
        """Public libraries are VOB members; only they can have module 1 and the IDO indicator."""
        return self in (Association.VOB, Association.BOTH)


class OrganisationType(StrEnum):
    """What kind of organisation is certified; reports group or leave out kinds by it (CBCT's
    Cultuurconnectie charts exclude volksuniversiteiten)."""

    PUBLIC_LIBRARY = "openbare bibliotheek"
    MULTIFUNCTIONAL = "multifunctionele organisatie"
    ARTS_CENTRE = "centrum voor de kunsten"
    VOLKSUNIVERSITEIT = "volksuniversiteit"
    OTHER = "overig"


class Result(StrEnum):
    """The verdict (besluit) as the register prints it."""

    CERTIFIED = "Gecertificeerd"
    CONDITIONAL = "Voorwaardelijk gecertificeerd"
    NOT_CERTIFIED = "Niet gecertificeerd"


class Remark(StrEnum):
    """The register's remark column."""

    CERTIFIED_AFTER_HERAUDIT = "Gecertificeerd na heraudit"
    HERAUDIT_IN_PREPARATION = "Heraudit in voorbereiding"
    NO_HERAUDIT_REQUESTED = "Geen heraudit aangevraagd"
    NO_PARTICIPATION = "Geen deelname"


class CertificateStatus(StrEnum):
    """What the register says about the certificate itself, next to the trajectory's result."""

    VALID = "gecertificeerd tot"
    RECERTIFICATION_RUNNING = "hercertificering loopt"
    EXPIRED = "verlopen"
    NONE = "geen certificaat"


class Score(StrEnum):
    """Answer to a beoordelingsvraag; the numeric value lives in the framework's score scale."""

    NOT = "Niet"
    LIMITED = "Beperkt"
    LARGELY = "Grotendeels"
    FULLY = "Volledig"


class Satisfaction(StrEnum):
    """Answer to the satisfaction survey (evaluatie)."""

    VERY_SATISFIED = "zeer tevreden"
    SATISFIED = "tevreden"
    MODERATE = "matig"
    DISSATISFIED = "ontevreden"
    VERY_DISSATISFIED = "zeer ontevreden"


class PostponementGround(StrEnum):
    """Why an auditee asks for uitstel; which grounds count when is framework data."""

    MERGER = "fusie"
    RELOCATION = "verhuizing of nieuwbouw"
    MANAGEMENT_ABSENCE = "langdurige afwezigheid management"
    CALAMITY = "calamiteit"
    PANDEMIC = "pandemie"
    FORCE_MAJEURE = "overmacht"
    OTHER = "overig"


class CostClass(StrEnum):
    """What a cancellation (annulering) costs the auditee."""

    NO_COST = "geen kosten"
    FULL_AUDIT_COST = "volledige auditkosten"


class RoundKind(StrEnum):
    """An audit round: the regular audit, a heraudit, or a reassessment after an upheld objection."""

    AUDIT = "audit"
    HERAUDIT = "heraudit"
    REASSESSMENT = "herbeoordeling"


class Phase(StrEnum):
    """Where a trajectory stands; values are the Dutch labels used in error messages."""

    OPENED = "geopend"
    ANNOUNCED = "aangekondigd"
    PLANNING = "planning"
    SCHEDULED = "audit gepland"
    AUDITED = "audit uitgevoerd"
    DRAFT_ISSUED = "conceptrapport verstuurd"
    AWAITING_DECISION = "wacht op besluit"
    DECIDED = "besluit genomen"
    CLOSED = "afgesloten"


class SurveyStatus(StrEnum):
    """Where the satisfaction survey stands."""

    NOT_SENT = "niet verstuurd"
    SENT = "verstuurd"
    ANSWERED = "beantwoord"
    CLOSED = "gesloten"


class ObjectionStatus(StrEnum):
    """Where a bezwaar against the standing verdict stands."""

    NONE = "geen"
    PENDING = "in behandeling"
    UPHELD = "gegrond"
    REJECTED = "ongegrond"


class DeadlineKind(StrEnum):
    """Every kind of pending deadline a trajectory can have."""

    ANNOUNCEMENT = "announcement"
    INTAKE = "intake"
    PLANNING = "planning"
    SELF_EVALUATION = "self_evaluation"
    AUDIT_SCORES = "audit_scores"
    DRAFT_REPORT = "draft_report"
    REACTION_WINDOW = "reaction_window"
    DECISION = "decision"
    POSTPONEMENT_DECISION = "postponement_decision"
    SURVEY_REMINDER = "survey_reminder"
    SURVEY = "survey"
    HERAUDIT_WINDOW = "heraudit_window"
    OBJECTION_TERM = "objection_term"
    OBJECTION_DECISION = "objection_decision"
    CERTIFICATE_EXPIRY_REMINDER = "certificate_expiry_reminder"
    CERTIFICATE_EXPIRY = "certificate_expiry"
    INTERIM_LIMIT = "interim_limit"

    @property
    def label(self) -> str:
        """Dutch label for planners' lists and e-mails."""
        return _DEADLINE_LABELS[self]


_DEADLINE_LABELS = {
    DeadlineKind.ANNOUNCEMENT: "aankondiging",
    DeadlineKind.INTAKE: "intake",
    DeadlineKind.PLANNING: "planning audit",
    DeadlineKind.SELF_EVALUATION: "zelfevaluatie",
    DeadlineKind.AUDIT_SCORES: "scores audit",
    DeadlineKind.DRAFT_REPORT: "conceptrapport",
    DeadlineKind.REACTION_WINDOW: "hoor en wederhoor",
    DeadlineKind.DECISION: "besluit",
    DeadlineKind.POSTPONEMENT_DECISION: "besluit uitstelverzoek",
    DeadlineKind.SURVEY_REMINDER: "herinnering evaluatie",
    DeadlineKind.SURVEY: "evaluatie",
    DeadlineKind.HERAUDIT_WINDOW: "termijn heraudit",
    DeadlineKind.OBJECTION_TERM: "bezwaartermijn",
    DeadlineKind.OBJECTION_DECISION: "besluit bezwaar",
    DeadlineKind.CERTIFICATE_EXPIRY_REMINDER: "herinnering verloop certificaat",
    DeadlineKind.CERTIFICATE_EXPIRY: "verloop certificaat",
    DeadlineKind.INTERIM_LIMIT: "einde hercertificering loopt",
}


class DeadlineNature(StrEnum):
    """A reminder to the auditee, or a hard deadline that changes or flags the trajectory."""

    AUDITEE_REMINDER = "auditee_reminder"
    HARD = "hard"


class Party(StrEnum):
    """Who has to act before a deadline."""

    AUDITEE = "auditee"
    PLANNER = "planner"
    AUDITOR = "auditor"
    DIRECTOR = "director"
    BOARD = "board"
    CBCT = "cbct"
