"""The answer cache keeps at most its count and its bytes, least recently used out, and no huge answer."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from pydantic import BaseModel

from application.access import Principal, Role
from interfaces.http.answer_cache import AnswerCache

PLANNER = Principal("anna", "Anna Planner", Role.PLANNER)
TODAY = date(2026, 1, 10)


class Body(BaseModel):
    text: str


class Pool:
    version = "overview=1.1@t"

    async def fetchval(self, sql: str) -> str:
        return self.version


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/trajectories", "query_string": query.encode(),
                    "headers": [], "app": None})  # fmt: skip


async def test_the_cache_keeps_its_bytes_and_count_and_never_one_huge_answer() -> None:
    cache, pool, made = AnswerCache(size=3, size_bytes=400), Pool(), []

    async def ask(query: str, size: int) -> bytes:
        async def make() -> Body:
            made.append(query)
            return Body(text="x" * size)

        return bytes((await cache.answer(_request(query), pool, PLANNER, TODAY, make)).body)

    assert await ask("a", 50) == await ask("a", 50) and made == ["a"]  # kept: made once
    await ask("b", 50)
    await ask("c", 50)
    await ask("d", 50)  # a fourth: the least recently used ("a") goes
    await ask("a", 50)
    assert made == ["a", "b", "c", "d", "a"]
    assert cache.kept_bytes <= 400
    await ask("big", 150)  # more than a quarter of the bytes: answered, never kept
    await ask("big", 150)
    assert made.count("big") == 2
    await ask("e", 90)
    await ask("f", 90)
    await ask("g", 90)  # 3 x 100 bytes of JSON and the count: what came before is out
    assert cache.kept_bytes <= 400
    pool.version = "overview=2.7@u"  # a projection moved: everything is made again
    await ask("g", 90)
    assert made[-1] == "g" and made.count("g") == 2
