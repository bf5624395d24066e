"""Commando's: één endpoint per stap van een traject (POST), met `Idempotency-Key`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
