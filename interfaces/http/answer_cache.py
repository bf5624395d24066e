"""A read answer kept while the read models stand still.

The trajectory list and the register are read far more often than anything changes them: a planner's
tool polls the list, a dashboard the register, while a day brings a few dozen events. Every read model
changes only with its projection's checkpoint, in the same transaction (`projections.runner`), so
the checkpoints are an exact version of everything the read models hold: one small query tells whether
the answer given before still stands. Serving it again skips the query, building the models and the JSON,
most of what such a read costs `cbct serve` (bench/http.py).

The answer is kept per question (path and query string) and per asker (the principal, whose scope decides
what the answer holds), and per day in Amsterdam (the register says what holds today). The checkpoints are
read before the answer is made, so what is kept is never older than its version. An answer that time
changes as well (one trajectory: its deadlines fall due, count days overdue) says until when it holds
(`Timed`), and is made again from that moment. The version is also the answer's ETag: a client that
sends it back (`If-None-Match`) gets 304 and no body.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from application.access import Principal

KEPT = 4096
"""Answers kept (least recently used out): every open trajectory's page for a few people, and their lists.
Fewer than the trajectories people page through would keep none of them (least recently used: each is
pushed out just before it is asked again)."""
KEPT_BYTES = 64 << 20
"""And at most this many bytes of them (a register of 25,000 certificates is about 5 MB)."""

VERSION_SQL = """
SELECT coalesce(string_agg(name || '=' || transaction_id || '.' || position || '@' || updated_at, ','
                           ORDER BY name), '')
  FROM projection_checkpoints
"""
"""Every projection's place, and when it last moved (a rebuild that ends where it began moves it too)."""


@dataclass(frozen=True)
class Timed:
    """An answer that time alone changes too (a deadline falls due): exact until `until`, exclusive."""

    answer: BaseModel
    until: datetime


class _Kept(NamedTuple):
    """One kept answer: the read models' version and the moment (if any) it was made for until."""

    version: str
    until: datetime | None
    body: bytes


class AnswerCache:
    """Serialized read answers of one HTTP app, each with the read models' version it was made at."""

    def __init__(self, size: int = KEPT, size_bytes: int = KEPT_BYTES) -> None:
        self._size, self._size_bytes, self._bytes = size, size_bytes, 0
        self._kept: OrderedDict[tuple[Any, ...], _Kept] = OrderedDict()

    async def answer(
        self,
        request: Request,
        pool: Any,
        principal: Principal,
        today: date,
        make: Callable[[], Awaitable[BaseModel | Timed]],
        *,
        now: datetime | None = None,
    ) -> Response:
        """The JSON of `make()`, or the same bytes as before when no read model moved since (and, for a
        `Timed` answer, `now` is still before its `until`)."""
        version: str = await pool.fetchval(VERSION_SQL)
        key = (request.url.path, request.url.query, principal, today)
        kept = self._kept.get(key)
        if (
            kept is not None
            and kept.version == version
            and (kept.until is None or (now is not None and now < kept.until))
        ):
            self._kept.move_to_end(key)
        else:
            made = await make()
            model, until = (made.answer, made.until) if isinstance(made, Timed) else (made, None)
            kept = _Kept(version, until, model.model_dump_json(by_alias=True).encode())
            self._keep(key, kept)
        tag = 'W/"' + hashlib.sha256(repr((key, version, kept.until)).encode()).hexdigest()[:32] + '"'
        headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
        if tag in _tags(request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        return Response(kept.body, media_type="application/json", headers=headers)

    def _keep(self, key: tuple[Any, ...], kept: _Kept) -> None:
        replaced = self._kept.pop(key, None)
        if replaced is not None:
            self._bytes -= len(replaced.body)
        if len(kept.body) > self._size_bytes // 4:
            return  # one huge answer would push out everyone's
        self._kept[key] = kept
        self._bytes += len(kept.body)
        while len(self._kept) > self._size or self._bytes > self._size_bytes:
            _, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)

    @property
    def kept_bytes(self) -> int:
        return self._bytes


def _tags(header: str | None) -> set[str]:
    return {part.strip() for part in header.split(",")} if header else set()


def answers(request: Request) -> AnswerCache:
    """The HTTP app's cache (made with the app's first cached answer)."""
    state = request.app.state
    cache: AnswerCache | None = getattr(state, "answers", None)
    if cache is None:
        cache = state.answers = AnswerCache()
    return cache
