"""Aanmelden: wachtwoord, eenmalige link, sessies en API-tokens."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
