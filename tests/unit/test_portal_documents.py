"""Uploaded documents without a server: the kinds recognised by content, the names shown, the references the
self-evaluation makes, the upload folder's files (0600 in 0700, named by checksum, nothing past the limit
kept), the multipart reader's limits, and the body limit of the upload path alone."""

from __future__ import annotations

import hashlib
import io
import re
import stat
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from application.documents import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    XLSX,
    Document,
    display_name,
    extension_fits,
    kind_of,
    submission_reference,
)
from infrastructure.document_files import DocumentFiles, TooLarge
from interfaces.http.middleware import install_middleware
from interfaces.http.problems import Problem
from interfaces.web.uploads import MAX_FILES, read_form

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def zip_names(data: bytes) -> frozenset[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return frozenset(archive.namelist())


def test_kinds_are_recognised_by_their_content_not_their_name() -> None:
    assert kind_of(PDF_BYTES) is PDF
    assert kind_of(b"\x89PNG\r\n\x1a\n....") is PNG
    assert kind_of(b"\xff\xd8\xff\xe0..JFIF") is JPEG
    docx, xlsx = office("word/document.xml"), office("xl/workbook.xml")
    assert kind_of(docx[:8], zip_names(docx)) is DOCX
    assert kind_of(xlsx[:8], zip_names(xlsx)) is XLSX
    assert kind_of(docx[:8]) is None  # a ZIP is only an Office document by its parts
    assert kind_of(b"PK\x03\x04", frozenset({"virus.exe"})) is None
    assert kind_of(b"MZ\x90\x00") is None and kind_of(b"<html>") is None and kind_of(b"") is None
    assert extension_fits("Plan.PDF", PDF) and extension_fits("foto.jpeg", JPEG) and not extension_fits("x.pdf", PNG)


def test_a_file_name_is_shown_as_one_short_line_never_a_path() -> None:
    assert display_name("C:\\Users\\an\\beleidsplan.pdf") == "beleidsplan.pdf"
    assert display_name("../../etc/passwd") == "passwd"
    assert display_name('rap"port\r\n<1>.pdf') == "rapport1.pdf"
    assert display_name("") == display_name(None) == display_name("...") == "document"
    long = display_name("a" * 300 + ".docx")
    assert len(long) <= 120 and long.endswith("….docx")


def test_a_reference_names_the_document_its_norm_and_checksum_in_200_characters() -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    document = Document(sha, "b" * 190 + ".pdf", PDF.media_type, 10, "3", datetime(2026, 1, 1, tzinfo=UTC), None)
    reference = submission_reference(document)
    assert len(reference) == 200 and reference.endswith(f"… (norm 3, sha256:{sha})")


def test_the_upload_folder_keeps_complete_files_under_their_checksum(tmp_path: Path) -> None:
    files = DocumentFiles(tmp_path / "uploads", max_bytes=64)
    incoming = files.incoming()
    incoming.write(PDF_BYTES)
    assert stat.S_IMODE(incoming.path.stat().st_mode) == 0o600
    sha = incoming.keep()
    assert sha == hashlib.sha256(PDF_BYTES).hexdigest() and files.read(sha) == PDF_BYTES
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    assert stat.S_IMODE(files.path_of(sha).stat().st_mode) == 0o600
    again = files.incoming()
    again.write(PDF_BYTES)
    assert again.keep() == sha  # the same bytes: one file
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [sha]
    too_big = files.incoming()
    too_big.write(b"x" * 64)
    with pytest.raises(TooLarge):
        too_big.write(b"x")
    assert not too_big.path.exists()  # nothing of it kept
    with pytest.raises(ValueError):
        files.path_of("../../etc/passwd")


def test_an_existing_folder_is_narrowed_to_0700(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    DocumentFiles(folder, 10).ensure()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def _reader_app(files: DocumentFiles, seen: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/portaal/T-1/zelfevaluatie")
    async def upload(request: Request) -> dict[str, Any]:
        try:
            posted = await read_form(request, files)
        except Problem as problem:
            return {"problem": problem.status}
        seen["posted"] = posted
        return {"fields": posted.fields, "files": [(f.file_name, f.too_large, f.empty) for f in posted.files]}

    install_middleware(
        app, max_body_bytes=1024, docs_prefix="/api/docs",
        larger_bodies=[(re.compile(r"/portaal/[^/]+/zelfevaluatie"), 4096)],
    )  # fmt: skip
    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any], Path]]:
    seen: dict[str, Any] = {}
    folder = tmp_path / "uploads"
    app = _reader_app(DocumentFiles(folder, max_bytes=100), seen)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http, seen, folder


async def test_the_reader_counts_each_file_against_the_limit_as_it_streams(
    client: tuple[httpx.AsyncClient, dict[str, Any], Path],
) -> None:
    http, seen, folder = client
    answer = await http.post(
        "/portaal/T-1/zelfevaluatie",
        data={"actie": "bewaren", "a.1.a": "ja"},
        files=[
            ("document.1", ("klein.pdf", PDF_BYTES, "application/pdf")),
            ("document.1", ("groot.pdf", b"x" * 101, "application/pdf")),
            ("document.3", ("leeg.pdf", b"", "application/pdf")),
        ],
    )
    assert answer.json() == {
        "fields": {"actie": ["bewaren"], "a.1.a": ["ja"]},
        "files": [["klein.pdf", False, False], ["groot.pdf", True, False], ["leeg.pdf", False, True]],
    }
    incoming = [p.name for p in folder.iterdir()]
    assert len(incoming) == 1 and incoming[0].startswith(".incoming-")  # only the small one, not yet kept
    seen["posted"].discard()
    assert list(folder.iterdir()) == []


async def test_the_upload_path_alone_has_the_larger_body_limit(
    client: tuple[httpx.AsyncClient, dict[str, Any], Path],
) -> None:
    http, _, _ = client
    body = [("document.1", ("a.pdf", b"x" * 2000, "application/pdf"))]
    assert (await http.post("/portaal/T-1/zelfevaluatie", files=body)).status_code == 200  # over 1024, under 4096
    assert (await http.post("/andere/pagina", files=body)).status_code == 413
    huge = [("document.1", ("a.pdf", b"x" * 5000, "application/pdf"))]
    assert (await http.post("/portaal/T-1/zelfevaluatie", files=huge)).status_code == 413


async def test_too_many_files_in_one_post_are_flagged(client: tuple[httpx.AsyncClient, dict[str, Any], Path]) -> None:
    http, seen, _ = client
    many = [("document.1", (f"{n}.pdf", PDF_BYTES, "application/pdf")) for n in range(MAX_FILES + 1)]
    assert (await http.post("/portaal/T-1/zelfevaluatie", files=many)).status_code == 200
    assert seen["posted"].too_many_files and len(seen["posted"].files) == MAX_FILES
    seen["posted"].discard()


async def test_a_broken_body_is_refused_and_leaves_nothing(
    client: tuple[httpx.AsyncClient, dict[str, Any], Path],
) -> None:
    http, _, folder = client
    answer = await http.post(
        "/portaal/T-1/zelfevaluatie",
        content=b'--grens\r\nContent-Disposition: form-data; name="document.1"; filename="a.pdf"\r\n\r\n%PDF-',
        headers={"content-type": "multipart/form-data; boundary=grens"},
    )
    assert answer.json() == {"problem": 400}
    assert not folder.exists() or list(folder.iterdir()) == []
