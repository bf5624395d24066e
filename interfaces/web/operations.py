"""The ops page `/beheer`: what is stuck or failing, on one page, with the way to act on it.

Everything comes from the functions the CLI and the API use, never a query of its own:

- stuck trajectories: `projections.stuck.stuck_trajectories` with `CBCT_STUCK_GRACE_DAYS` (as `cbct
  stuck` and `/api/stuck`);
- workflows that stopped without finishing their trajectory and activities that keep failing:
  `interfaces.workflow_ops.failed_workflows` / `failing_activities` (as `cbct workflows failed`), each
  with a retry button: `POST /beheer/workflows/opnieuw` runs `workflow_ops.retry` (as `cbct workflows
  retry`): a stopped workflow of an open trajectory starts again; a running one retries its activity
  by itself, and the answer says so;
- the read models: `ProjectionRunner.status` (the lag `/readyz` judges by `projection_lag`, and the
  halts with the event they stopped at); a halted read model tries again by itself, so after the
  event is corrected (docs/repairing-events.md) there is nothing to press;
- e-mails waiting to be sent and refused by a mail server: `projections.messages.pending_messages`
  and `refused_messages`; each can be downloaded as the `.eml` the mail server got (`GET
  /beheer/e-mails/<id>.eml`, `interfaces.email_file`), to forward from one's own mail program;
- links into the Temporal Web UI (the runtime's `ui_address`, else `CBCT_TEMPORAL_UI_URL`) for each
  workflow.

Temporal's answers are bounded in time: a server that is away, or one without visibility (the test
server), leaves its sections saying so while the rest of the page works. Only the ops role uses it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from application.access import Principal, Role
from infrastructure.logging import get_logger
from interfaces.email_file import email_file
from interfaces.http.deps import Runtime
from interfaces.http.queries import attachment
from interfaces.web.errors import WebRoute
from interfaces.web.identity import role_in
from interfaces.web.render import render
from interfaces.web.sending import outage_text
from interfaces.workflow_ops import WorkflowNotFound, failed_workflows, failing_activities, retry
from projections.messages import pending_messages, refused_messages
from projections.stuck import stuck_trajectories
from workflows.contracts import trajectory_workflow_id

log = get_logger(__name__)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/beheer"
RETRY = "/beheer/workflows/opnieuw"
EML = "/beheer/e-mails/{message_id}.eml"
SHOWN = 50
TEMPORAL_SECONDS = 5.0
"""How long the page waits for one of Temporal's answers before it shows that section as unavailable."""

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,120}$")
"""A trajectory id or a workflow id (`trajectory:<id>`), as `cbct workflows retry` takes it."""

OUTCOMES = {
    "started": "De workflow van {name} is opnieuw gestart.",
    "running": "De workflow van {name} loopt: een falende activiteit wordt vanzelf opnieuw geprobeerd.",
    "closed": "Traject {name} is afgesloten: er is niets opnieuw te starten.",
    "unknown": "Er is geen workflow {name}.",
    "invalid": "Vul een traject-id of workflow-id in (letters, cijfers en _ . : @ -).",
    "away": "De procesmotor is even niet bereikbaar; probeer het zo opnieuw.",
}
"""What a retry came to, as the page says it (the CLI's words)."""

Ops = Annotated[Principal, role_in(Role.OPS)]
T = TypeVar("T")


@dataclass(frozen=True)
class Section:
    """A part of the page that Temporal answers: its rows, or why they are not there."""

    rows: list[Any]
    unavailable: str | None = None


async def _from_temporal(call: Awaitable[list[T]]) -> Section:
    try:
        return Section(await asyncio.wait_for(call, TEMPORAL_SECONDS))
    except TimeoutError:
        return Section([], f"Temporal gaf geen antwoord binnen {TEMPORAL_SECONDS:.0f} seconden.")
    except Exception as error:
        log.warning("ops_page_temporal_unavailable", error=type(error).__name__)
        text = str(error)
        if "unimplemented" in text.lower():
            return Section([], "Deze Temporal-server kan geen lijst van workflows geven (geen visibility).")
        return Section([], f"Temporal is niet bereikbaar ({type(error).__name__}).")


def web_ui(app: Any) -> tuple[str | None, str | None]:
    """The Temporal Web UI's address and the namespace of the workflows (None when not known)."""
    access = app.temporal_access
    ui = (access.ui_address if access is not None else None) or app.settings.temporal_ui_url
    namespace = access.client.namespace if access is not None else app.settings.temporal_namespace
    return (ui.rstrip("/") if ui else None), namespace


def workflow_link(ui: str | None, namespace: str | None, workflow_id: str) -> str | None:
    """The workflow's page in the Temporal Web UI."""
    if not ui or not namespace:
        return None
    return f"{ui}/namespaces/{quote(namespace, safe='')}/workflows/{quote(workflow_id, safe='')}"


@router.get(PAGE)
async def ops_page(
    request: Request, app: Runtime, viewer: Ops, opnieuw: str | None = None, traject: str | None = None
) -> Response:
    now = await app.clock.now()
    grace = app.settings.stuck_grace_days
    stuck, statuses, pending, refused = await asyncio.gather(
        stuck_trajectories(app.pool, now, grace),
        app.projections.status(),
        pending_messages(app.pool, limit=SHOWN),
        refused_messages(app.pool),
    )
    if app.temporal_access is None:
        away = "Dit proces is niet met Temporal verbonden."
        failed, failing = Section([], away), Section([], away)
    else:
        client = app.temporal.client
        failed, failing = await asyncio.gather(
            _from_temporal(failed_workflows(client, limit=SHOWN)), _from_temporal(failing_activities(client))
        )
    ui, namespace = web_ui(app)
    outcome = None
    if opnieuw in OUTCOMES:
        shown_name = traject if traject and NAME.match(traject) else "?"
        outcome = (opnieuw, OUTCOMES[opnieuw].format(name=shown_name))
    return await render(
        request,
        "operations.html",
        viewer=viewer,
        now=now,
        grace=grace,
        stuck=stuck,
        failed=failed,
        failing=failing,
        statuses=statuses,
        lag_threshold=app.settings.ready_max_projection_lag,
        pending=pending,
        refused=refused[:SHOWN],
        refused_total=len(refused),
        ui=ui,
        link=lambda workflow_id: workflow_link(ui, namespace, workflow_id),
        workflow_of=trajectory_workflow_id,
        outcome=outcome,
    )


@router.get(EML)
async def email_download(message_id: str, app: Runtime, viewer: Ops) -> Response:
    """An outbox e-mail as the `.eml` file the mail server got (`interfaces.email_file`); 404 for an id
    no stored event composes."""
    found = await email_file(app, message_id)
    if found is None:
        raise HTTPException(status_code=404)
    data, status = found
    log.info("ops_email_downloaded", message_id=message_id, status=status, actor=viewer.actor)
    return Response(data, media_type="message/rfc822", headers=attachment(f"e-mail-{message_id}.eml"))


@router.post(RETRY)
async def retry_workflow(request: Request, app: Runtime, viewer: Ops) -> Response:
    posted = await request.form()
    name = str(posted.get("workflow") or "").strip()
    if not NAME.match(name):
        outcome = "invalid"
    elif app.temporal_access is None:
        outcome = "away"
    else:
        try:
            outcome = await asyncio.wait_for(
                retry(app.pool, app.service, app.temporal.trajectories, name), app.settings.command_wait_seconds
            )
        except WorkflowNotFound:
            outcome = "unknown"
        except Exception as error:
            if outage_text(error) is None and not isinstance(error, TimeoutError):
                raise
            outcome = "away"
    log.info("ops_workflow_retry", workflow=name[:130], outcome=outcome, actor=viewer.actor)
    query = urlencode({"opnieuw": outcome, "traject": name[:130]})
    return RedirectResponse(f"{PAGE}?{query}#workflows", status_code=303)
