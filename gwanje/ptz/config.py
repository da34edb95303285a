"""Settings of PTZ control."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PtzSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command_timeout_s: float = Field(
        5.0, gt=0, le=60, description="How long a camera may take to answer one PTZ command."
    )
    max_continuous_s: float = Field(
        5.0,
        gt=0,
        le=60,
        description="The longest one continuous move may run (and never past the purpose "
        "area's edge without a reason).",
    )
    sweep_interval_s: float = Field(
        10.0, gt=0, description="How often idle cameras are checked and sent home."
    )
