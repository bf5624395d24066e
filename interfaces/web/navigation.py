"""What each role sees in the header: its Dutch name, its start page and its menu.

One table per role, so a new page for a role is one line here (and a route). The start page `/` shows
the role's `intro`; the menu marks the current page (`aria-current`).
"""

from __future__ import annotations

from dataclasses import dataclass

from application.access import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str


@dataclass(frozen=True)
class RoleHome:
    """A role's name as the header shows it, its start page's title and introduction, and its menu."""

    name: str
    title: str
    intro: str
    menu: tuple[NavItem, ...]


START = NavItem("Start", "/")

HOMES: dict[Role, RoleHome] = {
    Role.PLANNER: RoleHome(
        "Planner",
        "Overzicht voor de planning",
        "De lopende trajecten. Open een traject voor de tijdlijn en de stappen die u nu kunt zetten.",
        (
            START,
            NavItem("Kalender", "/kalender"),
            NavItem("Uitstel", "/uitstel"),
            NavItem("Termijnen", "/termijnen"),
            NavItem("Register", "/register"),
            NavItem("Rapportage", "/rapportage"),
        ),
    ),
    Role.AUDITEE: RoleHome(
        "Organisatie",
        "Uw certificering",
        "Het traject van uw organisatie. Onder ‘Uw traject’ ziet u wat u nu doet, de data en de termijnen.",
        (START, NavItem("Uw traject", "/portaal"), NavItem("Agenda", "/agenda-abonnement")),
    ),
    Role.AUDITOR: RoleHome(
        "Auditor",
        "Uw audits",
        "De trajecten waarvoor u als auditor bent ingepland.",
        (START, NavItem("Uw audits", "/audits")),
    ),
    Role.DIRECTOR: RoleHome(
        "Directeur",
        "Overzicht voor de directeur",
        "De lopende trajecten. Onder Besluiten staan de certificeringsbesluiten die op u wachten.",
        (START, NavItem("Besluiten", "/besluiten")),
    ),
    Role.OPS: RoleHome(
        "Technisch beheer",
        "Technisch beheer",
        "De lopende trajecten, en de stand van het systeem: bereikbaarheid en meetwaarden.",
        (START, NavItem("Beheer", "/beheer"), NavItem("Gereedheid", "/readyz")),
    ),
    Role.ADMIN: RoleHome(
        "Beheerder",
        "Beheer",
        "Accounts beheert u via de API (/api/users) of met `cbct users`.",
        (START, NavItem("API", "/api/docs")),
    ),
}


def home_of(role: Role) -> RoleHome:
    return HOMES[role]
