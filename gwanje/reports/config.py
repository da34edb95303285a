"""Settings of the center's reports (section `reports` of the settings tree)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ReportsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(
        "여수시 CCTV 통합관제센터", description="Issuer printed on every report page."
    )
    night_start_hour: int = Field(
        22, ge=0, le=23, description="PIPA-3 review: local hour at which night begins."
    )
    night_end_hour: int = Field(
        6, ge=0, le=23, description="PIPA-3 review: local hour at which night ends."
    )
    bulk_exports_per_day: int = Field(
        5, ge=1, description="PIPA-3 review: this many exports by one account in a day is bulk."
    )
    bulk_export_minutes_per_day: int = Field(
        240,
        ge=1,
        description="PIPA-3 review: this many minutes of exported video by one account in "
        "a day is bulk.",
    )
    denials_per_day: int = Field(
        5, ge=1, description="PIPA-3 review: this many refusals of one account in a day."
    )
    access_request_days: int = Field(
        7,
        ge=1,
        description="ORD-13 inspection: a submitted access request waiting longer is overdue.",
    )
    docs_dir: Path | None = Field(
        None,
        description="Where REQUIREMENTS.md (docs/ordinance/) and compliance.md are read "
        "for the inspection report; default: the docs/ folder beside the package.",
    )
