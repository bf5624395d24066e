"""The web app: server-rendered Dutch pages (Jinja2, htmx) on the HTTP application, no build step.

Pages are readable without JavaScript (forms post normally; htmx only enhances), accessible and usable
on a phone. `install(app)` adds them (`interfaces/web/app.py`); forms are generated from the domain
commands (`forms.py`) and sent through the trajectories' workflows like the API's (`sending.py`).
"""

from __future__ import annotations

from interfaces.web.app import install
from interfaces.web.portal_documents import larger_bodies

__all__ = ["install", "larger_bodies"]
