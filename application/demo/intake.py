"""The intake in the demo: the organisation's contacts, locations, staff and services (which decide the
modules, the IDO indicator and the audit's length), and a conflict of interest declared after it.
"""

from __future__ import annotations

from datetime import date

from application.demo.cast import CONTACT_NAMES, CULTURE_SERVICES, EXPERT_AUDITORS, LIBRARY_SERVICES, slug
from application.demo.draft import TrajectoryDraft
from domain import Association, Contact, DeclareConflictOfInterest, RecordIntake
from domain.calendar import add_days
from domain.intake import has_ido, modules_in_scope

LARGE_EMPLOYEES = 210
"""Staff of an organisation the planner makes large (category IV: above category III's 200)."""


def record_intake(draft: TrajectoryDraft, day: date) -> tuple[tuple[str, ...], bool, bool]:
    """The intake on ``day``; returns the norms in scope, whether the audit takes two days, and the IDO."""
    rng, association, rules = draft.rng, draft.row.association, draft.rules
    services: list[str] = []
    if association.is_library:
        services += rng.sample(LIBRARY_SERVICES, rng.randint(3, 6))
        if rng.random() < 0.75:
            services.append("Bibliotheek op school")
        if rng.random() < 0.6:
            services.append("BoekStart")
        if rng.random() < 0.35:
            services.append("Informatiepunt Digitale Overheid")
        employees = max(4, int(rng.lognormvariate(3.7, 0.8)))
        locations = max(1, min(30, int(employees / rng.uniform(6, 14))))
    else:
        employees = max(2, int(rng.lognormvariate(3.0, 0.8)))
        locations = max(1, min(8, int(employees / rng.uniform(10, 25))))
    if draft.large:  # more staff than category III allows: category IV (no extra draw)
        employees = LARGE_EMPLOYEES + employees % 150
    if association is not Association.VOB:
        services += rng.sample(CULTURE_SERVICES, rng.randint(2, 6))
    contacts = tuple(
        Contact(
            name=name,
            email=f"{slug(name)}@{slug(draft.row.organisation)}.example",
            role=role,
        )
        for name, role in zip(rng.sample(CONTACT_NAMES, 2), ("directeur", "kwaliteitscoördinator"), strict=True)
    )[: rng.randint(1, 2)]
    draft.add(
        day,
        (10, 16),
        "intake",
        RecordIntake,
        draft.auditee,
        contacts=contacts,
        locations=tuple(f"Vestiging {i}" for i in range(1, locations + 1)),
        employees=employees,
        services=tuple(services),
    )
    modules = modules_in_scope(association, services, rules)
    category = rules.category_for(employees, locations, len(services))
    draft.category = category.id
    return (*rules.base_norm_ids, *modules), category.dagdelen >= 4, has_ido(association, services, rules)


def declare_conflict(draft: TrajectoryDraft, after: date) -> date:
    """The planner declares an expert auditor's conflict of interest; that auditor is then excluded."""
    auditor = draft.rng.choice([a for a in EXPERT_AUDITORS if a not in draft.excluded])
    draft.excluded.add(auditor)
    day = draft.day(add_days(after, 1), add_days(after, 6))
    relation = "was tot vorig jaar bestuurslid van de organisatie"
    draft.add(
        day,
        (9, 16),
        "conflict-of-interest",
        DeclareConflictOfInterest,
        draft.planner,
        auditor=auditor,
        relation=relation,
    )
    return day
