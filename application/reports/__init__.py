"""Reports computed from the events as of a peildatum: the period report (hoofdlijnenrapportage) and its renderings."""

from application.reports.charts import write_charts
from application.reports.period import Membership, PeriodReport, compute, period_report
from application.reports.render import render_report, to_csv, to_xlsx

__all__ = [
    "Membership",
    "PeriodReport",
    "compute",
    "period_report",
    "render_report",
    "to_csv",
    "to_xlsx",
    "write_charts",
]
