"""Documents an auditee uploads with its self-evaluation: which kinds are accepted, and their record.

The domain keeps no documents (`SubmitSelfEvaluation.documents` holds names only), so each upload is an
event of its own: `DocumentUploaded` on the stream `documents-<trajectory_id>`, naming the file by its
SHA-256 (the file itself lies in the upload folder under that checksum, `infrastructure.document_files`).
The submission then names each document with its checksum (`submission_reference`), so what the
auditee handed in can be traced to the exact bytes.

A kind is recognised by the file's first bytes (and, for the Office formats, by the parts inside the
ZIP), never by its name alone: the name's extension must fit what the content is. The user's file
name is kept for display only (`display_name`), never used as a path.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from application.event_store import EventStore, ExpectedVersion, NewEvent

CATEGORY = "documents"
UPLOADED = "DocumentUploaded"
_NAMESPACE = uuid.UUID("4f0c1d8e-2b7a-4c55-9d3e-6a1f0e9b7c21")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
NAME_MAX = 120
REFERENCE_MAX = 200
"""A reference must fit one `Text` item of `SubmitSelfEvaluation.documents`."""


@dataclass(frozen=True)
class DocumentKind:
    """An accepted kind of document: its Dutch name, its media type and the extensions its name may have."""

    name: str
    media_type: str
    extensions: tuple[str, ...]


PDF = DocumentKind("PDF", "application/pdf", (".pdf",))
DOCX = DocumentKind(
    "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = DocumentKind("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PNG = DocumentKind("PNG", "image/png", (".png",))
JPEG = DocumentKind("JPEG", "image/jpeg", (".jpg", ".jpeg"))
KINDS: tuple[DocumentKind, ...] = (PDF, DOCX, XLSX, PNG, JPEG)
BY_MEDIA_TYPE = {kind.media_type: kind for kind in KINDS}
ACCEPT = ",".join(ext for kind in KINDS for ext in kind.extensions)
"""For the file input's `accept` (a hint to the browser; the server checks the content)."""
KIND_NAMES = "PDF, Word (DOCX), Excel (XLSX), PNG of JPEG"

HEAD_BYTES = 8
ZIP_MAGIC = b"PK\x03\x04"


def needs_zip_names(head: bytes) -> bool:
    """Whether the content is a ZIP, so that its parts decide between DOCX and XLSX."""
    return head.startswith(ZIP_MAGIC)


def kind_of(head: bytes, zip_names: Iterable[str] | None = None) -> DocumentKind | None:
    """The kind the content is, by its first bytes (and a ZIP's part names); None when not accepted."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(ZIP_MAGIC) and zip_names is not None:
        names = set(zip_names)
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    return None


def display_name(file_name: str | None) -> str:
    """The user's file name as it may be shown: its last path part, one line of plain text, short."""
    base = re.split(r"[\\/]", file_name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\"<>|*?:]", "", base).strip(" .")
    if len(base) > NAME_MAX:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: NAME_MAX - len(ext) - 2]}….{ext}" if dot and len(ext) <= 8 else base[:NAME_MAX]
    return base or "document"


def extension_fits(file_name: str, kind: DocumentKind) -> bool:
    return file_name.lower().endswith(kind.extensions)


@dataclass(frozen=True)
class Document:
    """An uploaded document of a trajectory, as its event records it."""

    sha256: str
    file_name: str
    media_type: str
    size: int
    norm: str | None
    uploaded_at: datetime
    uploaded_by: str | None

    @property
    def kind(self) -> DocumentKind | None:
        return BY_MEDIA_TYPE.get(self.media_type)


def documents_stream(trajectory_id: str) -> str:
    return f"{CATEGORY}-{trajectory_id}"


def upload_command_id(trajectory_id: str, sha256: str, norm: str | None) -> str:
    """One upload of the same bytes for the same norm is recorded once (a re-sent form changes nothing)."""
    return f"document-upload:{trajectory_id}:{norm or '-'}:{sha256}"


async def record_upload(
    store: EventStore,
    trajectory_id: str,
    *,
    sha256: str,
    file_name: str,
    kind: DocumentKind,
    size: int,
    norm: str | None,
    actor: str,
    now: datetime,
) -> None:
    """Record that `actor` uploaded these bytes for the trajectory (and norm); the same upload twice once."""
    if not SHA256.match(sha256):
        raise ValueError("sha256: must be 64 lower-case hex digits")
    command_id = upload_command_id(trajectory_id, sha256, norm)
    await store.append(
        documents_stream(trajectory_id),
        [
            NewEvent(
                UPLOADED,
                {
                    "trajectory_id": trajectory_id,
                    "sha256": sha256,
                    "file_name": display_name(file_name),
                    "media_type": kind.media_type,
                    "size": size,
                    "norm": norm,
                    "uploaded_at": now.isoformat(),
                },
                event_id=uuid.uuid5(_NAMESPACE, command_id),
            )
        ],
        ExpectedVersion.ANY,
        command_id=command_id,
        actor=actor,
    )


async def documents_of(store: EventStore, trajectory_id: str) -> list[Document]:
    """The trajectory's uploaded documents, in upload order (one per checksum and norm)."""
    found: dict[tuple[str, str | None], Document] = {}
    for event in await store.read_stream(documents_stream(trajectory_id)):
        if event.event_type != UPLOADED:
            continue
        data = event.data
        document = Document(
            sha256=str(data["sha256"]),
            file_name=str(data["file_name"]),
            media_type=str(data["media_type"]),
            size=int(data["size"]),
            norm=None if data.get("norm") is None else str(data["norm"]),
            uploaded_at=datetime.fromisoformat(str(data["uploaded_at"])),
            uploaded_by=event.actor,
        )
        found.setdefault((document.sha256, document.norm), document)
    return list(found.values())


def submission_reference(document: Document) -> str:
    """How the self-evaluation names a document: its name, its norm and its checksum (≤ 200 characters)."""
    tail = f" (norm {document.norm}, sha256:{document.sha256})" if document.norm else f" (sha256:{document.sha256})"
    name = document.file_name
    if len(name) + len(tail) > REFERENCE_MAX:
        name = name[: REFERENCE_MAX - len(tail) - 1] + "…"
    return name + tail
