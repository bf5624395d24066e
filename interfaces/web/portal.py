"""The auditee portal: an organisation's own certificering, in plain Dutch, first of all on a phone.

`GET /portaal` shows the organisation's current trajectory (the running one, else the latest), and
`GET /portaal/{id}` any of its trajectories: where it stands in a sentence, its dates, what to prepare
now (with the term), the deadlines ahead (the deadlines read model, scoped), and the portal's pages
(intake, self-evaluation, uitstel, reaction, survey, scores). Only for an auditee (`Principal.organisation`
is its certificate number); a trajectory of another organisation reads exactly as an unknown one (404).
The pages themselves: `portal_steps` (the commands), `portal_documents` (self-evaluation and uploads),
`portal_scores`, `portal_calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from application.access import Principal, Role
from application.trajectories import rules_for_version
from domain.dutch import datum, datums, kader
from domain.self_evaluation import needs_self_evaluation, self_evaluation_due
from domain.state import TrajectoryState
from domain.vocabulary import Phase, SurveyStatus
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.identity import role_in
from interfaces.web.render import environment, render
from interfaces.web.trajectory import visible_state
from projections.deadlines import ListedDeadline, page_deadlines
from projections.overview import TrajectoryFilter, TrajectoryOverview, page_trajectories
from projections.scope import scope_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Auditee = Annotated[Principal, role_in(Role.AUDITEE)]
TrajectoryPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]*$")]

HOME = "/portaal"


def _dmj(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return datum(value.date() if isinstance(value, datetime) else value)


environment.filters["dmj"] = _dmj  # dates as dd-mm-jjjj (`domain.dutch.datum`)


def portal_url(trajectory_id: str, page: str = "") -> str:
    return f"{HOME}/{trajectory_id}" + (f"/{page}" if page else "")


PHASE_TEXT: dict[Phase, str] = {
    Phase.OPENED: "Uw traject is geopend. CBCT kondigt de audit binnenkort aan; daarna vult u de intake in.",
    Phase.ANNOUNCED: "CBCT heeft de audit aangekondigd. Vul nu de intake in: daarmee bepaalt CBCT de omvang "
    "van de audit.",
    Phase.PLANNING: "De intake is binnen. CBCT plant nu de auditdatum en kiest de auditoren.",
    Phase.SCHEDULED: "De audit is gepland. Lever de zelfevaluatie op tijd in en bereid de auditdag voor.",
    Phase.AUDITED: "De audit is geweest. De auditoren schrijven nu het conceptrapport.",
    Phase.DRAFT_ISSUED: "Het conceptrapport is verstuurd. U kunt erop reageren (hoor en wederhoor).",
    Phase.AWAITING_DECISION: "De directeur van CBCT neemt nu het besluit over uw certificering.",
    Phase.DECIDED: "Het besluit over uw certificering is genomen.",
    Phase.CLOSED: "Dit traject is afgesloten.",
}
"""Where the trajectory stands, in a sentence the organisation understands."""

PARTIES = {
    "auditee": "u",
    "planner": "CBCT (planning)",
    "auditor": "de auditoren",
    "director": "de directeur van CBCT",
    "board": "het bestuur van CBCT",
    "cbct": "CBCT",
}


@dataclass(frozen=True)
class Todo:
    """Something the organisation should do or prepare now, with its term and where to do it."""

    text: str
    due_on: date | None = None
    href: str | None = None
    link_text: str | None = None


@dataclass(frozen=True)
class Section:
    """A page of the portal, with a line on where it stands for this trajectory."""

    title: str
    href: str
    status: str


def todos(state: TrajectoryState) -> list[Todo]:
    """What the organisation should do or prepare now, most urgent kind first."""
    rules = rules_for_version(state.framework_version)
    found: list[Todo] = []
    tid = state.trajectory_id
    if state.phase is Phase.ANNOUNCED:
        found.append(Todo("Vul de intake in: contactpersonen, vestigingen, medewerkers en diensten.",
                          state.intake_due_on, portal_url(tid, "intake"), "Naar de intake"))  # fmt: skip
    if needs_self_evaluation(state) and state.phase in (Phase.ANNOUNCED, Phase.PLANNING, Phase.SCHEDULED):
        text = "Vul de zelfevaluatie in (per norm ja of nee) en voeg de documenten toe die het laten zien."
        due = self_evaluation_due(state, rules)
        found.append(Todo(text, due, portal_url(tid, "zelfevaluatie"), "Naar de zelfevaluatie"))
    if state.phase is Phase.SCHEDULED and state.round.audit_dates:
        found.append(Todo(f"Bereid de audit voor op {datums(state.round.audit_dates)}: zorg dat de contactpersonen "
                          "en de medewerkers die de auditoren willen spreken er zijn, en dat de documenten "
                          "van de zelfevaluatie klaarliggen.", state.round.audit_dates[0]))  # fmt: skip
    pending = state.postponements.pending
    if pending is not None:
        found.append(Todo(f"Uw uitstelverzoek {pending.number} ({pending.ground.value}) wacht op een besluit van "
                          "CBCT.", None, portal_url(tid, "uitstel"), "Naar uitstel"))  # fmt: skip
    if state.phase is Phase.DRAFT_ISSUED and state.round.reaction_received_on is None:
        found.append(Todo("Lees het conceptrapport en geef uw reactie (hoor en wederhoor).",
                          state.round.reaction_ends_on, portal_url(tid, "reactie"), "Naar de reactie"))  # fmt: skip
    if state.survey.status is SurveyStatus.SENT:
        found.append(Todo("Vul de korte tevredenheidsenquête in.", state.survey.closes_on,
                          portal_url(tid, "enquete"), "Naar de enquête"))  # fmt: skip
    return found


def sections(state: TrajectoryState) -> list[Section]:
    """The portal's pages for this trajectory, each with where it stands."""
    tid = state.trajectory_id
    intake = (
        f"Ontvangen (categorie {state.intake.category}, {state.intake.dagdelen} dagdelen)."
        if state.intake
        else ("Nu in te vullen." if state.phase is Phase.ANNOUNCED else "Kan na de aankondiging.")
    )
    if state.self_evaluation_submitted_on:
        self_evaluation = f"Ingeleverd op {datum(state.self_evaluation_submitted_on)}."
    elif needs_self_evaluation(state):
        self_evaluation = "Nog in te leveren."
    else:
        self_evaluation = "Niet nodig in deze ronde."
    pending = state.postponements.pending
    postponement = (
        f"Verzoek {pending.number} wacht op een besluit."
        if pending
        else f"{state.postponements.regular_granted} keer regulier uitstel gekregen."
    )
    reaction = (
        f"Gegeven op {datum(state.round.reaction_received_on)}."
        if state.round.reaction_received_on
        else ("Nu mogelijk." if state.phase is Phase.DRAFT_ISSUED else "Kan zodra het conceptrapport er is.")
    )
    survey = {
        SurveyStatus.NOT_SENT: "Volgt na het besluit.",
        SurveyStatus.SENT: "Nu in te vullen.",
        SurveyStatus.ANSWERED: f"Beantwoord: {state.survey.answer.value if state.survey.answer else ''}.",
        SurveyStatus.CLOSED: "Gesloten.",
    }[state.survey.status]
    scores = "Beschikbaar." if scores_visible(state) else "Zodra het conceptrapport er is."
    return [
        Section("Intake", portal_url(tid, "intake"), intake),
        Section("Zelfevaluatie en documenten", portal_url(tid, "zelfevaluatie"), self_evaluation),
        Section("Uitstel aanvragen", portal_url(tid, "uitstel"), postponement),
        Section("Reactie op het conceptrapport", portal_url(tid, "reactie"), reaction),
        Section("Tevredenheidsenquête", portal_url(tid, "enquete"), survey),
        Section("Uw scores per norm", portal_url(tid, "scores"), scores),
        Section(
            "Contactpersonen",
            portal_url(tid, "contactpersonen"),
            "Wijzigen kan altijd." if state.is_open else "Het traject is afgesloten.",
        ),
    ]


def scores_visible(state: TrajectoryState) -> bool:
    """The organisation sees its scores once the draft report reached it (or a decision was taken)."""
    return bool(state.round.norm_scores) and (state.round.draft_issued_on is not None or state.decision is not None)


def certified_until_text(state: TrajectoryState) -> str | None:
    if state.certificate is not None:
        return f"Gecertificeerd tot {datum(state.certificate.valid_until)}"
    previous = state.previous_certificate
    if previous is not None and not previous.expired:
        return f"Huidig certificaat geldig tot {datum(previous.valid_until)}"
    return None


async def own_trajectories(app: Any, viewer: Principal) -> list[TrajectoryOverview]:
    """The organisation's trajectories (scoped in SQL), the running one first, then the latest."""
    listed = await page_trajectories(app.pool, TrajectoryFilter(), scope=scope_of(viewer), limit=200)
    return sorted(listed.items, key=lambda t: (t.is_open, t.opened_on, t.trajectory_id), reverse=True)


async def ahead(app: Any, viewer: Principal, trajectory_id: str) -> list[ListedDeadline]:
    """The trajectory's listed deadlines, earliest first (scoped like the API's `/api/deadlines`)."""
    page = await page_deadlines(
        app.pool, await app.clock.now(), trajectory_id=trajectory_id, scope=scope_of(viewer), limit=100
    )
    return page.items


def when_text(deadline: ListedDeadline, today: date) -> str:
    if deadline.status == "overdue":
        return "verstreken"
    days = (deadline.due_on - today).days
    if days <= 0:
        return "vandaag"
    return "morgen" if days == 1 else f"over {days} dagen"


async def _start(request: Request, app: Any, viewer: Principal, state: TrajectoryState | None,
                 others: list[TrajectoryOverview], done: str | None = None) -> Response:  # fmt: skip
    if state is None:
        return await render(request, "portal_start.html", viewer=viewer, state=None, others=others, done=done)
    now = await app.clock.now()
    today = (await app.clock.now()).date()
    deadlines = await ahead(app, viewer, state.trajectory_id)
    return await render(
        request,
        "portal_start.html",
        viewer=viewer,
        state=state,
        phase_text=PHASE_TEXT[state.phase],
        framework=kader(state.framework_version),
        certified=certified_until_text(state),
        todos=todos(state),
        sections=sections(state),
        deadlines=[(d, PARTIES.get(d.party, d.party), when_text(d, today)) for d in deadlines],
        others=[t for t in others if t.trajectory_id != state.trajectory_id],
        done=done,
        now=now,
    )


DONE = {
    "intake": "Uw intake is ontvangen.",
    "zelfevaluatie": "Uw zelfevaluatie is ingeleverd.",
    "uitstel": "Uw uitstelverzoek is ontvangen. CBCT beslist erover en laat het u weten.",
    "reactie": "Uw reactie op het conceptrapport is ontvangen.",
    "enquete": "Dank u wel voor het invullen van de enquête.",
    "contactpersonen": "Uw contactpersonen zijn gewijzigd. CBCT mailt voortaan naar de eerste.",
}


@router.get(HOME)
async def portal_home(request: Request, viewer: Auditee, app: Runtime, verwerkt: str | None = None) -> Response:
    """The current trajectory's start page (none yet: a page saying so)."""
    own = await own_trajectories(app, viewer)
    state = await visible_state(app, viewer, own[0].trajectory_id) if own else None
    return await _start(request, app, viewer, state, own, DONE.get(verwerkt or ""))


@router.get(f"{HOME}/{{trajectory_id}}")
async def portal_trajectory(
    request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime, verwerkt: str | None = None
) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    return await _start(request, app, viewer, state, await own_trajectories(app, viewer), DONE.get(verwerkt or ""))
