"""The HTTP interface (`cbct serve`): the API under `/api`, ops endpoints, calendar feeds; one FastAPI app.

`app.create_app(runtime)` builds it on a bootstrapped `App` (the composition root stays `bootstrap()`);
each module holds one concept's routes: `commands`, `queries`, `auth` (sign-in, sessions, tokens),
`feeds` (iCalendar), `ops` (`/metrics`, `/healthz`, `/readyz`). Every error answer is a problem
document (RFC 9457, `problems`).
"""
