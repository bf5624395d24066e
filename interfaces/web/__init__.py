"""The web app: server-rendered Dutch pages (Jinja2, htmx) on the HTTP application, no build step.

Pages are readable without JavaScript (forms post normally; htmx only enhances), accessible and usable
on a phone. `install(app)` adds them to `create_app` (`app.py`).

Adding a page (the role pages build on this):

1. A module with `router = APIRouter(route_class=WebRoute, include_in_schema=False)` (`errors.WebRoute`:
   its errors become Dutch pages; no session → the sign-in page), added to `app.ROUTERS`.
2. Depend on `identity.Viewer` (signed in) or `identity.role_in(Role.PLANNER, ...)` (403 for other
   roles); read through `interfaces.http.deps.Runtime`. What the viewer may not know of is 404, the
   same as what does not exist: lists scoped with `projections.scope.scope_of(viewer)`, one trajectory
   through `trajectory.visible_state`.
3. Answer with `await render(request, "x.html", viewer=viewer, ...)`; the template extends
   `base.html` (blocks `title` and `main`; `csrf` is in every page's context).
4. A command as a form: `FormState(FORMS["DecidePostponement"], action, values=..., fixed=...)` shown
   with `{% from "_form.html" import command_form %}{{ command_form(state, csrf) }}`; the POST handler
   checks `may_see`/`may_send`, then `sending.submit_form(...)`: accepted, or the form back with the
   Dutch explanation and the input kept (for htmx: `_form_fragment.html`). See `trajectory.take_step`.
5. A menu entry for the role in `navigation.HOMES`; a `PageType` in `tests/web/test_page_types.py`
   (axe-core and a screenshot); browser tests with the fixtures of `tests/web/conftest.py`.
"""

from __future__ import annotations

from interfaces.web.app import install
from interfaces.web.portal_documents import larger_bodies

__all__ = ["install", "larger_bodies"]
