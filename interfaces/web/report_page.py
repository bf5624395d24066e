"""The period report (hoofdlijnenrapportage) as a page: its charts and tables, and its PDF, DOCX and XLSX.

`GET /rapportage?van=...&tot=...&peildatum=...` computes the report exactly as `GET /api/reports/period`
does (the same fold of the events up to the end of the peildatum, one report at a time per process:
`interfaces.http.queries._heavy`), draws its charts as PNG with the report's own matplotlib code
(`application.reports.write_charts`, as the PDF and DOCX place them) and lists its tables
(`report_tables`). The charts are served from `/rapportage/grafieken/{key}.png` with the same period:
the last few reports are kept per application (`KEPT`), each with the event store's head it was made at,
so the page's charts cost no second fold; a report as of today is made again once anything happened
(one as of a past peildatum cannot change: `application.reports.as_of`).
The downloads are the API's own: `/api/reports/period?...&format=pdf|docx|xlsx|csv`.
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from application.access import Principal, Role
from application.reports import PeriodReport, compute, write_charts
from application.reports.render import dutch
from application.reports.tables import ReportTable, report_tables
from interfaces.http.deps import Runtime
from interfaces.http.problems import not_found
from interfaces.http.queries import MAX_REPORT_DAYS, facts_at, one_heavy_read
from interfaces.web.errors import WebRoute
from interfaces.web.identity import role_in
from interfaces.web.planner_common import today
from interfaces.web.render import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/rapportage"
CHART = "/rapportage/grafieken/{key}.png"
READERS = (Role.PLANNER, Role.DIRECTOR, Role.ADMIN)
"""Who may read the report (as `GET /api/reports/period`)."""
ReportViewer = Annotated[Principal, role_in(*READERS)]
Text = Annotated[str | None, Query(max_length=20)]
KEPT = 4
DOWNLOADS = (("pdf", "PDF"), ("docx", "Word (DOCX)"), ("xlsx", "Excel (XLSX)"), ("csv", "CSV"))
LABELS = {"van": "Van", "tot": "Tot en met", "peildatum": "Peildatum"}


@dataclass(frozen=True)
class Built:
    """A computed report with its charts (key → title and PNG), and the store's head it was made at."""

    report: PeriodReport
    charts: dict[str, tuple[str, bytes]]
    head: object


Kept = OrderedDict[tuple[date, date, date], Built]


@dataclass(frozen=True)
class Period:
    """The period asked for, as typed, with a Dutch error per field (the API's rules)."""

    date_from: date
    date_to: date
    peildatum: date
    typed: dict[str, str]
    errors: dict[str, str]

    @property
    def key(self) -> tuple[date, date, date]:
        return (self.date_from, self.date_to, self.peildatum)

    def query(self, **extra: str) -> str:
        return urlencode({"van": self.date_from.isoformat(), "tot": self.date_to.isoformat(),
                          "peildatum": self.peildatum.isoformat(), **extra})  # fmt: skip

    def api_url(self, fmt: str) -> str:
        params = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                  "peildatum": self.peildatum.isoformat(), "format": fmt}  # fmt: skip
        return f"/api/reports/period?{urlencode(params)}"


def read_period(van: str | None, tot: str | None, peildatum: str | None, now: date) -> Period:
    """The period (by default the last four calendar years up to today, peildatum today), checked."""
    defaults = {"van": date(now.year - 3, 1, 1), "tot": now, "peildatum": now}
    typed = {"van": van or "", "tot": tot or "", "peildatum": peildatum or ""}
    values: dict[str, date] = {}
    errors: dict[str, str] = {}
    for name, text in typed.items():
        if not text.strip():
            values[name] = defaults[name]
            continue
        try:
            values[name] = date.fromisoformat(text.strip())
        except ValueError:
            errors[name] = "Vul een datum in (dag, maand en jaar)."
            values[name] = defaults[name]
    if not errors:
        if values["van"] > values["tot"]:
            errors["tot"] = "Het einde van de periode ligt vóór het begin."
        elif (values["tot"] - values["van"]).days > MAX_REPORT_DAYS:
            errors["tot"] = "Een rapport beslaat hoogstens tien jaar."
        elif values["peildatum"] < values["van"]:
            errors["peildatum"] = "De peildatum ligt vóór het begin van de periode."
    shown = {name: typed[name] if name in errors else values[name].isoformat() for name in typed}
    return Period(values["van"], values["tot"], values["peildatum"], shown, errors)


def _draw(report: PeriodReport) -> dict[str, tuple[str, bytes]]:
    """The report's charts as PNG bytes, drawn into a private scratch folder (0700, removed after)."""
    with tempfile.TemporaryDirectory(prefix="cbct-grafieken-") as scratch:
        return {c.key: (c.title, c.png.read_bytes()) for c in write_charts(report, scratch, svg=False)}


def _kept_reports(request: Request) -> Kept:
    """This application's last reports (not the process's: one process may serve several)."""
    kept: Kept | None = getattr(request.app.state, "planner_reports", None)
    if kept is None:
        kept = request.app.state.planner_reports = OrderedDict()
    return kept


def _kept(kept: Kept, key: tuple[date, date, date], head: object | None) -> Built | None:
    """The kept report for `key`: any (for its charts, `head` None), or only one made at `head`."""
    found = kept.get(key)
    if found is None or (head is not None and found.head != head):
        return None
    kept.move_to_end(key)
    return found


async def built(request: Request, app: Any, period: Period, *, for_charts: bool = False) -> Built:
    """The report for `period` with its charts: kept (made at the store's present head, or any for a past
    peildatum or for the charts), or computed now, one at a time per process."""
    kept = _kept_reports(request)
    any_will_do = for_charts or period.peildatum < await today(app)  # a past peildatum's report cannot change
    head = await app.store.head()
    found = _kept(kept, period.key, None if any_will_do else head)
    if found is not None:
        return found
    async with one_heavy_read(request):
        head = await app.store.head()
        found = _kept(kept, period.key, None if any_will_do else head)  # made while this one waited its turn
        if found is not None:
            return found
        facts = await facts_at(app, period.peildatum)
        report = await run_in_threadpool(compute, facts, period.date_from, period.date_to, period.peildatum)
        charts = await run_in_threadpool(_draw, report)
    made = Built(report, charts, head)
    kept[period.key] = made
    kept.move_to_end(period.key)
    while len(kept) > KEPT:
        kept.popitem(last=False)
    return made


def shown_tables(report: PeriodReport) -> list[ReportTable]:
    """The report's tables without its appendix (the register, which has its own page)."""
    return [t for t in report_tables(report) if not t.key.startswith("bijlage")]


@router.get(PAGE)
async def report_page(
    request: Request, viewer: ReportViewer, app: Runtime, van: Text = None, tot: Text = None, peildatum: Text = None
) -> Response:
    period = read_period(van, tot, peildatum, await today(app))
    the_report = None if period.errors else await built(request, app, period)
    return await render(
        request,
        "report.html",
        status=422 if period.errors else 200,
        viewer=viewer,
        period=period,
        labels=LABELS,
        built=the_report,
        tables=shown_tables(the_report.report) if the_report else [],
        cell=dutch,
        chart_url=lambda key: f"{CHART.format(key=key)}?{period.query()}",
        downloads=[(period.api_url(fmt), label) for fmt, label in DOWNLOADS],
    )


@router.get(CHART)
async def report_chart(
    request: Request,
    viewer: ReportViewer,
    app: Runtime,
    key: Annotated[str, Path(max_length=80, pattern=r"^[a-z0-9-]+$")],
    van: Text = None,
    tot: Text = None,
    peildatum: Text = None,
) -> Response:
    period = read_period(van, tot, peildatum, await today(app))
    if period.errors:
        raise not_found()
    chart = (await built(request, app, period, for_charts=True)).charts.get(key)
    if chart is None:
        raise not_found()
    return Response(chart[1], media_type="image/png", headers={"Cache-Control": "private, max-age=600"})
