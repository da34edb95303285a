"""Settings of sharing and federation (ORD-14.2, 21, 23)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SharingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    center_name: str = Field(
        "gwanje",
        pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
        description="This center's name as peers know it (X-Gwanje-Peer on signed requests).",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where recipients and peer centers reach this center (share URLs).",
    )
    max_share_hours: float = Field(
        24.0, gt=0, le=24 * 7, description="Longest a share may run before it must be renewed."
    )
    revocation_check_s: float = Field(
        1.0, gt=0, le=5, description="How often an open shared stream re-checks its share."
    )
    hls_idle_s: float = Field(
        30.0, gt=0, description="An HLS session nobody fetched for this long is stopped."
    )
    hls_segment_s: float = Field(2.0, gt=0, le=10, description="Target HLS segment length.")
    signature_tolerance_s: float = Field(
        300.0, gt=0, le=3600, description="How far a signed request's clock may be off."
    )
    push_interval_s: float = Field(2.0, gt=0, description="How often events are pushed to peers.")
    push_timeout_s: float = Field(10.0, gt=0, description="Per federation request.")
    push_max_attempts: int = Field(8, ge=1, le=50, description="Attempts before an event fails.")
    push_retry_base_s: float = Field(5.0, gt=0, description="First retry delay; doubles each time.")
