"""Audit ledger settings (section `audit` of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuditSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkpoint_every: int = Field(
        1_000,
        ge=1,
        description="Write a signed (Ed25519) checkpoint after this many entries.",
    )
    access_record_years: int = Field(
        2, ge=2, description="Keep access records at least this many years (PIPA-3)."
    )
