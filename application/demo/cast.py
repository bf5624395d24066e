"""Who appears in the demo: CBCT's planners, auditors and director, contacts, and the services offered."""

from __future__ import annotations

import re

PLANNERS = ("Marieke Jansen", "Ruud Verhoeven", "Sanne de Boer")
EXPERT_AUDITORS = (
    "Ellen Schouten",
    "Hans Kramer",
    "Ingrid Visser",
    "Joost Mulder",
    "Karin Bos",
    "Marcel Dijkstra",
    "Petra Smit",
    "Wim de Graaf",
)
PEER_AUDITORS = (
    "Anouk Peters",
    "Bas Hendriks",
    "Carla van Dam",
    "Dirk Jacobs",
    "Esther Koster",
    "Frank Willems",
    "Gerda Vos",
    "Henk Meijer",
    "Iris de Wit",
    "Jeroen Post",
    "Linda Kuipers",
    "Maarten Huisman",
)
DIRECTOR = "director:CBCT"
CONTACT_NAMES = (
    "Anna de Vries",
    "Bram Bakker",
    "Chantal Janssen",
    "Daan van Leeuwen",
    "Eva Brouwer",
    "Floor de Jong",
    "Gijs van den Berg",
    "Hanneke Dekker",
    "Ilse Vermeulen",
    "Jan Hoekstra",
    "Kees van Wijk",
    "Lotte Mertens",
)
LIBRARY_SERVICES = (
    "Collectie en uitleen",
    "Leesbevordering",
    "Digitale vaardigheden",
    "Taalhuis",
    "Programmering en debat",
    "Leesclubs",
    "Makerplaats",
    "Mediawijsheid",
)
CULTURE_SERVICES = (
    "Muziekonderwijs",
    "Dansonderwijs",
    "Theaterlessen",
    "Beeldende kunst",
    "Cultuuronderwijs op school",
    "Cursussen voor volwassenen",
    "Ondersteuning amateurkunst",
    "Talentontwikkeling",
    "Cultuurcoaches",
)


def slug(text: str) -> str:
    """A name as an e-mail domain part: 'Bibliotheek Nergens' → 'bibliotheeknergens'."""
    return re.sub(r"[^a-z0-9]+", "", text.casefold())[:40] or "organisatie"
