"""The portal's steps: the intake, a postponement request, the reaction to the draft report, the survey.

Each is the form generated from its domain command (`forms.FORMS`), sent through the trajectory's
workflow like every step (`sending.send`), with the organisation's account as the actor. Accepted: back
to the portal's start page with a confirmation (303). Invalid or refused by a CBCT rule: the page again
with the input kept and the explanation beside the field or the form (422, 409, 503); from htmx the form
alone (`submitting.submit`, as every page's form). A step that does not fit the trajectory now says
why instead of offering the form.

- The intake's contacts and locations are repeatable rows that work without JavaScript: a few empty
  rows and a "meer regels" button that posts the form back with one row more (nothing is sent); with
  htmx the button fetches one row and adds it in place.
- The postponement page explains the rule before anything is sent: which grounds count now (before or
  after the audit date is fixed), the merger window, how many regular postponements are left, that
  overmacht is always granted, and the decision term; with the earlier requests and their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from application.trajectories import rules_for_version
from domain.commands import RecordIntake
from domain.dutch import datum, datums, opsomming
from domain.postponement import decision_due
from domain.state import TrajectoryState
from domain.vocabulary import PostponementGround, RoundKind
from interfaces.http.deps import Runtime
from interfaces.web import contact_rows
from interfaces.web.errors import WebRoute
from interfaces.web.forms import FORMS, CommandForm, FormState, Values
from interfaces.web.portal import Auditee, TrajectoryPath, portal_url
from interfaces.web.render import is_htmx, render
from interfaces.web.steps import open_now
from interfaces.web.submitting import posted_state, submit
from interfaces.web.trajectory import visible_state

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@dataclass(frozen=True)
class Step:
    """A portal page for one command: its address part, its heading and introduction, and what it says
    when the step does not fit the trajectory now."""

    page: str
    command: str
    heading: str
    intro: str
    not_now: str
    submit: str = "Versturen"

    @property
    def form(self) -> CommandForm:
        return FORMS[self.command]


STEPS: dict[str, Step] = {
    step.page: step
    for step in (
        Step(
            "uitstel",
            "RequestPostponement",
            "Uitstel aanvragen",
            "Kan de audit niet doorgaan in het geplande kwartaal of op de geplande datum? Vraag dan uitstel aan. "
            "Lees eerst wat de regels van CBCT toestaan.",
            "In deze fase van het traject kunt u geen uitstel meer aanvragen.",
            "Uitstel aanvragen",
        ),
        Step(
            "reactie",
            "ReactToDraft",
            "Reactie op het conceptrapport",
            "Klopt er iets niet in het conceptrapport? Schrijf het hier. De auditoren en CBCT lezen uw reactie "
            "voordat de directeur besluit (hoor en wederhoor).",
            "U kunt reageren zodra CBCT u het conceptrapport heeft gestuurd, tot het einde van de reactietermijn.",
            "Reactie versturen",
        ),
        Step(
            "enquete",
            "RecordSurveyAnswer",
            "Tevredenheidsenquête",
            "Hoe tevreden bent u over de certificering door CBCT? Uw antwoord helpt CBCT het werk te verbeteren.",
            "De enquête staat nu niet open: CBCT stuurt haar na het besluit over de certificering.",
            "Antwoord versturen",
        ),
    )
}


# --- the postponement rule, explained before sending -----------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """The uitstel rule as it applies to this trajectory now: lines of plain Dutch, and earlier requests."""

    lines: list[str]
    history: list[str]
    blocked: str | None


def _grounds(grounds: tuple[PostponementGround, ...]) -> str:
    return opsomming(f"‘{g.value}’" for g in grounds)


def explain_postponement(state: TrajectoryState) -> Explanation:
    """What the uitstel policy (`domain.postponement`, the framework's rule data) allows this trajectory now."""
    policy = rules_for_version(state.framework_version).postponement
    lines = []
    blocked = None
    if state.round.kind is not RoundKind.AUDIT:
        blocked = f"Uitstel geldt alleen voor de reguliere audit, niet voor een {state.round.kind.value}."
    if state.date_fixed:
        lines.append(
            f"Uw auditdatum staat vast ({datums(state.round.audit_dates)}). Dan telt alleen overmacht als grond: "
            f"{_grounds(policy.after_date_fixed)}."
        )
    else:
        lines.append(
            f"Uw auditdatum staat nog niet vast. Dan tellen als grond: {_grounds(policy.before_date_fixed)}. "
            "Zodra de datum vaststaat, telt alleen nog overmacht."
        )
    lines.append("Een andere reden (‘overig’) is geen grond voor uitstel; zo’n verzoek wordt meteen geweigerd.")
    if PostponementGround.MERGER in (*policy.before_date_fixed, *policy.after_date_fixed):
        lines.append(
            f"Een fusie telt alleen als die binnen {policy.merger_within_months} maanden ingaat: vul dan de datum "
            "in waarop de fusie ingaat."
        )
    used = state.postponements.regular_granted
    left = max(0, policy.max_regular - used)
    lines.append(
        f"Per traject krijgt u hoogstens {policy.max_regular} keer regulier uitstel. U heeft er {used} gehad, "
        f"dus er {'is' if left == 1 else 'zijn'} er nog {left}."
    )
    lines.append(
        f"Overmacht ({_grounds(policy.force_majeure)}) wordt altijd toegekend en telt niet mee voor dat maximum."
    )
    lines.append(
        f"CBCT beslist binnen {policy.decision_days} dagen, altijd met een reden. Tot dan blijft de planning staan."
    )
    pending = state.postponements.pending
    if pending is not None:
        due = decision_due(pending.requested_on, rules_for_version(state.framework_version))
        blocked = (
            f"Uw verzoek {pending.number} ({pending.ground.value}, {datum(pending.requested_on)}) wacht nog op een "
            f"besluit (uiterlijk {datum(due)}). Een nieuw verzoek kan pas daarna."
        )
    history = []
    for answer in state.postponements.decided:
        how = "toegekend" if answer.granted else "geweigerd"
        where = ""
        if answer.granted and answer.new_audit_dates:
            where = f", nieuwe auditdatum {datums(answer.new_audit_dates)}"
        elif answer.granted and answer.new_quarter:
            where = f", nieuw auditkwartaal {answer.new_quarter}"
        history.append(
            f"Verzoek {answer.number} ({answer.ground.value}): {how} op {datum(answer.decided_on)}{where}. "
            f"Reden: {answer.reason}"
        )
    return Explanation(lines, history, blocked)


# --- a step's page ----------------------------------------------------------------------------------------


async def _step_page(request: Request, app: Any, viewer: Any, state: TrajectoryState, step: Step,
                     form_state: FormState | None = None, status: int = 200) -> Response:  # fmt: skip
    action = portal_url(state.trajectory_id, step.page)
    the_state = form_state or FormState(step.form, action, submit_label=step.submit)
    return await render(
        request,
        "portal_step.html",
        status=status,
        viewer=viewer,
        state=state,
        step=step,
        form_state=the_state,
        open=open_now(state, step.form, await app.clock.now()),
        explanation=explain_postponement(state) if step.page == "uitstel" else None,
        back=portal_url(state.trajectory_id),
    )


async def send_step(request: Request, app: Any, viewer: Any, state: TrajectoryState, the_state: FormState,
                values: Values, page: str) -> tuple[Response | None, int]:  # fmt: skip
    """Validate and send (`submitting.submit`, the one way a page posts a generated form); the redirect
    to the portal when accepted, else (None, status) with the explanation in `the_state`."""
    status = await submit(app, the_state, values, trajectory_id=state.trajectory_id, viewer=viewer)
    if status != 200:
        return None, status
    target = f"{portal_url(state.trajectory_id)}?verwerkt={page}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target}), 200
    return RedirectResponse(target, status_code=303), 303


def _make_step_routes(step: Step) -> None:
    path = f"/portaal/{{trajectory_id}}/{step.page}"

    async def show(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
        state = await visible_state(app, viewer, trajectory_id)
        return await _step_page(request, app, viewer, state, step)

    async def post(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
        state = await visible_state(app, viewer, trajectory_id)
        posted = await request.form()
        form = step.form
        values = form.values_of(posted)
        the_state = posted_state(FormState(form, portal_url(trajectory_id, step.page), values,
                                           submit_label=step.submit), posted)  # fmt: skip
        done, status = await send_step(request, app, viewer, state, the_state, values, step.page)
        if done is not None:
            return done
        if is_htmx(request):  # htmx swaps 2xx answers only: the form with its explanation, as 200
            return await render(request, "_form_fragment.html", viewer=viewer, form_state=the_state)
        return await _step_page(request, app, viewer, state, step, the_state, status)

    show.__name__, post.__name__ = f"portal_{step.page}", f"portal_{step.page}_post"
    router.add_api_route(path, show, methods=["GET"])
    router.add_api_route(path, post, methods=["POST"])


for _step in STEPS.values():
    _make_step_routes(_step)


# --- the intake: repeatable contacts and locations ------------------------------------------------------

INTAKE = FORMS["RecordIntake"]
INTAKE_PATH = "/portaal/{trajectory_id}/intake"
CONTACT_ROWS, LOCATION_ROWS = 2, 3
"""Empty rows shown at first; "meer regels" adds one at a time up to the command's maximum."""


MAX_CONTACTS, MAX_LOCATIONS = contact_rows.most_items(RecordIntake), contact_rows.most_items(RecordIntake, "locations")


def intake_form(rows: int) -> CommandForm:
    """The intake's generated form with `rows` rows of contacts."""
    return contact_rows.with_rows(INTAKE, rows)


@dataclass
class IntakeInput:
    """The intake as typed: the form's state, and the locations one per input."""

    form_state: FormState
    locations: list[str]


def _contact_rows(posted: Any) -> int:
    return contact_rows.rows_posted(posted, at_least=CONTACT_ROWS, at_most=MAX_CONTACTS)


def read_intake(posted: Any, action: str) -> IntakeInput:
    """What was posted to the intake form, as typed (rows counted from the posted names); filled-in rows
    are moved up, so that the rows shown are the rows an error message counts."""
    rows = _contact_rows(posted)
    form = intake_form(rows)
    typed = [str(v) for v in posted.getlist("locations")][:MAX_LOCATIONS]
    locations = [v for v in typed if v.strip()]
    locations += [""] * (len(typed) - len(locations))
    values = form.values_of(posted)
    contact_rows.compact(values, rows)
    values["locations"] = "\n".join(v for v in locations if v.strip())
    the_state = posted_state(FormState(form, action, values, submit_label="Intake versturen"), posted)
    return IntakeInput(the_state, locations)


def _fresh_intake(action: str) -> IntakeInput:
    return IntakeInput(
        FormState(intake_form(CONTACT_ROWS), action, submit_label="Intake versturen"), [""] * LOCATION_ROWS
    )


async def _intake_page(request: Request, app: Any, viewer: Any, state: TrajectoryState, typed: IntakeInput,
                       status: int = 200) -> Response:  # fmt: skip
    locations = typed.locations + [""] * max(0, LOCATION_ROWS - len(typed.locations))
    return await render(
        request,
        "portal_intake.html",
        status=status,
        viewer=viewer,
        state=state,
        form_state=typed.form_state,
        contacts=next(f for f in typed.form_state.form.fields if f.name == "contacts"),
        locations=locations,
        others=[f for f in typed.form_state.form.fields if f.name not in ("contacts", "locations")],
        open=open_now(state, INTAKE, await app.clock.now()),
        back=portal_url(state.trajectory_id),
        max_contacts=MAX_CONTACTS,
        max_locations=MAX_LOCATIONS,
    )


@router.get(INTAKE_PATH)
async def intake(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    return await _intake_page(request, app, viewer, state, _fresh_intake(portal_url(trajectory_id, "intake")))


@router.get(f"{INTAKE_PATH}/regel")
async def intake_row(
    request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime, soort: str = "", n: int = 0
) -> Response:
    """One more empty row (for htmx), and the button that asks for the next one."""
    await visible_state(app, viewer, trajectory_id)
    limit = MAX_CONTACTS if soort == "contacts" else MAX_LOCATIONS
    if soort not in ("contacts", "locations") or not 0 <= n < limit:
        return Response(status_code=204)
    return await render(
        request,
        "_portal_row.html",
        viewer=viewer,
        kind=soort,
        n=n,
        form_state=FormState(intake_form(n + 1), portal_url(trajectory_id, "intake")),
        contacts=next(f for f in intake_form(n + 1).fields if f.name == "contacts"),
        row_url=portal_url(trajectory_id, "intake/regel"),
        limit=limit,
    )


@router.post(INTAKE_PATH)
async def intake_post(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    posted = await request.form()
    typed = read_intake(posted, portal_url(trajectory_id, "intake"))
    more = str(posted.get("meer") or "")
    if more == "contacts":  # "meer regels" without JavaScript: the same input, one row more, nothing sent
        rows = min(_contact_rows(posted) + 1, MAX_CONTACTS)
        typed.form_state.form = intake_form(rows)
        return await _intake_page(request, app, viewer, state, typed)
    if more == "locations":
        typed.locations = [*typed.locations, ""][:MAX_LOCATIONS]
        return await _intake_page(request, app, viewer, state, typed)
    done, status = await send_step(request, app, viewer, state, typed.form_state, typed.form_state.values, "intake")
    if done is not None:
        return done
    return await _intake_page(request, app, viewer, state, typed, status)
