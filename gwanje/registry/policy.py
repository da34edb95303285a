"""The published operation and management policy (영상정보처리기기 운영·관리 방침,
PIPA-2 / PIPA decree Art. 25), generated from the registry and the settings.

Invariants: the eight items of the decree appear in order; camera numbers come from the
registry at generation time (installed and linked cameras only: planned ones are not
operating, decommissioned ones no longer film); every sentence goes through i18n so the
Korean and English versions say the same thing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.auth.permissions import ROLE_PERMISSIONS, VIDEO_PERMISSIONS
from gwanje.i18n import translate
from gwanje.people.models import Department
from gwanje.registry.models import Camera, CameraStatus
from gwanje.registry.purposes import Purpose
from gwanje.settings import Settings

Tr = Callable[..., str]
OPERATING = (CameraStatus.INSTALLED.value, CameraStatus.LINKED.value)


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class PolicyDocument:
    language: str
    title: str
    generated_at: str
    total: int
    by_purpose: dict[str, int]
    by_district: dict[str, int]
    sections: list[Section]


def build_policy(
    session: Session, settings: Settings, now: datetime, language: str
) -> PolicyDocument:
    """The policy in `language` (ko or en) as of `now`."""
    cameras = list(session.scalars(select(Camera).where(Camera.status.in_(OPERATING))))
    by_purpose = Counter(p.value for c in cameras for p in c.purposes)
    by_district = Counter(c.district for c in cameras)
    reg = settings.registry
    city = reg.city_name_ko if language == "ko" else reg.city_name_en

    def t(key: str, **params: object) -> str:
        return translate(f"registry.policy.{key}", language, **params)

    local = now.astimezone(ZoneInfo(reg.timezone))
    sections = [
        _purpose_section(t, city, by_purpose, language),
        _count_section(t, cameras, by_district, language),
        _manager_section(t, session, language),
        Section(
            t("s4.title"),
            [
                t("s4.hours"),
                t("s4.retention", days=reg.retention_days),
                t("s4.storage", place=_center(reg, language)),
                t("s4.method"),
            ],
        ),
        Section(
            t("s5.title"), [t("s5.body", place=_center(reg, language), phone=reg.center_phone)]
        ),
        Section(t("s6.title"), [t("s6.body"), t("s6.police")]),
        Section(t("s7.title"), [t("s7.body")]),
        Section(t("s8.title"), [t("s8.body", date=local.date().isoformat())]),
    ]
    return PolicyDocument(
        language=language,
        title=t("title", city=city),
        generated_at=local.strftime("%Y-%m-%d %H:%M"),
        total=len(cameras),
        by_purpose=dict(by_purpose),
        by_district=dict(sorted(by_district.items())),
        sections=sections,
    )


def _center(reg: object, language: str) -> str:
    return str(getattr(reg, "center_location_ko" if language == "ko" else "center_location_en"))


def _purpose_section(t: Tr, city: str, by_purpose: Counter[str], language: str) -> Section:
    section = Section(t("s1.title"), [t("s1.basis", city=city), t("s1.purposes")])
    section.headers = [t("col.purpose"), t("col.count")]
    section.rows = [
        [translate(f"registry.purpose.{p.value}", language), str(by_purpose.get(p.value, 0))]
        for p in Purpose
    ]
    return section


def _count_section(
    t: Tr, cameras: list[Camera], by_district: Counter[str], language: str
) -> Section:
    section = Section(t("s2.title"), [t("s2.total", count=len(cameras)), t("s2.range")])
    section.headers = [t("col.district"), t("col.count"), t("col.purposes")]
    for district, count in sorted(by_district.items()):
        purposes = sorted(
            {p for c in cameras if c.district == district for p in c.purposes},
            key=list(Purpose).index,
        )
        names = ", ".join(translate(f"registry.purpose.{p.value}", language) for p in purposes)
        section.rows.append([district, str(count), names])
    return section


def _manager_section(t: Tr, session: Session, language: str) -> Section:
    dedicated = session.scalar(select(Department).where(Department.is_dedicated.is_(True)))
    name = (
        "-" if dedicated is None else (dedicated.name_ko if language == "ko" else dedicated.name_en)
    )
    viewers = [r for r, perms in ROLE_PERMISSIONS.items() if perms & VIDEO_PERMISSIONS]
    roles = ", ".join(translate(f"registry.role.{r.value}", language) for r in viewers)
    return Section(t("s3.title"), [t("s3.manager", department=name), t("s3.access", roles=roles)])
