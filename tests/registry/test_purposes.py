"""ORD-7 closed purpose list and the ORD-16.2 day/night/weekend schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from gwanje.clock import FakeClock
from gwanje.errors import InvalidInput
from gwanje.registry.config import RegistrySettings
from gwanje.registry.purposes import Purpose, effective_purposes_of, parse_purpose, parse_purposes
from gwanje.registry.schemas import CameraCreate

SEOUL = ZoneInfo("Asia/Seoul")
SETTINGS = RegistrySettings()


def test_closed_list_has_exactly_the_seven_ordinance_purposes() -> None:
    assert {p.value for p in Purpose} == {
        "crime_prevention",
        "illegal_dumping",
        "parking",
        "traffic_info",
        "illegal_parking",
        "disaster",
        "facility",
    }


@pytest.mark.parametrize(
    "text", ["방범", "쓰레기 투기방지", "재난·재해예방", "불법주정차단속", "PARKING"]
)
def test_korean_and_code_names_are_accepted(text: str) -> None:
    assert parse_purpose(text) in set(Purpose)


@pytest.mark.parametrize("text", ["marketing", "감시", "face_recognition", ""])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_purposes([text])


def test_schema_refuses_unknown_purpose() -> None:
    with pytest.raises(ValidationError):
        CameraCreate(
            code="YS-1",
            name="n",
            district="d",
            address="a",
            department_id=1,
            installer_body="b",
            purposes=["crime_prevention", "advertising"],
        )  # type: ignore[list-item]


def _at(local: datetime) -> datetime:
    return local.replace(tzinfo=SEOUL).astimezone(UTC)


def test_weekday_daytime_keeps_own_purposes() -> None:
    # Monday 2026-01-05 10:00 KST
    at = _at(datetime(2026, 1, 5, 10, 0))
    assert effective_purposes_of([Purpose.PARKING], at, SETTINGS) == [Purpose.PARKING]


def test_weekday_night_adds_crime_prevention() -> None:
    at = _at(datetime(2026, 1, 5, 23, 30))
    assert effective_purposes_of([Purpose.PARKING], at, SETTINGS) == [
        Purpose.CRIME_PREVENTION,
        Purpose.PARKING,
    ]


def test_early_morning_before_day_start_is_night() -> None:
    at = _at(datetime(2026, 1, 6, 6, 59))
    assert Purpose.CRIME_PREVENTION in effective_purposes_of([Purpose.TRAFFIC_INFO], at, SETTINGS)
    at = _at(datetime(2026, 1, 6, 7, 0))
    assert effective_purposes_of([Purpose.TRAFFIC_INFO], at, SETTINGS) == [Purpose.TRAFFIC_INFO]


def test_weekend_daytime_adds_crime_prevention() -> None:
    at = _at(datetime(2026, 1, 10, 12, 0))  # Saturday
    assert Purpose.CRIME_PREVENTION in effective_purposes_of([Purpose.FACILITY], at, SETTINGS)


def test_schedule_uses_local_time_not_utc() -> None:
    # 2026-01-05 02:00 UTC is Monday 11:00 in Seoul: day, even though it is night in UTC.
    clock = FakeClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    assert effective_purposes_of([Purpose.PARKING], clock.now(), SETTINGS) == [Purpose.PARKING]
    clock.advance(timedelta(hours=12))  # 23:00 Seoul
    assert Purpose.CRIME_PREVENTION in effective_purposes_of(
        [Purpose.PARKING], clock.now(), SETTINGS
    )


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        effective_purposes_of([Purpose.PARKING], datetime(2026, 1, 5, 10), SETTINGS)
