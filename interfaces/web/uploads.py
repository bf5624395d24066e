"""Reading a multipart form with files as it streams in, with the limits enforced while it arrives.

Starlette's `request.form()` would first spool every file to a temporary file of its own, whatever its
size; here each file goes straight into the upload folder's temporary file (`DocumentFiles.incoming`),
hashed and counted, and a file that passes the limit is dropped at once (the rest of its bytes are read
and thrown away, so the browser still gets the page with the explanation rather than a broken
connection). The body as a whole is bounded by the platform middleware (`larger_bodies`).

The CSRF token is checked inside the stream: the form puts it first, and no file is written before it
was found valid (a form from another site stores nothing). So the routes that read a body this way are
marked `StreamedForm` and skipped by the generic check (`identity.check_csrf`), which would read the
whole body first.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from application.account_service import csrf_matches
from infrastructure.document_files import DocumentFiles, Incoming, TooLarge
from interfaces.http.auth import SESSION_COOKIE
from interfaces.http.problems import Problem
from interfaces.web.errors import WebRoute
from interfaces.web.identity import CSRF_FIELD

MAX_FIELDS = 500
MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 5
"""Files one form post may carry (each up to the upload limit); the page says so."""
STALE_FORM = "Dit formulier is verlopen of niet van deze sessie. Laad de pagina opnieuw en probeer het nog eens."
BROKEN = "Het formulier kwam niet goed aan. Probeer het nog eens."


class StreamedForm(WebRoute):
    """A page route that reads its own multipart body (and checks its CSRF token in it)."""

    reads_own_body = True


@dataclass
class Received:
    """A file part of the form: its input's name, the user's file name, and the upload (None when it was
    refused for its size: `too_large`)."""

    field_name: str
    file_name: str
    upload: Incoming | None
    too_large: bool = False

    @property
    def empty(self) -> bool:
        return self.upload is None and not self.too_large


@dataclass
class Posted:
    """The form's text fields (a `getlist` mapping, like Starlette's `FormData`) and its files."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[Received] = field(default_factory=list)
    too_many_files: bool = False

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def discard(self) -> None:
        """Delete every file that came in (the caller keeps none of them)."""
        for received in self.files:
            if received.upload is not None:
                received.upload.discard()


class _Reader:
    def __init__(self, files: DocumentFiles, charset: str, csrf_check: Callable[[str], bool] | None) -> None:
        self.files = files
        self.charset = charset
        self.csrf_check = csrf_check
        self.csrf_ok = csrf_check is None
        self.posted = Posted()
        self.ended = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._data = bytearray()
        self._file: Received | None = None
        self._is_file = False
        self._fields = 0

    def _decode(self, raw: bytes) -> str:
        return raw.decode(self.charset, errors="replace")

    def on_part_begin(self) -> None:
        self._disposition, self._data, self._file, self._is_file = b"", bytearray(), None, False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > 4096:
            raise Problem(400, BROKEN)

    def on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise Problem(400, BROKEN)
        self._name = self._decode(options[b"name"])
        if b"filename" in options:
            if not self.csrf_ok:  # no file is written before the form was found to be this session's
                raise Problem(403, STALE_FORM)
            self._is_file = True
            self._file = Received(self._name, self._decode(options[b"filename"]), None)
        else:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                raise Problem(400, BROKEN)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self._is_file:
            self._data += chunk
            if len(self._data) > MAX_FIELD_BYTES:
                raise Problem(400, BROKEN)
            return
        received = self._file
        if received is None or received.too_large or not chunk:
            return
        if received.upload is None:
            if sum(1 for f in self.posted.files if f.upload is not None) >= MAX_FILES:
                self.posted.too_many_files = True
                self._file = None
                return
            received.upload = self.files.incoming()
        try:
            received.upload.write(chunk)
        except TooLarge:
            received.upload, received.too_large = None, True

    def on_part_end(self) -> None:
        if self._is_file:
            received = self._file
            if received is not None and (not received.empty or received.file_name):
                self.posted.files.append(received)  # an input with nothing chosen sends no name and no bytes
            return
        value = self._decode(bytes(self._data))
        if self._name == CSRF_FIELD and self.csrf_check is not None:
            self.csrf_ok = self.csrf_check(value)
            if not self.csrf_ok:
                raise Problem(403, STALE_FORM)
        self.posted.fields.setdefault(self._name, []).append(value)

    def on_end(self) -> None:
        self.ended = True


async def read_form(request: Request, files: DocumentFiles) -> Posted:
    """The multipart form of `request`, its files in the upload folder's temporary files.

    Raises `Problem` 403 for a form of another session (nothing kept), 400 for a body that is no
    well-formed multipart form; a file over the limit is listed with `too_large` and not kept.
    The caller keeps the files it accepts (`Incoming.keep`) and discards the others.
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise Problem(400, BROKEN)
    charset = "utf-8"
    with contextlib.suppress(LookupError):
        charset = codecs.lookup(options.get(b"charset", b"utf-8").decode("latin-1")).name
    cookie = request.cookies.get(SESSION_COOKIE)
    check: Callable[[str], bool] | None = None
    if cookie:  # a session (cookie) must prove the form is its own; an API token needs no CSRF token

        def check(value: str) -> bool:
            return bool(value) and csrf_matches(cookie, value)

    reader = _Reader(files, charset, check)
    callbacks = {
        "on_part_begin": reader.on_part_begin,
        "on_part_data": reader.on_part_data,
        "on_part_end": reader.on_part_end,
        "on_header_field": reader.on_header_field,
        "on_header_value": reader.on_header_value,
        "on_header_end": reader.on_header_end,
        "on_headers_finished": reader.on_headers_finished,
        "on_end": reader.on_end,
    }
    try:
        parser = MultipartParser(options[b"boundary"], callbacks)  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if not reader.ended:
            raise Problem(400, BROKEN)
        if not reader.csrf_ok:
            raise Problem(403, STALE_FORM)
    except BaseException as error:
        reader.posted.discard()
        if reader._file is not None and reader._file.upload is not None:
            reader._file.upload.discard()
        if isinstance(error, MultipartParseError):
            raise Problem(400, BROKEN) from None
        raise
    return reader.posted
