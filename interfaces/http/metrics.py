"""`/metrics`: the Prometheus exposition of `infrastructure.metrics.REGISTRY` (for ops)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
