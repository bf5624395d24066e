"""The audit calendar: every audit by week or by month, for all auditors or one, today marked.

`GET /kalender?weergave=week|maand&datum=YYYY-MM-DD&auditor=...` reads the calendar read model (the one
the agenda feeds read: `projections.calendar`), so a cancelled audit shows as cancelled and a granted
postponement with a new date shows on its new day. Previous, today and next are plain links, the
auditor a plain GET form: all of it works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from application.calendar_feed import AuditEntry
from domain.calendar import add_months
from domain.dutch import ROUND_NAMES
from interfaces.http.deps import Runtime
from interfaces.web.errors import WebRoute
from interfaces.web.planner_common import StaffViewer, today
from interfaces.web.render import MONTHS, render
from projections.calendar import auditor_names, audits_between

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/kalender"
View = Literal["week", "maand"]
SHORT_WEEKDAYS = (("ma", "maandag"), ("di", "dinsdag"), ("wo", "woensdag"), ("do", "donderdag"),
                  ("vr", "vrijdag"), ("za", "zaterdag"), ("zo", "zondag"))  # fmt: skip
ROUND_KINDS = {kind.value: name for kind, name in ROUND_NAMES.items()}
Name = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
MONTH_ITEMS_PER_DAY = 4
"""A month's day shows this many audits, then "+K meer" to its week: a cell of 25 names is read by
nobody (the week, or one auditor's month, shows them all), and each shown item costs the page's render."""


@dataclass(frozen=True)
class CalendarItem:
    """One audit on one of its days."""

    trajectory_id: str
    organisation: str
    certificate_number: str
    kind: str
    auditors: str
    status: str
    day_of: str  # "dag 1 van 2" for an audit of several days, else ""

    @property
    def cancelled(self) -> bool:
        return self.status == "geannuleerd"


@dataclass
class CalendarDay:
    day: date
    in_period: bool
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)
    hidden: int = 0  # audits of this day not shown (the month view): "+K meer", a link to its week
    more_url: str = ""


def _status(entry: AuditEntry, held: bool) -> str:
    if entry.cancelled:
        return "geannuleerd"
    return "gehouden" if held else "gepland"


def _item(entry: AuditEntry, held: bool, n: int) -> CalendarItem:
    """The audit on its `n`-th day."""
    count = len(entry.audit_dates)
    return CalendarItem(
        trajectory_id=entry.trajectory_id,
        organisation=entry.organisation,
        certificate_number=entry.certificate_number,
        kind=ROUND_KINDS.get(entry.round_kind, entry.round_kind),
        auditors=", ".join(a for a in (entry.expert_auditor, entry.peer_auditor) if a),
        status=_status(entry, held),
        day_of=f"dag {n} van {count}" if count > 1 else "",
    )


def period_of(view: View, anchor: date) -> tuple[date, date, date, date]:
    """(first, last) day of the period around `anchor`, and the grid's (first, last): whole weeks."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6), first, first + timedelta(days=6)
    first = anchor.replace(day=1)
    last = add_months(first, 1) - timedelta(days=1)
    return first, last, first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def lay_out(
    entries: Iterable[tuple[AuditEntry, bool]], view: View, anchor: date, now: date, auditor: str | None
) -> tuple[list[CalendarDay], int]:
    """The grid's days with their audits (at most `MONTH_ITEMS_PER_DAY` a day in a month, the rest
    counted and linked to the day's week), and the number of audit days in the period itself."""
    first, last, grid_first, grid_last = period_of(view, anchor)
    days: dict[date, CalendarDay] = {}
    for n in range((grid_last - grid_first).days + 1):
        day = grid_first + timedelta(days=n)
        days[day] = CalendarDay(day, first <= day <= last, day == now)
    limit = MONTH_ITEMS_PER_DAY if view == "maand" else None
    shown = 0
    for entry, held in entries:
        for n, day in enumerate(entry.audit_dates, start=1):
            cell = days.get(day)
            if cell is None:
                continue
            if limit is not None and len(cell.items) >= limit:
                cell.hidden += 1  # counted, not built: a month of a large calendar hides thousands
            else:
                cell.items.append(_item(entry, held, n))
            shown += first <= day <= last
    for cell in days.values():
        if cell.hidden:
            cell.more_url = link("week", cell.day, auditor)
    return list(days.values()), shown


def neighbours(view: View, anchor: date) -> tuple[date, date]:
    """The anchors of the previous and the next period."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first - timedelta(days=7), first + timedelta(days=7)
    first = anchor.replace(day=1)
    return add_months(first, -1), add_months(first, 1)


def title_of(view: View, first: date, last: date) -> str:
    if view == "maand":
        return f"{MONTHS[first.month - 1]} {first.year}"
    week = first.isocalendar().week
    if first.month == last.month:
        span = f"{first.day} t/m {last.day} {MONTHS[last.month - 1]} {last.year}"
    elif first.year == last.year:
        span = f"{first.day} {MONTHS[first.month - 1]} t/m {last.day} {MONTHS[last.month - 1]} {last.year}"
    else:
        span = f"{first.day} {MONTHS[first.month - 1]} {first.year} t/m {last.day} {MONTHS[last.month - 1]} {last.year}"
    return f"Week {week}: {span}"


def link(view: View, anchor: date | None, auditor: str | None) -> str:
    params: list[tuple[str, str]] = [("weergave", view)]
    if anchor is not None:
        params.append(("datum", anchor.isoformat()))
    if auditor:
        params.append(("auditor", auditor))
    return f"{PAGE}?{urlencode(params)}"


@router.get(PAGE)
async def calendar_page(
    request: Request,
    viewer: StaffViewer,
    app: Runtime,
    weergave: View = "week",
    datum: date | None = None,
    auditor: Name = None,
) -> Response:
    now = await today(app)
    anchor = datum or now
    auditor = auditor or None
    first, last, grid_first, grid_last = period_of(weergave, anchor)
    entries = await audits_between(app.pool, grid_first, grid_last, auditor=auditor)
    days, shown = lay_out(entries, weergave, anchor, now, auditor)
    previous, following = neighbours(weergave, anchor)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    return await render(
        request,
        "calendar.html",
        viewer=viewer,
        view=weergave,
        title=title_of(weergave, first, last),
        weeks=weeks,
        days=days,
        weekdays=SHORT_WEEKDAYS,
        shown=shown,
        auditor=auditor,
        auditors=await auditor_names(app.pool),
        anchor=anchor,
        today_date=now,
        previous_url=link(weergave, previous, auditor),
        next_url=link(weergave, following, auditor),
        today_url=link(weergave, None, auditor),
        week_url=link("week", anchor, auditor),
        month_url=link("maand", anchor, auditor),
        unit="week" if weergave == "week" else "maand",
    )
