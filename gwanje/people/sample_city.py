"""The departments of the demo city (a Yeosu-like city), shared by every demo seed.

`ensure_departments` is idempotent: it creates missing departments by code and leaves
existing ones alone, so the people and registry seeds can run in any order.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.people.models import Department

# (code, Korean name, English name, dedicated department of the center? ORD-4)
DEMO_DEPARTMENTS: tuple[tuple[str, str, str, bool], ...] = (
    ("SMARTCITY", "스마트도시과", "Smart City Division (control center)", True),
    ("SAFETY", "안전총괄과", "Safety Management Division", False),
    ("TRAFFIC", "교통과", "Transportation Division", False),
    ("PARKING", "주차관리과", "Parking Management Division", False),
    ("ENV", "자원순환과", "Resource Recycling Division", False),
    ("FACILITY", "공원녹지과", "Parks and Green Spaces Division", False),
    ("POLICE", "여수경찰서", "Yeosu Police Station (liaison)", False),
)


def ensure_departments(session: Session) -> dict[str, Department]:
    """Create the demo departments that are missing; return all of them by code."""
    existing = {d.code: d for d in session.scalars(select(Department))}
    for code, name_ko, name_en, dedicated in DEMO_DEPARTMENTS:
        if code not in existing:
            department = Department(
                code=code, name_ko=name_ko, name_en=name_en, is_dedicated=dedicated
            )
            session.add(department)
            existing[code] = department
    session.flush()
    return existing
