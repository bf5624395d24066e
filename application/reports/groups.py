"""CBCT's groupings: the VOB group and the Cultuurconnectie group both include the members of both
associations, who are also shown on their own; an organisation type can be left out of a group
(CBCT's Cultuurconnectie figures exclude volksuniversiteiten)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.vocabulary import Association, OrganisationType

VOB, CC, BOTH = Association.VOB.value, Association.CULTUURCONNECTIE.value, Association.BOTH.value


class Member(Protocol):
    @property
    def association(self) -> str: ...
    @property
    def organisation_type(self) -> str | None: ...


@dataclass(frozen=True)
class Group:
    """A set of associations, minus some organisation types; `key` is stable for JSON and files."""

    key: str
    name: str
    short: str
    associations: frozenset[str]
    excluded_types: frozenset[str] = frozenset()
    member_key: str | None = None  # which association's member count belongs to this group

    def includes(self, row: Member) -> bool:
        return row.association in self.associations and (row.organisation_type or "") not in self.excluded_types

    def select(self, rows: Iterable[Member]) -> list[Member]:
        return [r for r in rows if self.includes(r)]

    @property
    def exclusion_note(self) -> str:
        return f"exclusief {', '.join(sorted(t + 'en' for t in self.excluded_types))}" if self.excluded_types else ""


EXCLUDED_FROM_CC = frozenset({OrganisationType.VOLKSUNIVERSITEIT.value})

ALL = Group("alle", "Alle geauditeerden", "Alle", frozenset({VOB, CC, BOTH}))
VOB_GROUP = Group(
    "vob", "VOB-groep (inclusief leden van beide verenigingen)", "VOB-groep", frozenset({VOB, BOTH}), member_key=VOB
)
BOTH_GROUP = Group("beide", "Leden van beide verenigingen", "Leden van beide", frozenset({BOTH}))
CC_GROUP = Group(
    "cultuurconnectie",
    "Cultuurconnectie-groep (inclusief leden van beide verenigingen, exclusief volksuniversiteiten)",
    "Cultuurconnectie-groep",
    frozenset({CC, BOTH}),
    EXCLUDED_FROM_CC,
    member_key=CC,
)
VOB_ONLY = Group("vob-alleen", "Alleen lid van VOB", "Alleen VOB", frozenset({VOB}))
CC_ONLY = Group(
    "cultuurconnectie-alleen",
    "Alleen lid van Cultuurconnectie (exclusief volksuniversiteiten)",
    "Alleen Cultuurconnectie",
    frozenset({CC}),
    EXCLUDED_FROM_CC,
)

#: The groups CBCT reports on, in its chapter order; the last two serve the comparisons in its findings.
GROUPS: Sequence[Group] = (ALL, VOB_GROUP, BOTH_GROUP, CC_GROUP, VOB_ONLY, CC_ONLY)
CHAPTER_GROUPS: Sequence[Group] = (VOB_GROUP, BOTH_GROUP, CC_GROUP)
