"""Vragen aan de leesmodellen: trajecten, deadlines, uitstel, register, vastgelopen trajecten, rapport."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
