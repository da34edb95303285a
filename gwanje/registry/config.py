"""Camera registry settings (section `registry` of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RegistrySettings(BaseModel):
    """Camera registry settings: schedule (ORD-16.2), policy (PIPA-2) and map options."""

    model_config = ConfigDict(extra="forbid")

    city_name_ko: str = Field("여수시", description="City name in Korean, for the policy.")
    city_name_en: str = Field("Yeosu City", description="City name in English.")
    day_starts: str = Field(
        "07:00", pattern=r"^\d\d:\d\d$", description="Local time the day schedule starts."
    )
    night_starts: str = Field(
        "22:00",
        pattern=r"^\d\d:\d\d$",
        description="Local time the night schedule starts; nights and weekends add "
        "crime prevention to every camera's purposes (ORD-16.2).",
    )
    timezone: str = Field("Asia/Seoul", description="Local time zone for schedules.")
    retention_days: int = Field(
        30, ge=1, le=30, description="Video retention stated in the policy (ORD-31.1: at most 30)."
    )
    center_location_ko: str = Field(
        "여수시 CCTV 통합관제센터", description="Where video is stored and can be checked (ko)."
    )
    center_location_en: str = Field(
        "Yeosu CCTV Integrated Control Center",
        description="Where video is stored and can be checked (en).",
    )
    center_phone: str = Field("061-000-0000", description="Contact number printed in the policy.")
    map_tile_url: str | None = Field(
        None,
        description="Optional XYZ tile server URL template for the camera map "
        "(e.g. a local tile server); unused by default: the map draws an offline basemap.",
    )
