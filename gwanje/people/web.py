"""HTTP routes of the people subsystem (HTML pages and /api/ JSON)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
