"""The portal's contact persons page: the auditee names its contact persons anew (`ChangeContacts`).

Someone left, or a mail server refuses the address CBCT writes to: the organisation itself corrects
who its contact persons are, without calling CBCT. The rows start with the contacts named last (by the
intake or an earlier change, read from the trajectory's events) and one empty row; "meer regels" adds
one (`contact_rows`). Sent like every portal step (`portal_steps.send_step`): the first contact gets
CBCT's e-mails from then on, and only these contacts can ask a sign-in link for this trajectory.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from application.trajectories import stream_id
from domain import events as ev
from domain.commands import ChangeContacts, Contact
from domain.state import TrajectoryState
from interfaces.http.deps import Runtime
from interfaces.web import contact_rows
from interfaces.web.errors import WebRoute
from interfaces.web.forms import FORMS, FormState, Values
from interfaces.web.portal import Auditee, TrajectoryPath, portal_url
from interfaces.web.portal_steps import send_step
from interfaces.web.render import render
from interfaces.web.steps import open_now
from interfaces.web.submitting import posted_state
from interfaces.web.trajectory import visible_state
from projections.trajectory_state import decode

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "contactpersonen"
PATH = f"/portaal/{{trajectory_id}}/{PAGE}"
FORM = FORMS["ChangeContacts"]
MAX_CONTACTS = contact_rows.most_items(ChangeContacts)
SUBMIT = "Contactpersonen opslaan"


async def named_last(app: Any, trajectory_id: str) -> tuple[Contact, ...]:
    """The contact persons the intake or the latest change named (none before the intake)."""
    contacts: tuple[Contact, ...] = ()
    for record in await app.store.read_stream(stream_id(trajectory_id)):
        event = decode(record)
        if isinstance(event, ev.IntakeRecorded | ev.ContactsChanged):
            contacts = event.contacts
    return contacts


def _filled(contacts: tuple[Contact, ...]) -> Values:
    values: Values = {}
    for n, contact in enumerate(contacts):
        values |= {f"contacts.{n}.name": contact.name, f"contacts.{n}.email": contact.email,
                   f"contacts.{n}.role": contact.role}  # fmt: skip
    return values


async def _page(request: Request, app: Any, viewer: Any, state: TrajectoryState, form_state: FormState,
                status: int = 200) -> Response:  # fmt: skip
    return await render(
        request,
        "portal_contacts.html",
        status=status,
        viewer=viewer,
        state=state,
        form_state=form_state,
        contacts=contact_rows.contact_field(form_state.form),
        open=open_now(state, FORM, await app.clock.now()),
        back=portal_url(state.trajectory_id),
        max_contacts=MAX_CONTACTS,
    )


@router.get(PATH)
async def contacts_page(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    named = await named_last(app, trajectory_id)
    rows = min(max(len(named) + 1, 2), MAX_CONTACTS)
    form_state = FormState(contact_rows.with_rows(FORM, rows), portal_url(trajectory_id, PAGE), _filled(named),
                           submit_label=SUBMIT)  # fmt: skip
    return await _page(request, app, viewer, state, form_state)


@router.get(f"{PATH}/regel")
async def contacts_row(
    request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime, n: int = 0
) -> Response:
    """One more empty row (for htmx), and the button that asks for the next one."""
    await visible_state(app, viewer, trajectory_id)
    if not 0 <= n < MAX_CONTACTS:
        return Response(status_code=204)
    form = contact_rows.with_rows(FORM, n + 1)
    return await render(
        request,
        "_portal_row.html",
        viewer=viewer,
        kind=contact_rows.FIELD,
        n=n,
        form_state=FormState(form, portal_url(trajectory_id, PAGE)),
        contacts=contact_rows.contact_field(form),
        row_url=portal_url(trajectory_id, f"{PAGE}/regel"),
        limit=MAX_CONTACTS,
    )


@router.post(PATH)
async def contacts_post(request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    posted = await request.form()
    rows = contact_rows.rows_posted(posted, at_least=2, at_most=MAX_CONTACTS)
    more = str(posted.get("meer") or "") == contact_rows.FIELD
    form = contact_rows.with_rows(FORM, min(rows + 1, MAX_CONTACTS) if more else rows)
    values = form.values_of(posted)
    contact_rows.compact(values, rows)
    form_state = posted_state(FormState(form, portal_url(trajectory_id, PAGE), values, submit_label=SUBMIT), posted)
    if more:  # "meer regels" without JavaScript: the same input, one row more, nothing sent
        return await _page(request, app, viewer, state, form_state)
    done, status = await send_step(request, app, viewer, state, form_state, values, PAGE)
    if done is not None:
        return done
    return await _page(request, app, viewer, state, form_state, status)
