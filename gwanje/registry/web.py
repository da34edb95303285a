"""HTTP routes of the registry subsystem (HTML pages and /api/ JSON)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
