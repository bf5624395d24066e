"""The certificate register with filters (association, text), a peildatum, and CSV/XLSX downloads.

`GET /register?vereniging=...&zoek=...&peildatum=YYYY-MM-DD` shows what `GET /api/register` answers:
without a peildatum the register read model with today's status; with one, the register folded again
from the events up to the end of that day (`cbct register --peildatum`, one at a time per process).
`zoek` narrows it to the organisations or certificate numbers containing the text (any case).
`/register.csv` (the API's and the CLI's CSV for Dutch Excel) and `/register.xlsx` download the same
lines. Every signed-in role may read the register, as through the API.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from application.access import STAFF
from application.spreadsheet import xlsx_append
from domain.vocabulary import Association
from interfaces.http.deps import Runtime
from interfaces.http.queries import CSV, XLSX, attachment, facts_at, one_heavy_read
from interfaces.web.errors import WebRoute
from interfaces.web.identity import Viewer
from interfaces.web.planner_common import today
from interfaces.web.render import render
from projections.register import CSV_COLUMNS, RegisterRow, list_register, register_csv, rows_as_of

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE = "/register"
SHOWN = 500
"""Most lines the page lists (the downloads hold them all)."""
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


@dataclass(frozen=True)
class RegisterQuery:
    """What the register is narrowed to, as typed, with a Dutch error per field that does not parse."""

    association: str | None
    text: str | None
    peildatum: date | None
    typed_peildatum: str
    errors: dict[str, str]

    def params(self) -> str:
        pairs = [("vereniging", self.association), ("zoek", self.text),
                 ("peildatum", self.peildatum.isoformat() if self.peildatum else None)]  # fmt: skip
        kept = [(k, v) for k, v in pairs if v]
        return f"?{urlencode(kept)}" if kept else ""


def read_query(vereniging: str | None, zoek: str | None, peildatum: str | None) -> RegisterQuery:
    errors: dict[str, str] = {}
    association = vereniging or None
    if association is not None and association not in {a.value for a in Association}:
        errors["vereniging"] = "Kies een vereniging uit de lijst."
        association = None
    day = None
    if peildatum:
        try:
            day = date.fromisoformat(peildatum.strip())
        except ValueError:
            errors["peildatum"] = "Vul een datum in (dag, maand en jaar)."
    text = (zoek or "").strip() or None
    return RegisterQuery(association, text, day, peildatum or "", errors)


def _matches(row: RegisterRow, text: str | None) -> bool:
    if text is None:
        return True
    wanted = text.casefold()
    return wanted in row.organisation.casefold() or wanted in row.certificate_number.casefold()


async def register_lines(request: Request, app: Any, query: RegisterQuery) -> tuple[date, list[RegisterRow]]:
    """The register as of the peildatum (or today), narrowed as asked: the API's own two ways to read it."""
    if query.peildatum is None:
        as_of = await today(app)
        rows = await list_register(app.pool, association=query.association, on=as_of)
    else:
        from application.reports.period import register_rows

        as_of = query.peildatum
        async with one_heavy_read(request):
            facts = [
                r
                for r in register_rows(await facts_at(app, as_of))
                if query.association is None or r.association == query.association
            ]
        rows = rows_as_of(facts, as_of)
    return as_of, [r for r in rows if _matches(r, query.text)]


def register_xlsx(rows: list[RegisterRow], as_of: date) -> bytes:
    """The register as a workbook: the CSV's columns, dates as dates, user text kept as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Register"
    sheet.append([f"Certificaatregister per {as_of:%d-%m-%Y}"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(list(CSV_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in rows:
        xlsx_append(sheet, [r.certificate_number, r.organisation, r.association, r.result or "", r.remark or "",
                            r.certified_until, r.status])  # fmt: skip
        sheet.cell(row=sheet.max_row, column=6).number_format = "DD-MM-YYYY"
    for letter, width in zip("ABCDEFG", (16, 40, 24, 30, 30, 18, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@router.get(PAGE)
async def register_page(
    request: Request, viewer: Viewer, app: Runtime, vereniging: Text = None, zoek: Text = None, peildatum: Text = None
) -> Response:
    query = read_query(vereniging, zoek, peildatum)
    as_of, rows = await register_lines(request, app, query)
    return await render(
        request,
        "register.html",
        status=422 if query.errors else 200,
        viewer=viewer,
        query=query,
        as_of=as_of,
        rows=rows[:SHOWN],
        total=len(rows),
        associations=[a.value for a in Association],
        link_trajectories=viewer.role in STAFF,
        csv_url=f"{PAGE}.csv{query.params()}",
        xlsx_url=f"{PAGE}.xlsx{query.params()}",
    )


@router.get(f"{PAGE}.csv")
async def register_csv_download(
    request: Request, viewer: Viewer, app: Runtime, vereniging: Text = None, zoek: Text = None, peildatum: Text = None
) -> Response:
    query = read_query(vereniging, zoek, peildatum)
    as_of, rows = await register_lines(request, app, query)
    return Response(register_csv(rows), media_type=CSV, headers=attachment(f"register_{as_of.isoformat()}.csv"))


@router.get(f"{PAGE}.xlsx")
async def register_xlsx_download(
    request: Request, viewer: Viewer, app: Runtime, vereniging: Text = None, zoek: Text = None, peildatum: Text = None
) -> Response:
    query = read_query(vereniging, zoek, peildatum)
    as_of, rows = await register_lines(request, app, query)
    return Response(register_xlsx(rows, as_of), media_type=XLSX,
                    headers=attachment(f"register_{as_of.isoformat()}.xlsx"))  # fmt: skip
