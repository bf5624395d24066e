"""Reports computed from the read models: the period report (hoofdlijnenrapportage) and its renderings."""

from application.reports.charts import write_charts
from application.reports.period import PeriodReport, ReportRow, compute, period_report
from application.reports.render import render_report, to_csv, to_xlsx

__all__ = [
    "PeriodReport",
    "ReportRow",
    "compute",
    "period_report",
    "render_report",
    "to_csv",
    "to_xlsx",
    "write_charts",
]
