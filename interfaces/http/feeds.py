"""Agenda-feeds (iCalendar) op geheime URL's."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
