"""HTTP routes of the auth subsystem (HTML pages and /api/ JSON)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
