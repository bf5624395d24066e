"""What every route depends on: the bootstrapped runtime, and the signed-in principal.

`current_principal` is resolved by `interfaces/http/auth.py` (session cookie, `Authorization: Bearer`
API token, or a one-time link's session); routes never read identity from the request body. Tests of a
single router may override it (`app.dependency_overrides[current_principal]`); the authorization-matrix
test does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from application.access import Principal, Role
from interfaces.http.problems import Problem

if TYPE_CHECKING:
    from bootstrap import App


def runtime(request: Request) -> App:
    """The process's `App` (pool, store, service, projections, Temporal access), set by `create_app`."""
    app: App = request.app.state.cbct
    return app


async def current_principal(request: Request) -> Principal:
    """The signed-in principal; 401 when there is none. Replaced at start-up by `auth.resolve_principal`."""
    resolver = getattr(request.app.state, "resolve_principal", None)
    if resolver is None:
        raise Problem(401, "Meld u aan.")
    principal: Principal | None = await resolver(request)
    if principal is None:
        raise Problem(401, "Meld u aan.", headers={"WWW-Authenticate": 'Bearer realm="cbct"'})
    return principal


async def _runtime_dependency(request: Request) -> Any:
    """`runtime` as a dependency. Async on purpose: FastAPI runs a plain `def` dependency in its thread
    pool, a thread hop on every request for a mere attribute read (measured in bench/http.py)."""
    return runtime(request)


Runtime = Annotated[Any, Depends(_runtime_dependency)]  # `App` at run time (Any: bootstrap is imported lazily)
Signed = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> Any:
    """Dependency: the principal, 403 unless its role is one of `roles`."""

    async def dependency(principal: Signed) -> Principal:
        if principal.role not in roles:
            raise Problem(403, "Uw rol mag dit niet.")
        return principal

    return Depends(dependency)
