"""Camera registry settings (section `registry` of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RegistrySettings(BaseModel):
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
