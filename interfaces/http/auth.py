"""Aanmelden: wachtwoord, eenmalige link, sessies en API-tokens."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

router = APIRouter()


def install(app: FastAPI) -> None:
    """Resolve the principal of every request (sets `app.state.resolve_principal`, see `deps`)."""
