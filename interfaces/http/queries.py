"""Vragen aan de leesmodellen: trajecten, deadlines, uitstel, register, vastgelopen trajecten, rapport.

Every list reads the read models as they are: they follow the event store shortly after each event
(eventual consistency), and no request waits for them to catch up. One trajectory's answer carries the
stream `version` the read models include, so a client that just sent a command can tell whether its
event is in. The register with a `peildatum`, and the period report, are folded from the events
themselves (as the CLI does), never from today's read models.

Who sees what (`application.access`): staff (planner, director, ops, admin) see every trajectory; an
auditee those of its own organisation; an auditor those whose current round names it. That scope is a
condition inside each query, so items, totals and pages count nothing else; a trajectory outside it is
answered exactly as an unknown one (404). The register is public (any signed-in role); stuck work is
for planner, director, ops and admin; the period report for planner, director and admin.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from application.access import Principal, Role
from domain.calendar import AMSTERDAM
from domain.vocabulary import Association, Phase
from interfaces.http import cursors, problems
from interfaces.http.answer_cache import Timed, answers
from interfaces.http.deps import Runtime, Signed, require
from interfaces.http.query_models import (
    DeadlinePage,
    DeadlineView,
    PeriodReportView,
    PostponementPage,
    PostponementView,
    QueryDate,
    Register,
    RegisterLine,
    StuckList,
    StuckView,
    TimelineLine,
    TrajectoryDetail,
    TrajectoryItem,
    TrajectoryPage,
    TrajectoryView,
    problem_responses,
)
from projections.deadlines import MAX_DUE_WITHIN_DAYS, page_deadlines
from projections.page import MAX_LIMIT, snapshot
from projections.postponements import list_postponements, page_postponements
from projections.register import list_register, register_csv, rows_as_of
from projections.scope import scope_of
from projections.stuck import stuck_trajectories
from projections.timeline import get_timeline

router = APIRouter(tags=["vragen"])

DEFAULT_LIMIT = 50
MAX_REPORT_DAYS = 10 * 366
"""A period report covers at most ten years (CBCT reports on a four-year round)."""
HEAVY_WAIT_SECONDS = 20
"""How long a report or a register as of a peildatum waits for the one before it, before 503."""

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"

STAFF_READERS = (Role.PLANNER, Role.DIRECTOR, Role.OPS, Role.ADMIN)
REPORT_READERS = (Role.PLANNER, Role.DIRECTOR, Role.ADMIN)

TEXT = cursors.TEXT
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Hoeveel per pagina (1..{MAX_LIMIT}).")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Waar de pagina begint: neem de `next`-link van de vorige pagina over.",
    ),
]


# --- pages ------------------------------------------------------------------------------------------------


def _bad(field: str, rule: str, message: str) -> problems.Problem:
    return problems.invalid([{"field": field, "rule": rule, "message": message}])


def _next_link(request: Request, after: tuple[Any, ...] | None) -> str | None:
    if after is None:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    return f"{request.url.path}?{urlencode([*kept, ('cursor', cursors.encode(after))])}"


# --- trajectories -----------------------------------------------------------------------------------------


def _item_values(o: Any) -> dict[str, Any]:
    # Shallow on purpose: `asdict` deep-copies every tuple and dict (~0.5 ms an item, most of a page's
    # time); the model validates into containers of its own anyway.
    values = {f.name: getattr(o, f.name) for f in fields(o)}
    values["next_deadline"] = (
        {
            "kind": o.next_deadline_kind,
            "label": o.next_deadline_label,
            "due_on": o.next_deadline_due_on,
            "due_at": o.next_deadline_due_at,
        }
        if o.next_deadline_kind
        else None
    )
    return values


@router.get(
    "/trajectories",
    response_model=TrajectoryPage,
    summary="Trajecten, gefilterd en per pagina",
    responses=problem_responses(401, 422, 503),
)
async def list_trajectories(
    request: Request,
    app: Runtime,
    principal: Signed,
    phase: Annotated[Phase | None, Query(description="Alleen deze fase.")] = None,
    organisation: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=TEXT, description="Deel van de naam van de organisatie."),
    ] = None,
    association: Annotated[Association | None, Query(description="Alleen deze vereniging.")] = None,
    auditor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=TEXT,
            description="Naam van de (vak- of peer)auditor van de huidige ronde.",
        ),
    ] = None,
    audit_from: Annotated[QueryDate | None, Query(description="Een auditdatum op of na deze dag.")] = None,
    audit_to: Annotated[QueryDate | None, Query(description="Een auditdatum op of voor deze dag.")] = None,
    opened_from: Annotated[QueryDate | None, Query(description="Geopend op of na deze dag.")] = None,
    opened_to: Annotated[QueryDate | None, Query(description="Geopend op of voor deze dag.")] = None,
    is_open: Annotated[
        bool | None, Query(alias="open", description="true: alleen lopende; false: alleen afgesloten.")
    ] = None,
    certificate_number: Annotated[
        str | None, Query(min_length=1, max_length=50, pattern=TEXT, description="Precies dit certificaatnummer.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Any:
    """Trajecten op naam van de organisatie. De periode van de audit (`audit_from`/`audit_to`) kijkt naar
    de auditdata van de huidige ronde; `opened_from`/`opened_to` naar de dag van openen (zoals het
    periode-rapport telt). Een auditee ziet alleen de eigen trajecten, een auditor de trajecten waarvoor
    hij is ingedeeld; `total` telt alleen wat u mag zien. Een periode met het eind voor het begin
    bevat niets."""
    from projections.overview import TrajectoryFilter, page_trajectories

    criteria = TrajectoryFilter(
        phase=phase.value if phase else None,
        organisation_like=organisation,
        association=association.value if association else None,
        auditor=auditor,
        audit_from=audit_from,
        audit_to=audit_to,
        opened_from=opened_from,
        opened_to=opened_to,
        is_open=is_open,
        certificate_number=certificate_number,
    )
    after = cast("tuple[str, str] | None", cursors.decode(cursor, cursors.text, cursors.text))

    async def made() -> TrajectoryPage:
        page = await page_trajectories(app.pool, criteria, scope=scope_of(principal), limit=limit, after=after)
        return TrajectoryPage(
            items=[TrajectoryItem.model_validate(_item_values(o)) for o in page.items],
            total=page.total,
            limit=limit,
            next=_next_link(request, page.after),
        )

    return await answers(request).answer(request, app.pool, principal, _today(await app.clock.now()), made)


@router.get(
    "/trajectories/{trajectory_id}",
    response_model=TrajectoryDetail,
    summary="Eén traject met tijdlijn, deadlines en uitstelverzoeken",
    responses=problem_responses(401, 404, 422, 503),
)
async def show_trajectory(
    request: Request,
    app: Runtime,
    principal: Signed,
    trajectory_id: Annotated[str, PathParam(min_length=1, max_length=200, pattern=TEXT)],
) -> Any:
    """Alles over één traject, in één keer gelezen. `version` is de laatste gebeurtenis die de
    leesmodellen verwerkt hebben. Onbekend of niet van u: 404 (hetzelfde antwoord)."""
    from projections.deadlines import list_deadlines, listing_changes_at
    from projections.overview import get_trajectory

    now = await app.clock.now()

    async def made() -> Timed:
        async with snapshot(app.pool) as conn:
            overview = await get_trajectory(conn, trajectory_id, scope=scope_of(principal))
            if overview is None:
                raise problems.not_found()
            deadlines = await list_deadlines(conn, now, trajectory_id=trajectory_id)
            postponements = await list_postponements(conn, trajectory_id)
            timeline = await get_timeline(conn, trajectory_id)
        detail = TrajectoryDetail(
            version=overview.version,
            trajectory=TrajectoryView.model_validate(_item_values(overview)),
            deadlines=[DeadlineView.model_validate(d) for d in deadlines],
            postponements=[PostponementView.model_validate(p) for p in postponements],
            timeline=[TimelineLine.model_validate(t) for t in timeline],
        )
        return Timed(detail, listing_changes_at(deadlines, now))

    return await answers(request).answer(request, app.pool, principal, _today(now), made, now=now)


# --- deadlines and uitstel --------------------------------------------------------------------------------


class DeadlineFilter(StrEnum):
    due = "due"
    overdue = "overdue"
    pending = "pending"
    all = "all"


class PostponementFilter(StrEnum):
    pending = "pending"
    granted = "granted"
    rejected = "rejected"
    lapsed = "lapsed"
    all = "all"


@router.get(
    "/deadlines",
    response_model=DeadlinePage,
    summary="Deadlines: binnenkort, verlopen of alle",
    responses=problem_responses(401, 422, 503),
)
async def list_deadlines(
    request: Request,
    app: Runtime,
    principal: Signed,
    status: Annotated[
        DeadlineFilter,
        Query(description="due: valt binnen `within_days` dagen; overdue: verlopen; pending: later; all: alle."),
    ] = DeadlineFilter.due,
    within_days: Annotated[
        int,
        Query(ge=0, le=MAX_DUE_WITHIN_DAYS, description="due: vandaag (0) of binnen zoveel dagen (Amsterdamse tijd)."),
    ] = 7,
    trajectory_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=TEXT)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DeadlinePage:
    """Openstaande deadlines van de trajecten die u mag zien, vroegste eerst."""
    after = cast("tuple[datetime, str] | None", cursors.decode(cursor, cursors.moment, cursors.text))
    page = await page_deadlines(
        app.pool,
        await app.clock.now(),
        status=status.value,
        due_within_days=within_days,
        trajectory_id=trajectory_id,
        scope=scope_of(principal),
        limit=limit,
        after=after,
    )
    return DeadlinePage(
        items=[DeadlineView.model_validate(d) for d in page.items],
        total=page.total,
        limit=limit,
        next=_next_link(request, page.after),
    )


@router.get(
    "/postponements",
    response_model=PostponementPage,
    summary="Uitstelverzoeken",
    responses=problem_responses(401, 422, 503),
)
async def list_postponement_requests(
    request: Request,
    app: Runtime,
    principal: Signed,
    status: Annotated[
        PostponementFilter, Query(description="pending: nog te beslissen (standaard); all: ook de beslisten.")
    ] = PostponementFilter.pending,
    trajectory_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=TEXT)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PostponementPage:
    """Uitstelverzoeken van de trajecten die u mag zien, het eerst te beslissen eerst."""
    after = cast("tuple[date, str, int] | None", cursors.decode(cursor, cursors.day, cursors.text, cursors.number))
    page = await page_postponements(
        app.pool,
        status=status.value,
        trajectory_id=trajectory_id,
        scope=scope_of(principal),
        limit=limit,
        after=after,
    )
    return PostponementPage(
        items=[PostponementView.model_validate(p) for p in page.items],
        total=page.total,
        limit=limit,
        next=_next_link(request, page.after),
    )


# --- heavy work: folded from the events -------------------------------------------------------------------


@asynccontextmanager
async def one_heavy_read(request: Request) -> AsyncIterator[None]:
    """One report or past register at a time per process (each reads every event); 503 when busy too long."""
    gate: asyncio.Semaphore | None = getattr(request.app.state, "heavy_queries", None)
    if gate is None:
        gate = request.app.state.heavy_queries = asyncio.Semaphore(1)
    try:
        await asyncio.wait_for(gate.acquire(), HEAVY_WAIT_SECONDS)
    except TimeoutError:
        raise problems.unavailable("Er wordt al een rapport gemaakt; probeer het zo opnieuw.") from None
    try:
        yield
    finally:
        gate.release()


async def facts_at(app: Any, peildatum: date) -> list[Any]:
    """Every trajectory's facts at the end of the peildatum; the fold runs off the event loop."""
    from application.reports.as_of import facts_until, read_trajectory_records, streams_until

    records = await read_trajectory_records(app.store)
    return await run_in_threadpool(lambda: facts_until(streams_until(records, peildatum), peildatum))


def _today(now: datetime) -> date:
    return now.astimezone(AMSTERDAM).date()


class RegisterFormat(StrEnum):
    json = "json"
    csv = "csv"


@router.get(
    "/register",
    response_model=Register,
    summary="Het certificaatregister, ook zoals het op een peildatum stond",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON of CSV (Excel)."},
        **problem_responses(401, 422, 503),
    },
)
async def show_register(
    request: Request,
    app: Runtime,
    principal: Signed,
    peildatum: Annotated[
        QueryDate | None, Query(description="Het register zoals het aan het eind van deze dag stond.")
    ] = None,
    association: Annotated[Association | None, Query(description="Alleen deze vereniging.")] = None,
    fmt: Annotated[
        RegisterFormat, Query(alias="format", description="json, of csv voor Excel (`;`, BOM).")
    ] = RegisterFormat.json,
) -> Any:
    """Het register dat CBCT publiceert: per certificaatnummer het resultaat, de opmerking en
    gecertificeerd tot. Zonder peildatum uit het leesmodel, met de status van vandaag; met peildatum
    opnieuw berekend uit de gebeurtenissen tot het eind van die dag (zoals `cbct register --peildatum`)."""
    wanted = association.value if association else None
    if peildatum is None and fmt is RegisterFormat.json:  # today's register, as the read model holds it
        today = _today(await app.clock.now())

        async def made() -> Register:
            return _register(await list_register(app.pool, association=wanted, on=today), None, today)

        return await answers(request).answer(request, app.pool, principal, today, made)
    if peildatum is None:
        as_of = _today(await app.clock.now())
        rows = await list_register(app.pool, association=wanted, on=as_of)
    else:
        from application.reports.period import register_rows

        as_of = peildatum
        async with one_heavy_read(request):
            facts = [
                r for r in register_rows(await facts_at(app, peildatum)) if wanted is None or r.association == wanted
            ]
        rows = rows_as_of(facts, peildatum)
    if fmt is RegisterFormat.csv:
        name = f"register_{as_of.isoformat()}.csv"
        return Response(register_csv(rows), media_type=CSV, headers=attachment(name))
    return _register(rows, peildatum, as_of)


def _register(rows: list[Any], peildatum: date | None, as_of: date) -> Register:
    return Register(
        peildatum=peildatum, as_of=as_of, total=len(rows), items=[RegisterLine.model_validate(r) for r in rows]
    )


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get(
    "/stuck",
    response_model=StuckList,
    summary="Vastgelopen trajecten",
    responses=problem_responses(401, 403, 422, 503),
)
async def list_stuck(
    app: Runtime,
    principal: Annotated[Principal, require(*STAFF_READERS)],
    grace_days: Annotated[
        int | None, Query(ge=0, le=3650, description="Standaard de instelling CBCT_STUCK_GRACE_DAYS.")
    ] = None,
) -> StuckList:
    """Trajecten met een deadline die langer dan de coulancetermijn verlopen is, zonder voortgang sindsdien.
    Workflows waarvan activiteiten blijven falen staan in `cbct stuck` en `/metrics`, niet hier."""
    grace = app.settings.stuck_grace_days if grace_days is None else grace_days
    now = await app.clock.now()
    found = await stuck_trajectories(app.pool, now, grace)
    return StuckList(grace_days=grace, now=now, items=[StuckView.model_validate(s) for s in found])


# --- the period report ------------------------------------------------------------------------------------


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    docx = "docx"
    pdf = "pdf"


MEDIA_TYPES = {ReportFormat.csv: CSV, ReportFormat.xlsx: XLSX, ReportFormat.docx: DOCX, ReportFormat.pdf: PDF}

_BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/reports/period",
    response_model=PeriodReportView,
    summary="Hoofdlijnenrapportage over een periode (JSON, CSV, XLSX, DOCX of PDF)",
    responses={
        200: {
            "description": "Het rapport in het gevraagde formaat.",
            "content": {"text/csv": {"schema": {"type": "string"}}, XLSX: _BINARY, DOCX: _BINARY, PDF: _BINARY},
        },
        **problem_responses(401, 403, 422, 503),
    },
)
async def period_report(
    request: Request,
    app: Runtime,
    principal: Annotated[Principal, require(*REPORT_READERS)],
    date_from: Annotated[QueryDate, Query(alias="from", description="Trajecten geopend vanaf deze dag.")],
    date_to: Annotated[QueryDate, Query(alias="to", description="... tot en met deze dag.")],
    peildatum: Annotated[
        QueryDate | None, Query(description="De stand aan het eind van deze dag; zonder: vandaag.")
    ] = None,
    fmt: Annotated[
        ReportFormat, Query(alias="format", description="json, csv, xlsx, docx of pdf.")
    ] = ReportFormat.json,
) -> Any:
    """De hoofdlijnenrapportage van CBCT (zoals `cbct report period`): de trajecten geopend van `from`
    tot en met `to` (hoogstens tien jaar), geteld uit de gebeurtenissen tot het eind van de peildatum;
    dezelfde vraag geeft volgend jaar dezelfde cijfers."""
    from application.reports import compute

    if date_from > date_to:
        raise _bad("query.to", "after_start", f"to ({date_to}) ligt voor from ({date_from})")
    if (date_to - date_from).days > MAX_REPORT_DAYS:
        raise _bad("query.to", "max_period", "een rapport beslaat hoogstens tien jaar")
    day = peildatum or _today(await app.clock.now())
    if day < date_from:
        raise _bad("query.peildatum", "after_start", f"peildatum ({day}) ligt voor from ({date_from})")
    async with one_heavy_read(request):
        facts = await facts_at(app, day)
        report = await run_in_threadpool(compute, facts, date_from, date_to, day)
        if fmt is ReportFormat.json:
            return PeriodReportView.model_validate(report.as_dict())
        content = await run_in_threadpool(_render, report, fmt)
    name = f"hoofdlijnenrapportage_{date_from}_{date_to}_peildatum_{day}.{fmt.value}"
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=attachment(name))


def _render(report: Any, fmt: ReportFormat) -> bytes:
    """The report as a file's bytes, written by the CLI's own writers into a private scratch folder."""
    from application.reports import to_csv, to_xlsx

    if fmt is ReportFormat.csv:
        return to_csv(report).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="cbct-rapport-") as scratch:  # 0700, removed afterwards
        folder = Path(scratch)
        target = folder / f"rapport.{fmt.value}"
        if fmt is ReportFormat.xlsx:
            return to_xlsx(report, target).read_bytes()
        from application.reports.document import build

        document = build(report, folder / "grafieken")
        if fmt is ReportFormat.docx:
            from application.reports.docx_writer import write_docx

            return write_docx(document, target).read_bytes()
        from application.reports.pdf_writer import lay_out

        pdf, _ = lay_out(document)
        return pdf
