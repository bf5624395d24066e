"""The register's result and remark for a trajectory, spelled exactly as CBCT publishes them.

As in CBCT's 2018-2022 register, a heraudit's outcome shows in the remark while the result keeps
the verdict it remedied ('Voorwaardelijk gecertificeerd' + 'Gecertificeerd na heraudit'), and a
withdrawal reads 'Niet gecertificeerd' + 'Geen deelname'.
"""

from __future__ import annotations

from typing import NamedTuple

from domain.state import TrajectoryState
from domain.vocabulary import Remark, Result


class RegisterEntry(NamedTuple):
    """One register row's result and remark; both None while no verdict stands."""

    result: Result | None
    remark: Remark | None


def register_entry(state: TrajectoryState) -> RegisterEntry:
    """Result and remark for the register projection."""
    if state.withdrawn:
        return RegisterEntry(Result.NOT_CERTIFIED, Remark.NO_PARTICIPATION)
    if state.certified_after_heraudit:
        return RegisterEntry(state.remedied_verdict, Remark.CERTIFIED_AFTER_HERAUDIT)
    if state.heraudit_in_preparation:
        return RegisterEntry(state.remedied_verdict, Remark.HERAUDIT_IN_PREPARATION)
    verdict = state.verdict
    if verdict is None or verdict is Result.CERTIFIED:
        return RegisterEntry(verdict, None)
    if state.heraudit_lapsed:
        return RegisterEntry(verdict, Remark.NO_HERAUDIT_REQUESTED)
    return RegisterEntry(verdict, None)
