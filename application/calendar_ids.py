"""The stable calendar identity of an audit, shared by the iCalendar feeds and the e-mails' `.ics`.

One UID per audit (a trajectory's round: the regular audit, or a heraudit), whatever moves or cancels
it; its SEQUENCE is the number of times that round's audit dates changed after it was first scheduled,
so a calendar that imported an earlier version replaces it.
"""

from __future__ import annotations

UID_DOMAIN = "cbct-trajectories"


def audit_uid(trajectory_id: str, round_number: int) -> str:
    return f"{trajectory_id}.audit.{round_number}@{UID_DOMAIN}"
