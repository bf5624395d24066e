"""The self-evaluation in the portal: per norm each question ja/nee, with supporting documents uploaded.

`GET /portaal/{id}/zelfevaluatie` shows the norms in the trajectory's scope with their questions
(`application.self_evaluation_answers`), the answers saved so far and the documents uploaded per norm.
`POST` is one multipart form, read as it streams in (`uploads.read_form`: the size limit enforced while
the bytes arrive, the CSRF token checked before any file is written):

- every file is checked: at most `upload_max_bytes`, not empty, and a PDF, DOCX, XLSX, PNG or JPEG by its
  content (its first bytes, and the parts inside an Office file), with a name that fits that content.
  One file refused: nothing of the post is kept (no file, no answer), the page says why per norm in
  Dutch, the answers stay filled in;
- otherwise the files are kept under their SHA-256 (`infrastructure.document_files`), each recorded as a
  `DocumentUploaded` event (`application.documents`), and the answers saved as one event;
- "Inleveren" then sends the domain's `SubmitSelfEvaluation` through the trajectory's workflow, naming
  every document with its checksum; refused, its explanation is shown and nothing typed is lost.

`GET /trajecten/{id}/documenten/{sha256}` downloads a document to whoever may see the trajectory (the
organisation, its auditors, staff); a checksum that is not one of this trajectory's documents, or a
trajectory the viewer may not know of, is the same 404 as an unknown one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from application.documents import (
    ACCEPT,
    KIND_NAMES,
    SHA256,
    Document,
    DocumentKind,
    documents_of,
    extension_fits,
    kind_of,
    needs_zip_names,
    record_upload,
    submission_reference,
)
from application.self_evaluation_answers import NormItems, answers_of, items_for, save_answers
from application.trajectories import rules_for_version
from domain.commands import SubmitSelfEvaluation
from domain.self_evaluation import needs_self_evaluation, self_evaluation_due
from domain.state import TrajectoryState
from infrastructure.document_files import DocumentFiles
from infrastructure.settings import Settings
from interfaces.http.deps import Runtime
from interfaces.http.problems import not_found
from interfaces.web.errors import WebRoute
from interfaces.web.forms import new_command_id
from interfaces.web.identity import Viewer
from interfaces.web.portal import Auditee, TrajectoryPath, portal_url
from interfaces.web.render import render
from interfaces.web.sending import REFUSED, send
from interfaces.web.trajectory import visible_state
from interfaces.web.uploads import MAX_FILES, Posted, Received, StreamedForm, read_form

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/portaal/{trajectory_id}/zelfevaluatie"
DOWNLOAD = "/trajecten/{trajectory_id}/documenten/{sha256}"
UPLOAD_PATH = re.compile(r"/portaal/[A-Za-z0-9][A-Za-z0-9_.:@\-]*/zelfevaluatie")
FORM_SLACK = 1 << 20
"""Room in a post for the answers and the multipart framing, besides the files."""
SAVED = (
    "Uw antwoorden en documenten zijn bewaard. U kunt later verder gaan; lever de zelfevaluatie in als alles klaar is."
)


def larger_bodies(settings: Settings) -> list[tuple[re.Pattern[str], int]]:
    """The body limit of the self-evaluation's post: `MAX_FILES` documents at the upload limit, and the form."""
    return [(UPLOAD_PATH, MAX_FILES * settings.upload_max_bytes + FORM_SLACK)]


def document_files(app: Any) -> DocumentFiles:
    settings: Settings = app.settings
    return DocumentFiles(settings.upload_dir, settings.upload_max_bytes)


def size_text(size: int) -> str:
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MB"
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} kB"


def download_url(trajectory_id: str, sha256: str) -> str:
    return DOWNLOAD.format(trajectory_id=trajectory_id, sha256=sha256)


@dataclass
class SelfEvaluationInput:
    """The page's form as typed: the answers (`ja`/`nee`/empty by item key) and the messages per norm."""

    answers: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    command_id: str = field(default_factory=new_command_id)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general)


def typed_answers(saved: Mapping[str, bool]) -> dict[str, str]:
    return {key: "ja" if value else "nee" for key, value in saved.items()}


async def _page(request: Request, app: Any, viewer: Any, state: TrajectoryState, typed: SelfEvaluationInput,
                *, status: int = 200, notice: str | None = None) -> Response:  # fmt: skip
    rules = rules_for_version(state.framework_version)
    norms = items_for(state, rules)
    documents = await documents_of(app.store, state.trajectory_id)
    by_norm: dict[str | None, list[Document]] = {}
    for document in documents:
        by_norm.setdefault(document.norm, []).append(document)
    saved = await answers_of(app.store, state.trajectory_id)
    settings: Settings = app.settings
    return await render(
        request,
        "portal_self_evaluation.html",
        status=status,
        viewer=viewer,
        state=state,
        norms=norms,
        typed=typed,
        documents=by_norm,
        download=lambda d: download_url(state.trajectory_id, d.sha256),
        size_text=size_text,
        saved=saved,
        open=needs_self_evaluation(state) and state.is_open,
        due=self_evaluation_due(state, rules),
        accept=ACCEPT,
        kinds=KIND_NAMES,
        limit=size_text(settings.upload_max_bytes),
        max_files=MAX_FILES,
        action=portal_url(state.trajectory_id, "zelfevaluatie"),
        back=portal_url(state.trajectory_id),
        notice=notice,
    )


@router.get(PAGE)
async def self_evaluation(
    request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime, bewaard: str | None = None
) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    saved = await answers_of(app.store, trajectory_id)
    typed = SelfEvaluationInput(typed_answers(saved.values))
    return await _page(request, app, viewer, state, typed, notice=SAVED if bewaard else None)


@dataclass(frozen=True)
class Accepted:
    received: Received
    kind: DocumentKind
    norm: str


def check_files(posted: Posted, norms: list[NormItems], limit: str) -> tuple[list[Accepted], dict[str, list[str]]]:
    """The files that may be kept, and the Dutch reason per norm for each that may not."""
    known = {n.norm_id for n in norms}
    accepted: list[Accepted] = []
    errors: dict[str, list[str]] = {}
    for received in posted.files:
        norm = received.field_name.removeprefix("document.")
        shown = received.file_name or "het bestand"
        if norm not in known:
            errors.setdefault("", []).append(f"{shown}: hoort bij geen norm van deze zelfevaluatie.")
            continue
        if received.too_large:
            errors.setdefault(norm, []).append(f"{shown} is te groot: een bestand mag hoogstens {limit} zijn.")
            continue
        upload = received.upload
        if upload is None:
            errors.setdefault(norm, []).append(f"{shown} is leeg.")
            continue
        kind = kind_of(upload.head, upload.zip_names() if needs_zip_names(upload.head) else None)
        if kind is None:
            errors.setdefault(norm, []).append(
                f"{shown}: dit soort bestand kan niet. Toegestaan zijn {KIND_NAMES}; "
                "de inhoud van het bestand telt, niet alleen de naam."
            )
            continue
        if not extension_fits(received.file_name, kind):
            errors.setdefault(norm, []).append(
                f"{shown}: de inhoud is {kind.name}, maar de naam eindigt niet op {' of '.join(kind.extensions)}. "
                "Geef het bestand de juiste naam."
            )
            continue
        accepted.append(Accepted(received, kind, norm))
    return accepted, errors


def _answers_posted(posted: Posted, norms: list[NormItems]) -> dict[str, str]:
    typed = {}
    for norm in norms:
        for item in norm.items:
            value = posted.get(f"a.{item.key}") or ""
            if value in ("ja", "nee"):
                typed[item.key] = value
    return typed


async def self_evaluation_post(
    request: Request, trajectory_id: TrajectoryPath, viewer: Auditee, app: Runtime
) -> Response:
    state = await visible_state(app, viewer, trajectory_id)
    settings: Settings = app.settings
    posted = await read_form(request, document_files(app))
    rules = rules_for_version(state.framework_version)
    norms = items_for(state, rules)
    typed = SelfEvaluationInput(_answers_posted(posted, norms), command_id=str(posted.get("command_id") or "")
                                or new_command_id())  # fmt: skip
    if not (needs_self_evaluation(state) and state.is_open):
        posted.discard()
        typed.general = ["Er wordt geen zelfevaluatie (meer) verwacht: er is niets bewaard."]
        return await _page(request, app, viewer, state, typed, status=409)
    accepted, errors = check_files(posted, norms, size_text(settings.upload_max_bytes))
    if posted.too_many_files:
        errors.setdefault("", []).append(f"Hoogstens {MAX_FILES} bestanden per keer; voeg de rest daarna toe.")
    if errors:
        posted.discard()
        typed.errors = errors
        typed.general = ["Er is niets bewaard. Kies de bestanden opnieuw (een browser vult ze niet opnieuw in)."]
        return await _page(request, app, viewer, state, typed, status=422)
    now = await app.clock.now()
    for item in accepted:
        upload = item.received.upload
        assert upload is not None
        sha256 = await asyncio.to_thread(upload.keep)  # fsync: off the event loop
        await record_upload(app.store, trajectory_id, sha256=sha256, file_name=item.received.file_name,
                            kind=item.kind, size=upload.size, norm=item.norm, actor=viewer.actor, now=now)  # fmt: skip
    answers = {key: value == "ja" for key, value in typed.answers.items()}
    await save_answers(app.store, trajectory_id, answers, actor=viewer.actor, command_id=typed.command_id, now=now)
    if posted.get("actie") != "inleveren":
        return RedirectResponse(f"{portal_url(trajectory_id, 'zelfevaluatie')}?bewaard=1", status_code=303)
    fresh = SelfEvaluationInput(typed.answers)  # saved: a next post is a new one
    missing = [n.norm_id for n in norms if any(i.key not in typed.answers for i in n.items)]
    if missing:
        fresh.general = [
            "Uw antwoorden en documenten zijn bewaard, maar nog niet ingeleverd: beantwoord eerst elke vraag "
            f"(nog open bij {'norm' if len(missing) == 1 else 'normen'} {', '.join(missing)})."
        ]
        fresh.errors = {norm: ["Beantwoord elke vraag met ja of nee."] for norm in missing}
        return await _page(request, app, viewer, state, fresh, status=422)
    documents = await documents_of(app.store, trajectory_id)
    command = SubmitSelfEvaluation(
        command_id=typed.command_id,
        trajectory_id=trajectory_id,
        actor=viewer.actor,
        documents=tuple(submission_reference(d) for d in documents)[:200],
    )
    answer = await send(app, command)
    if answer.accepted:
        return RedirectResponse(f"{portal_url(trajectory_id)}?verwerkt=zelfevaluatie", status_code=303)
    refusal = answer.message or REFUSED
    fresh.general = [f"Uw antwoorden en documenten zijn bewaard, maar de zelfevaluatie is niet ingeleverd: {refusal}"]
    return await _page(request, app, viewer, state, fresh, status=answer.status)


router.add_api_route(PAGE, self_evaluation_post, methods=["POST"], route_class_override=StreamedForm)

DocumentPath = Annotated[str, Path(pattern=SHA256.pattern)]


@router.get(DOWNLOAD)
async def download(
    request: Request, trajectory_id: TrajectoryPath, sha256: DocumentPath, viewer: Viewer, app: Runtime
) -> Response:
    """A document of the trajectory, to whoever may see the trajectory; else the same 404 as an unknown one."""
    await visible_state(app, viewer, trajectory_id)
    found = next((d for d in await documents_of(app.store, trajectory_id) if d.sha256 == sha256), None)
    files = document_files(app)
    if found is None or not files.has(sha256):
        raise not_found()
    return FileResponse(
        files.path_of(sha256),
        media_type=found.media_type,
        filename=found.file_name,
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, no-store"},
    )
