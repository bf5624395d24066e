"""The period report for people (Rich tables) and for Dutch Excel (CSV with `;`, decimal comma, BOM; XLSX)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from application.output_file import write_file
from application.reports.period import PeriodReport
from application.reports.tables import Cell, report_tables
from application.spreadsheet import csv_row, terminal_text, xlsx_append


def dutch(value: Cell) -> str:
    """A cell as Dutch text: 83,3 for numbers with decimals, '' for nothing."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def render_report(
    report: PeriodReport, console: Console, previous: PeriodReport | None = None, *, appendix: bool = False
) -> None:
    """Print every table of the report (the register appendix only when asked: `cbct register` shows it)."""
    console.print(
        f"[bold]Hoofdlijnenrapportage[/] — trajecten geopend van {report.date_from:%d-%m-%Y} "
        f"t/m {report.date_to:%d-%m-%Y}, peildatum {report.peildatum:%d-%m-%Y}"
    )
    for spec in report_tables(report, previous):
        if spec.key.startswith("bijlage") and not appendix:
            continue
        table = Table(title=spec.title, title_justify="left", caption=spec.note or None, caption_justify="left")
        for i, column in enumerate(spec.columns):
            table.add_column(column, justify="left" if i == 0 or column in ("naam", "organisatie") else "right")
        for row in spec.rows:
            table.add_row(*[Text(terminal_text(dutch(v) if v is not None else "-")) for v in row])  # never markup
        console.print(table)


def to_csv(report: PeriodReport, previous: PeriodReport | None = None) -> str:
    """All tables in one CSV for Dutch Excel: a title line, a header, the rows, a blank line; BOM first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    period = [report.date_from.strftime("%d-%m-%Y"), report.date_to.strftime("%d-%m-%Y")]
    writer.writerow(["Hoofdlijnenrapportage", *period, "peildatum", report.peildatum.strftime("%d-%m-%Y")])
    for spec in report_tables(report, previous):
        writer.writerow([])
        writer.writerow(csv_row([spec.title]))
        writer.writerow(csv_row(spec.columns))
        for row in spec.rows:
            writer.writerow([dutch(v) for v in csv_row(row)])
    return "\ufeff" + buffer.getvalue()


def to_xlsx(report: PeriodReport, path: Path | str, previous: PeriodReport | None = None) -> Path:
    """One sheet per table (numbers stay numbers; percentages shown with one decimal)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    for default in list(workbook.worksheets):
        workbook.remove(default)
    for spec in report_tables(report, previous):
        sheet = workbook.create_sheet(spec.sheet)
        sheet.append([spec.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(spec.columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in spec.rows:
            xlsx_append(sheet, row)
        for row_cells in sheet.iter_rows(min_row=3):
            for cell in row_cells:
                if isinstance(cell.value, float):
                    cell.number_format = "0.0"
        for i, column in enumerate(spec.columns, start=1):
            width = max([len(column), *(len(dutch(r[i - 1])) for r in spec.rows)]) + 2
            sheet.column_dimensions[sheet.cell(row=2, column=i).column_letter].width = min(width, 60)
    meta = workbook.create_sheet("Periode", 0)
    meta.append(["Hoofdlijnenrapportage"])
    meta.append(["van", report.date_from])
    meta.append(["tot en met", report.date_to])
    meta.append(["peildatum", report.peildatum])
    meta["B2"].number_format = meta["B3"].number_format = meta["B4"].number_format = "DD-MM-YYYY"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return write_file(path, buffer.getvalue())
