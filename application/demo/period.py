"""The demo's world: its framework, its seed, and the fixed days and moments of the 2018-2022 period."""

from __future__ import annotations

from datetime import date, time, timedelta

from domain.calendar import local_moment

FRAMEWORK_VERSION = "kib-2018"
DEFAULT_SEED = 2023
"""The seed the demo uses unless told otherwise."""
DEMO_START = date(2018, 7, 2)
"""The demo clock starts here (a Monday); no trajectory opens earlier."""
REFERENCE_DATE = date(2023, 2, 21)
"""The date of CBCT's published register: the replay's outcomes must match it then."""
REFERENCE_MOMENT = local_moment(REFERENCE_DATE, time(12, 0))
"""Noon in Amsterdam on the reference date: where the replay stops its clock."""
LAST_STEP_DAY = date(2023, 2, 10)
"""No step after this day, so nothing the plan does is still in flight at the reference date."""
LAST_DECISION_DAY = date(2022, 12, 23)
"""Regular certifications and heraudits are decided within the 2018-2022 period."""
MARGIN = timedelta(days=14)
"""A heraudit window that must (not) have lapsed by the reference date lapses at least this far from it."""
