"""What the planner's pages share: who may read them, today's date, and Dutch dates for tables.

The pages (calendar, uitstel inbox, deadlines, register, report, search) read what staff read through
the API (`interfaces/http/queries.py`): planner, director, ops and admin see every trajectory. The menu
shows them to the planner (`navigation.py`); the others reach them by address.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from application.access import Principal, Role
from domain.calendar import local_date
from domain.dutch import datum
from interfaces.web.identity import role_in
from interfaces.web.render import MONTHS, environment

STAFF_READERS = (Role.PLANNER, Role.DIRECTOR, Role.OPS, Role.ADMIN)
StaffViewer = Annotated[Principal, role_in(*STAFF_READERS)]
"""A page only staff read (the 403 page for an auditee or auditor)."""

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


async def today(app: Any) -> date:
    """Today in Amsterdam, by the application's clock (a controlled clock in the demo and tests)."""
    return local_date(await app.clock.now())


def short_date(value: date | None) -> str:
    """`21-04-2026` (tables and exports: the register's CSV writes dates the same way)."""
    return "—" if value is None else datum(value)


def day_name(value: date) -> str:
    """`dinsdag 21 april`."""
    return f"{WEEKDAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]}"


environment.filters["kort"] = short_date
environment.filters["dagnaam"] = day_name
