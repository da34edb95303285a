"""Camera purposes (설치목적, ORD-7) and the purpose schedule (ORD-16.2).

Invariants:
- a purpose is one of the closed list of ORD-7; anything else is refused here, in the
  schemas and by a CHECK constraint in the database;
- outside the day schedule (nights) and on weekends every camera is also monitored for
  crime prevention (ORD-16.2); the schedule is evaluated in the city's local time zone,
  never in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from gwanje.errors import InvalidInput
from gwanje.registry.config import RegistrySettings


class Purpose(StrEnum):
    """The closed list of lawful purposes (ORD-7)."""

    CRIME_PREVENTION = "crime_prevention"  # 방범
    ILLEGAL_DUMPING = "illegal_dumping"  # 쓰레기 투기방지
    PARKING = "parking"  # 주차관리
    TRAFFIC_INFO = "traffic_info"  # 교통정보 수집
    ILLEGAL_PARKING = "illegal_parking"  # 불법주정차 단속
    DISASTER = "disaster"  # 재난·재해예방
    FACILITY = "facility"  # 시설물 관리


# Korean names as they appear in office inventories (CSV import accepts either form).
KOREAN_NAMES: dict[Purpose, str] = {
    Purpose.CRIME_PREVENTION: "방범",
    Purpose.ILLEGAL_DUMPING: "쓰레기 투기방지",
    Purpose.PARKING: "주차관리",
    Purpose.TRAFFIC_INFO: "교통정보 수집",
    Purpose.ILLEGAL_PARKING: "불법주정차 단속",
    Purpose.DISASTER: "재난·재해예방",
    Purpose.FACILITY: "시설물 관리",
}
_BY_KOREAN = {"".join(v.split()).replace("·", ""): k for k, v in KOREAN_NAMES.items()}


def parse_purpose(value: str) -> Purpose:
    """One purpose from its code or Korean name; refuses anything off the ORD-7 list."""
    cleaned = value.strip()
    try:
        return Purpose(cleaned.lower())
    except ValueError:
        pass
    compact = "".join(cleaned.split()).replace("·", "")
    if compact in _BY_KOREAN:
        return _BY_KOREAN[compact]
    raise InvalidInput("registry.error.purpose_unknown", value=cleaned)


def parse_purposes(values: Iterable[str]) -> list[Purpose]:
    """Several purposes, deduplicated, in ORD-7 order; at least one is required."""
    chosen = {parse_purpose(v) for v in values if v.strip()}
    if not chosen:
        raise InvalidInput("registry.error.purpose_required")
    return [p for p in Purpose if p in chosen]


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def is_day(at_utc: datetime, settings: RegistrySettings) -> bool:
    """True on a weekday between `day_starts` and `night_starts`, local time (ORD-16.2)."""
    if at_utc.tzinfo is None:
        raise ValueError("effective purposes need an aware datetime")
    local = at_utc.astimezone(ZoneInfo(settings.timezone))
    if local.weekday() >= 5:
        return False
    now = local.time()
    return _clock_time(settings.day_starts) <= now < _clock_time(settings.night_starts)


def effective_purposes_of(
    purposes: Iterable[Purpose], at_utc: datetime, settings: RegistrySettings
) -> list[Purpose]:
    """The purposes in force at `at_utc`: own ones by day, plus crime prevention otherwise."""
    own = set(purposes)
    if not is_day(at_utc, settings):
        own.add(Purpose.CRIME_PREVENTION)  # ORD-16.2
    return [p for p in Purpose if p in own]
