"""Which register outcomes the demo reproduces, and from which audit quarters each is reachable in time."""

from __future__ import annotations

from application.demo.register import RegisterRow
from application.demo.scenario import PlanningError
from domain import Quarter, Remark, Result

AUDIT_QUARTERS: dict[tuple[Result, Remark | None], tuple[str, str]] = {
    (Result.CERTIFIED, None): ("2018-K4", "2022-K4"),
    (Result.NOT_CERTIFIED, Remark.NO_PARTICIPATION): ("2018-K4", "2022-K4"),
    (Result.CONDITIONAL, None): ("2022-K3", "2022-K4"),
    (Result.NOT_CERTIFIED, None): ("2021-K4", "2022-K3"),
    (Result.CONDITIONAL, Remark.CERTIFIED_AFTER_HERAUDIT): ("2018-K4", "2022-K1"),
    (Result.NOT_CERTIFIED, Remark.CERTIFIED_AFTER_HERAUDIT): ("2018-K4", "2021-K1"),
    (Result.CONDITIONAL, Remark.HERAUDIT_IN_PREPARATION): ("2022-K2", "2022-K3"),
    (Result.NOT_CERTIFIED, Remark.HERAUDIT_IN_PREPARATION): ("2021-K2", "2021-K4"),
    (Result.CONDITIONAL, Remark.NO_HERAUDIT_REQUESTED): ("2018-K4", "2021-K4"),
    (Result.NOT_CERTIFIED, Remark.NO_HERAUDIT_REQUESTED): ("2018-K4", "2020-K4"),
}
"""Audit quarters (of the previous expiry) from which each (result, remark) can be reached by 2023-02-21."""


def audit_quarters(row: RegisterRow, label: str) -> list[Quarter]:
    """The quarters ``row``'s previous certificate may expire in; refuses an outcome no process reaches."""
    key = (row.result, row.remark)
    if key not in AUDIT_QUARTERS:
        remark = row.remark.value if row.remark else "-"
        raise PlanningError(f"{label}: uitkomst '{row.result.value}' / '{remark}' wordt niet ondersteund")
    first, last = (Quarter.model_validate(q) for q in AUDIT_QUARTERS[key])
    quarters = [first]
    while quarters[-1] < last:
        quarters.append(quarters[-1].next())
    return quarters
