"""The rule data of one framework version (KiB 2018, KiB II 2023) as a pure, validated model.

Every term, threshold and limit a decision depends on lives here, so a new framework version is a
new data file and never a code change. The files are read by ``frameworks.loader``; this module
does no I/O. ``assumed`` lists the dotted paths of values CBCT has not published.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.vocabulary import Association, PostponementGround, Result, Score


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Question(_Frozen):
    """A beoordelingsvraag of a norm or module."""

    id: str
    text: str


class Norm(_Frozen):
    """One of the seven norms (or module 1, which is scored like a norm)."""

    id: str
    name: str
    questions: tuple[Question, ...] = Field(min_length=1)


class Indicator(_Frozen):
    """A ja/nee indicator; only the IDO indicator matters to the process (it must be answered)."""

    id: str
    norm: str
    text: str


class Module(_Frozen):
    """An optional module (module 1 Educatieve dienstverlening), in scope only for some auditees."""

    id: str
    name: str
    deepens_norm: str
    trigger_services: tuple[str, ...]
    associations: tuple[Association, ...]
    questions: tuple[Question, ...] = Field(min_length=1)

    def as_norm(self) -> Norm:
        """Module 1 is scored and judged exactly like a norm."""
        return Norm(id=self.id, name=self.name, questions=self.questions)


class VerdictRule(_Frozen):
    """Thresholds of the verdict: pass mark per norm, floor for voorwaardelijk, failures allowed."""

    pass_threshold: float
    conditional_floor: float
    max_failing_for_conditional: int = Field(ge=0)


class Terms(_Frozen):
    """The step terms of a trajectory, in calendar days or months (Amsterdam dates)."""

    announcement_lead_months: int = Field(ge=0)
    intake_days: int = Field(ge=1)
    self_evaluation_lead_days: int = Field(ge=0)
    audit_scores_due_days: int = Field(ge=0)
    draft_report_days: int = Field(ge=1)
    reaction_days: int = Field(ge=1)
    decision_days: int = Field(ge=1)
    survey_reminder_days: int = Field(ge=1)
    survey_close_days: int = Field(ge=1)
    reminder_hour: int = Field(ge=0, le=23)
    self_evaluation_extension_max_days: int = Field(ge=0)  # frameworks/added-settings.toml
    self_evaluation_extension_audit_gap_days: int = Field(ge=0)  # frameworks/added-settings.toml


class AuditRules(_Frozen):
    """How an audit may be planned."""

    max_days: int = Field(ge=1)
    exclude_previous_auditors: bool
    exclude_declared_relations: bool
    reassessment_min_lead_days: int = Field(ge=0)


class HerauditRules(_Frozen):
    """When and how a heraudit may follow a voorwaardelijk or negative verdict."""

    conditional_window_months: int = Field(ge=1)
    not_certified_earliest_months: int = Field(ge=0)
    not_certified_window_months: int = Field(ge=1)
    min_lead_days: int = Field(ge=0)
    planning_days: int = Field(ge=1)


class CertificateRules(_Frozen):
    """Validity of a certificate, its reminders, the interim status and the extension cap."""

    validity_years: int = Field(ge=1)
    anchor_on_previous_expiry: bool
    expiry_reminder_months: tuple[int, ...]
    interim_max_months: int = Field(ge=0)
    extension_max_months: int = Field(ge=0)


class PostponementRules(_Frozen):
    """The uitstel policy. Force majeure grounds are always granted and counted apart from the
    regular ones, so they must be admissible both before and after the audit date is fixed."""

    max_regular: int = Field(ge=0)
    before_date_fixed: tuple[PostponementGround, ...]
    after_date_fixed: tuple[PostponementGround, ...]
    force_majeure: tuple[PostponementGround, ...] = Field(min_length=1)
    merger_within_months: int = Field(ge=0)
    decision_days: int = Field(ge=1)

    @model_validator(mode="after")
    def _force_majeure_admissible(self) -> PostponementRules:
        """A ground that is always granted cannot be refused as inadmissible."""
        for when, admissible in (
            ("before_date_fixed", self.before_date_fixed),
            ("after_date_fixed", self.after_date_fixed),
        ):
            missing = [g.value for g in self.force_majeure if g not in admissible]
            if missing:
                raise ValueError(f"overmacht-grond {', '.join(missing)} ontbreekt in postponement.{when}")
        return self


class CancellationRules(_Frozen):
    """The annulering cost rule."""

    full_cost_within_months: int = Field(ge=0)


class ObjectionRules(_Frozen):
    """The bezwaar procedure."""

    term_days: int = Field(ge=1)
    decision_days: int = Field(ge=1)
    against: tuple[Result, ...]


class Category(_Frozen):
    """An audit category: the first row whose maxima the auditee stays within applies."""

    id: str
    max_employees: int | None = None
    max_locations: int | None = None
    max_services: int | None = None
    dagdelen: int = Field(ge=1)
    auditor_hours: int = Field(ge=1)

    def fits(self, employees: int, locations: int, services: int) -> bool:
        """Whether an organisation of this size stays within the category."""
        return all(
            limit is None or value <= limit
            for value, limit in (
                (employees, self.max_employees),
                (locations, self.max_locations),
                (services, self.max_services),
            )
        )


class Rules(_Frozen):
    """All rule data of one framework version; pure and immutable."""

    version_id: str
    name: str
    valid_from: date
    valid_until: date
    scale: dict[Score, int]
    verdict: VerdictRule
    norms: tuple[Norm, ...] = Field(min_length=1)
    modules: tuple[Module, ...] = ()
    ido_indicator: Indicator
    ido_services: tuple[str, ...]
    terms: Terms
    audit: AuditRules
    heraudit: HerauditRules
    certificate: CertificateRules
    postponement: PostponementRules
    cancellation: CancellationRules
    objection: ObjectionRules
    categories: tuple[Category, ...] = Field(min_length=1)
    assumed: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Rules:
        """A scale for every score, and a last category that takes every size."""
        missing = [s.value for s in Score if s not in self.scale]
        if missing:
            raise ValueError(f"scale mist waarden voor {', '.join(missing)}")
        if not self.categories[-1].fits(10**9, 10**9, 10**9):
            raise ValueError("de laatste auditcategorie moet onbegrensd zijn")
        return self

    @property
    def base_norm_ids(self) -> tuple[str, ...]:
        """The ids of the seven norms, in order."""
        return tuple(n.id for n in self.norms)

    def norm(self, norm_id: str) -> Norm:
        """A norm or module (as a norm) by id."""
        for norm in (*self.norms, *(m.as_norm() for m in self.modules)):
            if norm.id == norm_id:
                return norm
        raise KeyError(norm_id)

    def category_for(self, employees: int, locations: int, services: int) -> Category:
        """The audit category for an organisation of this size."""
        return next(c for c in self.categories if c.fits(employees, locations, services))
