"""The web root `/`: one small Dutch page that names the system and points to the API and sign-in.

The web application itself comes later; until then this page tells a visitor where to go. It is static
(no user data, no script), so the strict Content-Security-Policy of the platform middleware holds.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CBCT trajecten</title>
<link rel="icon" href="data:,">
</head>
<body>
<h1>CBCT certificeringstrajecten</h1>
<p>De planning van de certificeringstrajecten van CBCT (Kwaliteit in Beeld): trajecten, audits,
termijnen, het register en de rapportages.</p>
<h2>Aan de slag</h2>
<ul>
<li><a href="{api}/docs">API-documentatie</a>: elk commando en elke vraag, met voorbeelden.</li>
<li>Aanmelden: <code>POST {api}/session</code> met uw gebruikersnaam en wachtwoord
(zie <a href="{api}/docs">de API-documentatie</a>). Een account maakt de beheerder met
<code>cbct users add NAAM --role planner</code>.</li>
<li>Voor beheer: <a href="/readyz">/readyz</a> (is alles bereikbaar?) en <a href="/metrics">/metrics</a>.</li>
</ul>
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse)
async def home() -> HTMLResponse:
    """The Dutch start page."""
    return HTMLResponse(PAGE.format(api="/api"))
