"""Agenda-feeds (iCalendar) op geheime URL's.

A signed-in user makes a feed (`POST /api/feeds`) and gets its URL once: `/feeds/{token}.ics`, which a
calendar app fetches without signing in. What the feed shows is scoped by the principal it was made for:
planners, the director, ops and admin every audit; an auditor the audits naming them (expert or peer);
an auditee its own organisation's audits and the deadlines it has to meet, nothing of another. An
unknown or revoked token is a 404 that says nothing more. `GET /api/feeds` lists the caller's feeds
(never a token), `DELETE /api/feeds/{id}` revokes one.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from application.access import STAFF, Principal, Role
from application.calendar_feed import DeadlineEntry, build_calendar
from application.feed_subscriptions import create_feed, revoke_feed, token_hash
from domain.calendar import local_date
from infrastructure.logging import get_logger
from interfaces.http.deps import Runtime, Signed
from interfaces.http.problems import Problem, not_found, unavailable
from interfaces.http.query_models import problem_responses
from projections import calendar as calendar_model
from projections import feed_tokens
from projections.accounts import principal_of
from projections.registry import FEED_TOKENS

log = get_logger(__name__)
router = APIRouter(tags=["agenda"])

MEDIA_TYPE = "text/calendar; charset=utf-8"
HISTORY = timedelta(days=180)
"""How far back a feed shows audits (it shows every audit ahead); deadlines only from today on."""
MAX_FEEDS = 20
"""Live feeds one account may have (each is an event; a script gone wrong stops here)."""
BUILT_KEPT = 32
"""Feeds kept built (by content), so a calendar app's polling costs a few queries, not a rebuild."""
_built: OrderedDict[str, bytes] = OrderedDict()
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes, URL-safe base64 without padding
_FEED_ID = r"^[0-9a-f]{32}$"


class FeedOut(BaseModel):
    """A feed of the caller (without its token: that is shown once, when it is made)."""

    id: str = Field(examples=["3f2c9a0e5b7d4c1e8a6f0b2d4c6e8a0f"])
    role: str = Field(description="De rol waarvoor de feed gemaakt is.", examples=["auditor"])
    name: str = Field(description="De naam waarvoor de feed gemaakt is.", examples=["Ellen Expert"])
    organisation: str | None = Field(description="Certificaatnummer (alleen voor een auditee).", examples=[None])
    created_at: datetime


class NewFeedOut(FeedOut):
    url: str = Field(
        description="De geheime URL om in een agenda-app te abonneren. Alleen nu zichtbaar: bewaar hem.",
        examples=["https://cbct.example.nl/feeds/q7yR8b5...k2s.ics"],
    )


def _out(feed: feed_tokens.Feed) -> FeedOut:
    return FeedOut(
        id=feed.feed_id,
        role=feed.role,
        name=feed.display_name,
        organisation=feed.organisation,
        created_at=feed.created_at,
    )


def _check_may_subscribe(principal: Principal) -> None:
    if principal.role is Role.AUDITEE and not principal.organisation:
        raise Problem(403, "Uw account hoort bij geen organisatie; een agenda-feed kan niet.")


@router.post(
    "/api/feeds",
    status_code=201,
    response_model=NewFeedOut,
    summary="Maak een agenda-feed (geheime URL)",
    responses=problem_responses(
        401, 403, 409, described={403: "Niet toegestaan.", 409: "Al het maximum aantal feeds."}
    ),
)
async def create(request: Request, runtime: Runtime, principal: Signed) -> NewFeedOut:
    """Een nieuwe agenda-feed voor u: de URL is geheim en wordt maar één keer getoond."""
    _check_may_subscribe(principal)
    if len(await feed_tokens.feeds_of(runtime.pool, principal.account_id)) >= MAX_FEEDS:
        raise Problem(
            409,
            f"U heeft al {MAX_FEEDS} agenda-feeds; trek er eerst een in.",
            rule="feeds.too_many",
        )
    now = await runtime.clock.now()
    made = await create_feed(runtime.store, principal, now)
    await runtime.projections.catch_up(FEED_TOKENS)  # the URL works as soon as it is handed out
    url = str(request.url_for("calendar_feed", token=made.token))
    return NewFeedOut(
        id=made.feed_id,
        role=principal.role.value,
        name=principal.display_name,
        organisation=principal.organisation,
        created_at=now,
        url=url,
    )


@router.get("/api/feeds", response_model=list[FeedOut], summary="Uw agenda-feeds", responses=problem_responses(401))
async def list_feeds(runtime: Runtime, principal: Signed) -> list[FeedOut]:
    """Uw agenda-feeds die nog werken (zonder hun geheime URL)."""
    return [_out(feed) for feed in await feed_tokens.feeds_of(runtime.pool, principal.account_id)]


@router.delete(
    "/api/feeds/{feed_id}",
    status_code=204,
    summary="Trek een agenda-feed in",
    responses=problem_responses(401, 403, 404, 422, described={404: "Onbekend, of niet van u."}),
)
async def revoke(runtime: Runtime, principal: Signed, feed_id: Annotated[str, Path(pattern=_FEED_ID)]) -> Response:
    """Trek een agenda-feed in: de URL werkt daarna niet meer (404)."""
    feed = await feed_tokens.feed(runtime.pool, feed_id)
    if feed is None or feed.account_id != principal.account_id:
        raise not_found()
    if feed.revoked_at is None:
        await revoke_feed(runtime.store, feed_id, principal, await runtime.clock.now())
        await runtime.projections.catch_up(FEED_TOKENS)
    return Response(status_code=204)


async def feed_principal(runtime: Any, feed: feed_tokens.Feed) -> Principal | None:
    """The principal a feed shows the calendar of, or None when it may no longer see anything.

    THE ONE PLACE that decides whether a feed still works beyond its token (not revoked): its account
    must still be active (`projections.accounts.principal_of`, None when disabled or unknown) and still
    have the role, name and organisation the feed was made for; a changed account needs a new feed.
    """
    snapshot = feed.principal()
    if snapshot is None:
        return None
    current = await principal_of(runtime.pool, feed.account_id)
    if current is None:
        return None
    if (current.role, current.display_name, current.organisation) != (
        snapshot.role,
        snapshot.display_name,
        snapshot.organisation,
    ):
        return None
    return snapshot


@router.get(
    "/feeds/{token}.ics",
    name="calendar_feed",
    summary="Agenda-feed (iCalendar) bij een geheime URL",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "De agenda (iCalendar, RFC 5545)"},
        304: {"description": "Ongewijzigd sinds de `ETag` van `If-None-Match`."},
        **problem_responses(404, 422, 503, described={404: "Onbekend of ingetrokken."}),
    },
)
async def calendar_feed(request: Request, runtime: Runtime, token: str) -> Response:
    """De agenda van de feed: audits (en voor een auditee ook de eigen deadlines), tijden in Europe/Amsterdam."""
    if not _TOKEN.match(token):
        raise not_found()
    body, etag = await _feed_or_problem(runtime, token)
    headers = {
        "Cache-Control": "private, no-cache",
        "ETag": etag,
        "Content-Disposition": 'inline; filename="cbct.ics"',
        "X-Content-Type-Options": "nosniff",
    }
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


async def _feed_or_problem(runtime: Any, token: str) -> tuple[bytes, str]:
    """The feed of `token`, or a Problem. The path holds a secret, so no failure here reaches the
    app-wide handlers that log the path: a database away is a 503, a bug a 500, each logged by feed id."""
    feed_id = None
    try:
        feed = await feed_tokens.feed_by_token(runtime.pool, token_hash(token))
        if feed is None:
            raise not_found()
        feed_id = feed.feed_id
        principal = await feed_principal(runtime, feed)
        if principal is None:
            raise not_found()
        return await _calendar(runtime, principal, await runtime.clock.now())
    except Problem:
        raise
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as error:
        log.warning("feed_unavailable", feed_id=feed_id, error=type(error).__name__)
        raise unavailable("De agenda is even niet beschikbaar; uw agenda-app probeert het later opnieuw.") from None
    except Exception as error:
        log.error("feed_failed", feed_id=feed_id, error=repr(error))
        raise Problem(500, "Er ging iets mis aan onze kant; het is gelogd.") from None


async def _calendar(runtime: Any, principal: Principal, now: datetime) -> tuple[bytes, str]:
    """The feed's bytes and its ETag; built once per distinct content (icalendar takes ~0.3 ms an
    event), off the event loop, and reused while the read model and the day stay the same."""
    today = local_date(now)
    since = today - HISTORY
    pool = runtime.pool
    deadlines: list[DeadlineEntry] = []
    if principal.role in STAFF:
        name, audits = "CBCT: audits", await calendar_model.audits(pool, since=since)
    elif principal.role is Role.AUDITOR:
        name = f"CBCT: audits van {principal.display_name}"
        audits = await calendar_model.audits(pool, since=since, auditor=principal.display_name)
    elif principal.role is Role.AUDITEE and principal.organisation:
        number = principal.organisation
        name = f"Kwaliteit in Beeld: audits en deadlines ({number})"
        audits = await calendar_model.audits(pool, since=since, certificate_number=number)
        deadlines = await calendar_model.auditee_deadlines(pool, number, since=today)
    else:
        name, audits = "CBCT", []
    stamp = now.astimezone(UTC).date()  # what of `now` the calendar shows (the deadlines' DTSTAMP day)
    key = hashlib.sha256(repr((name, stamp, audits, deadlines)).encode()).hexdigest()
    body = _built.get(key)
    if body is None:
        body = await asyncio.to_thread(build_calendar, name, audits, deadlines, now=now)
        _built[key] = body
        while len(_built) > BUILT_KEPT:
            _built.popitem(last=False)
    else:
        _built.move_to_end(key)
    return body, f'"{key[:32]}"'
