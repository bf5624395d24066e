"""Uitstel in the demo: the spring-2020 lockdown (force majeure, granted, certificate extended) and a few
regular requests per hundred trajectories that are granted, rejected by the planner, or refused by the
postponement policy (those steps are marked with the rule that must refuse them).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from application.demo.audits import Audit, audit_dates, schedule
from application.demo.draft import TrajectoryDraft
from application.demo.seeded import unit
from domain import Association, DecidePostponement, ExtendValidity, PostponementGround, Quarter, RequestPostponement
from domain.calendar import add_days, add_months

LOCKDOWN_FIRST_REQUEST = date(2020, 3, 16)
LOCKDOWN_LAST_REQUEST = date(2020, 5, 29)
LOCKDOWN_AUDITS = (date(2020, 3, 18), date(2020, 6, 30))
"""Audits planned in this range were moved by a force-majeure postponement, as CBCT did in 2020."""
LOCKDOWN_EXTENSION_MONTHS = 6


class PostponementVariant(StrEnum):
    """Which regular uitstel story a trajectory gets (besides the spring-2020 lockdown)."""

    NONE = "none"
    GRANTED = "granted"  # merger / relocation / management absence, before the date is fixed
    CALAMITY_GRANTED = "calamity_granted"  # after the date is fixed, granted with new dates
    REJECTED_BY_PLANNER = "rejected_by_planner"  # admissible ground, the planner says no (explained)
    REFUSED_GROUND = "refused_ground"  # 'overig' is no ground: refused by the policy
    REFUSED_AFTER_FIXED = "refused_after_fixed"  # a relocation once the date is fixed: refused
    REFUSED_MERGER_WINDOW = "refused_merger_window"  # a merger too far ahead: refused


VARIANT_SHARES: tuple[tuple[PostponementVariant, float], ...] = (
    (PostponementVariant.GRANTED, 0.03),
    (PostponementVariant.CALAMITY_GRANTED, 0.02),
    (PostponementVariant.REJECTED_BY_PLANNER, 0.02),
    (PostponementVariant.REFUSED_GROUND, 0.02),
    (PostponementVariant.REFUSED_AFTER_FIXED, 0.02),
    (PostponementVariant.REFUSED_MERGER_WINDOW, 0.01),
)


ASSOCIATION_FACTOR = {Association.VOB: 1.0, Association.BOTH: 1.0, Association.CULTUURCONNECTIE: 2.5}
"""CBCT: regular postponements were asked mostly in the Cultuurconnectie group."""


def postponement_variant(
    seed: int, trajectory_id: str, association: Association = Association.VOB
) -> PostponementVariant:
    """The regular uitstel story of this trajectory (most have none; Cultuurconnectie members more often)."""
    u, edge = unit(seed, trajectory_id, "postponement"), 0.0
    for variant, share in VARIANT_SHARES:
        edge += share * ASSOCIATION_FACTOR[association]
        if u < edge:
            return variant
    return PostponementVariant.NONE


def request(
    draft: TrajectoryDraft,
    day: date,
    label: str,
    ground: PostponementGround,
    reason: str,
    *,
    expect_rule: str | None = None,
    **fields: Any,
) -> None:
    """The auditee asks for uitstel; a request the policy must refuse does not count as a request."""
    draft.add(
        day,
        (9, 16),
        label,
        RequestPostponement,
        draft.auditee,
        expect_rule=expect_rule,
        ground=ground,
        reason=reason,
        **fields,
    )
    if expect_rule is None:
        draft.requests += 1


def before_date_fixed(
    draft: TrajectoryDraft, variant: PostponementVariant, after: date, quarter: Quarter
) -> tuple[date, Quarter]:
    """Regular uitstel while planning: granted, rejected by the planner, or refused by the policy."""
    rng = draft.rng
    if variant in (
        PostponementVariant.NONE,
        PostponementVariant.CALAMITY_GRANTED,
        PostponementVariant.REFUSED_AFTER_FIXED,
    ):
        return after, quarter
    asked = draft.day(add_days(after, 2), add_days(after, 12))
    if variant is PostponementVariant.REFUSED_GROUND:
        reason = rng.choice(("drukke periode door de zomerprogrammering", "personeelstekort in het najaar"))
        request(
            draft,
            asked,
            "postponement-1",
            PostponementGround.OTHER,
            reason,
            expect_rule="postponement.ground_not_admissible",
        )
        return asked, quarter
    if variant is PostponementVariant.REFUSED_MERGER_WINDOW:
        too_late = add_months(asked, rng.randint(11, 16))
        request(
            draft,
            asked,
            "postponement-1",
            PostponementGround.MERGER,
            "voorgenomen fusie met de bibliotheek in de buurgemeente",
            expect_rule="postponement.merger_window",
            ground_effective_on=too_late,
        )
        return asked, quarter
    decided = draft.day(add_days(asked, 1), add_days(asked, 10))
    if variant is PostponementVariant.REJECTED_BY_PLANNER:
        request(draft, asked, "postponement-1", PostponementGround.MANAGEMENT_ABSENCE, "directeur langdurig ziek")
        draft.add(
            decided,
            (9, 12),
            "postponement-1-decision",
            DecidePostponement,
            draft.planner,
            grant=False,
            request_number=draft.requests,
            reason="afgewezen: de waarnemend directeur en de kwaliteitscoördinator kunnen de audit dragen",
        )
        return decided, quarter
    options: tuple[tuple[PostponementGround, str, date | None], ...] = (
        (
            PostponementGround.MERGER,
            "fusie met een buurorganisatie gaat binnenkort in",
            add_months(asked, rng.randint(2, 8)),
        ),
        (
            PostponementGround.RELOCATION,
            "verhuizing van de centrale vestiging naar het nieuwe cultuurhuis",
            None,
        ),
        (PostponementGround.MANAGEMENT_ABSENCE, "directeur-bestuurder langdurig afwezig", None),
    )
    ground, reason, effective = rng.choice(options)
    fields: dict[str, Any] = {"ground_effective_on": effective} if effective else {}
    request(draft, asked, "postponement-1", ground, reason, **fields)
    draft.add(
        decided,
        (9, 12),
        "postponement-1-decision",
        DecidePostponement,
        draft.planner,
        grant=True,
        request_number=draft.requests,
        new_quarter=quarter.next(),
        reason=f"toegekend: {ground.value} is een geldige grond; audit een kwartaal later",
    )
    return decided, quarter.next()


def lockdown(draft: TrajectoryDraft, asked: date, audit: Audit, two_days: bool) -> Audit:
    """Spring 2020: force majeure, granted; the certificate extended; the audit planned again after summer."""
    rng = draft.rng
    request(
        draft,
        asked,
        "postponement-lockdown",
        PostponementGround.FORCE_MAJEURE,
        "coronamaatregelen: lockdown, audit op locatie niet mogelijk",
    )
    granted = draft.day(add_days(asked, 1), add_days(asked, 7))
    early = audit.first <= date(2020, 4, 30)
    quarter = Quarter(year=2020, number=3 if rng.random() < (0.7 if early else 0.4) else 4)
    draft.add(
        granted,
        (9, 11),
        "postponement-lockdown-decision",
        DecidePostponement,
        draft.planner,
        grant=True,
        request_number=draft.requests,
        new_quarter=quarter,
        reason="toegekend: overmacht (COVID-19); audits op locatie zijn opgeschort",
    )
    extended = draft.day(granted, add_days(granted, 5))
    draft.add(
        extended,
        (13, 16),
        "extend-validity",
        ExtendValidity,
        draft.planner,
        months=LOCKDOWN_EXTENSION_MONTHS,
        reason="buitengewone omstandigheid: coronamaatregelen voorjaar 2020",
    )
    replanned = draft.day(max(add_days(granted, 7), date(2020, 6, 2)), date(2020, 7, 17))
    lo = max(quarter.start, date(2020, 8, 24), add_days(replanned, 21))
    new = Audit(audit_dates(draft, lo, quarter.end, two_days, None), audit.expert, audit.peer)
    schedule(draft, replanned, new, "schedule-2")
    return new


def after_date_fixed(
    draft: TrajectoryDraft, variant: PostponementVariant, submitted: date, audit: Audit, two_days: bool
) -> Audit:
    """A calamity moves the fixed date (granted); a relocation once the date is fixed is refused."""
    if variant is PostponementVariant.REFUSED_AFTER_FIXED:
        asked = draft.day(max(add_days(submitted, 1), add_days(audit.first, -40)), add_days(audit.first, -5))
        request(
            draft,
            asked,
            "postponement-1",
            PostponementGround.RELOCATION,
            "verbouwing van de hoofdvestiging in de auditweek",
            expect_rule="postponement.ground_after_date_fixed",
        )
        return audit
    if variant is not PostponementVariant.CALAMITY_GRANTED:
        return audit
    asked = draft.day(max(add_days(submitted, 1), add_days(audit.first, -30)), add_days(audit.first, -3))
    reason = draft.rng.choice(("wateroverlast in de centrale vestiging", "brand in het hoofdgebouw"))
    request(draft, asked, "postponement-1", PostponementGround.CALAMITY, reason)
    granted = draft.day(add_days(asked, 1), min(add_days(asked, 5), add_days(audit.first, -1)))
    new = Audit(
        audit_dates(draft, add_days(audit.first, 21), add_days(audit.first, 56), two_days, None),
        audit.expert,
        audit.peer,
    )
    draft.add(
        granted,
        (9, 12),
        "postponement-1-decision",
        DecidePostponement,
        draft.planner,
        grant=True,
        request_number=draft.requests,
        new_audit_dates=new.dates,
        reason=f"toegekend: calamiteit ({reason}); nieuwe auditdatum {new.first.isoformat()}",
    )
    return new
