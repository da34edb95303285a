"""The demo city's cameras and emergency bells (a Yeosu-like city).

`seed(session, clock, cameras)` is idempotent: cameras and bells are keyed by their
management numbers (YS-CAM-0001 ..., YS-BELL-001 ...) and existing ones are left alone.
Every camera goes through the same service and checks as real data, so the demo can
never hold a record the ordinance would refuse. Stream URLs point at the camera
simulator (rtsp://127.0.0.1:8554/camN/main and /sub).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gwanje.clock import Clock
from gwanje.people.sample_city import ensure_departments
from gwanje.registry.models import Camera, CameraStatus, EmergencyBell
from gwanje.registry.purposes import Purpose
from gwanje.registry.schemas import BellCreate, CameraCreate
from gwanje.registry.service import Registry, system_principal
from gwanje.settings import Mode, Settings

# District (읍면동), centre latitude, longitude, a landmark for names.
DISTRICTS: tuple[tuple[str, float, float, str], ...] = (
    ("중앙동", 34.7400, 127.7370, "이순신광장"),
    ("여서동", 34.7560, 127.7120, "여서로"),
    ("문수동", 34.7575, 127.6990, "문수초교"),
    ("미평동", 34.7700, 127.7000, "미평공원"),
    ("둔덕동", 34.7660, 127.6860, "둔덕삼거리"),
    ("만덕동", 34.7475, 127.7265, "만덕시장"),
    ("쌍봉동", 34.7680, 127.6600, "학동사거리"),
    ("시전동", 34.7555, 127.6700, "선소공원"),
    ("여천동", 34.7720, 127.6450, "여천역"),
    ("돌산읍", 34.7050, 127.7410, "돌산공원"),
    ("소라면", 34.7850, 127.6250, "덕양시장"),
    ("율촌면", 34.8600, 127.5900, "율촌산단"),
    ("화양면", 34.6950, 127.6300, "화양농공단지"),
    ("남면", 34.6300, 127.7600, "화태대교"),
)
# Purpose sets, and the department that owns cameras bought for them.
PURPOSE_SETS: tuple[tuple[tuple[Purpose, ...], str], ...] = (
    ((Purpose.CRIME_PREVENTION,), "SAFETY"),
    ((Purpose.CRIME_PREVENTION, Purpose.ILLEGAL_DUMPING), "ENV"),
    ((Purpose.TRAFFIC_INFO,), "TRAFFIC"),
    ((Purpose.ILLEGAL_PARKING, Purpose.PARKING), "PARKING"),
    ((Purpose.CRIME_PREVENTION, Purpose.DISASTER), "SAFETY"),
    ((Purpose.FACILITY, Purpose.CRIME_PREVENTION), "FACILITY"),
)
CONTRACTORS = (("(주)남도정보통신", "전남-2019-0132"), ("여수네트웍스", "전남-2015-0077"))


def seed(session: Session, clock: Clock, cameras: int = 48, rtsp_port: int = 8554) -> None:
    """Create the demo cameras and bells that do not exist yet; point every demo camera's
    streams at the camera simulator on `rtsp_port`."""
    departments = ensure_departments(session)
    registry = Registry(session, Settings(mode=Mode.DEMO), clock, system_principal("demo"))
    rng = random.Random(20261125)  # noqa: S311 - a reproducible city, not a secret
    created: list[int] = []
    for number in range(1, cameras + 1):
        plan = _plan(number, rng, clock)  # draw even when skipping, to keep later rows stable
        code = f"YS-CAM-{number:04d}"
        existing = registry.by_code(code)
        if existing is not None:
            _point_at_simulator(existing, number, rtsp_port)
            created.append(existing.id)
            continue
        data, status, unlinked, owner = plan
        data = data.model_copy(update={"code": code, "department_id": departments[owner].id})
        camera = registry.create(data, status)
        if unlinked is not None:
            camera.unlinked_reason, camera.unlinked_note = unlinked
        _point_at_simulator(camera, number, rtsp_port)
        created.append(camera.id)
    _seed_bells(session, registry, created)


def _point_at_simulator(camera: Camera, number: int, rtsp_port: int) -> None:
    if camera.main_stream_url and camera.main_stream_url.startswith("rtsp://127.0.0.1:"):
        camera.main_stream_url = f"rtsp://127.0.0.1:{rtsp_port}/cam{number}/main"
        camera.sub_stream_url = f"rtsp://127.0.0.1:{rtsp_port}/cam{number}/sub"


def _plan(
    number: int, rng: random.Random, clock: Clock
) -> tuple[CameraCreate, CameraStatus, tuple[str, str] | None, str]:
    district, lat, lon, landmark = DISTRICTS[(number - 1) % len(DISTRICTS)]
    purposes, owner = PURPOSE_SETS[rng.randrange(len(PURPOSE_SETS))]
    today = clock.now().date()
    age_years = rng.randint(1, 9)
    installed = today - timedelta(days=365 * age_years + rng.randint(0, 300))
    status, unlinked = _status_of(number)
    contractor, reg_no = CONTRACTORS[number % 2]
    values: dict[str, object] = {
        "code": "YS-CAM-0000",
        "name": f"{district} {landmark} {number}",
        "district": district,
        "address": f"전라남도 여수시 {district} {landmark} 일원",
        "latitude": round(lat + rng.uniform(-0.006, 0.006), 6),
        "longitude": round(lon + rng.uniform(-0.007, 0.007), 6),
        "department_id": 0,
        "installer_body": "여수시",
        "installer_reason": "주민 요청 및 범죄·사고 예방",
        "purposes": list(purposes),
        "model": rng.choice(("HIK DS-2CD2T47", "Hanwha XNO-8080R", "IDIS DC-T4537")),
        "firmware_version": f"V{rng.randint(2, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
        "kc_cert_no": f"R-R-HW-{rng.randint(10000, 99999)}",
        "security_cert_no": f"SC-{rng.randint(2018, 2025)}-{rng.randint(100, 999)}",
        "main_stream_url": f"rtsp://127.0.0.1:8554/cam{number}/main",
        "sub_stream_url": f"rtsp://127.0.0.1:8554/cam{number}/sub",
    }
    if status is CameraStatus.PLANNED:
        return CameraCreate.model_validate(values), status, None, owner
    values.update(
        consultation_date=installed - timedelta(days=60),
        consultation_experts="전문가 2인: 설치 위치 적정, 사생활 침해 우려 낮음",
        consultation_residents="주민 설명회 23명 참석, 설치 찬성 다수",
    )
    if status is CameraStatus.CONSULTED:
        return CameraCreate.model_validate(values), status, None, owner
    values.update(
        std_standard_product=True,
        std_multi_purpose=True,
        std_integrable=True,
        install_contractor=contractor,
        install_contractor_reg_no=reg_no,
        installed_on=installed,
        end_of_life_on=_end_of_life(number, installed, today),
    )
    if number % 4 == 1:  # ORD-26.1: a neighbouring window masked on every view
        values["privacy_masks"] = [[[0.62, 0.08], [0.9, 0.08], [0.9, 0.34], [0.62, 0.34]]]
    if number % 10 != 7:  # ORD-9: a few cameras still lack signage (flagged)
        values.update(_signage(district, landmark, installed, purposes))
    return CameraCreate.model_validate(values), status, unlinked, owner


def _status_of(number: int) -> tuple[CameraStatus, tuple[str, str] | None]:
    if number % 12 == 0:
        return CameraStatus.PLANNED, None
    if number % 16 == 8:
        return CameraStatus.CONSULTED, None
    if number % 10 == 3:
        reason = (
            ("inefficiency", "섬 지역 회선 미비로 연계 비용 과다")
            if number % 20 == 3
            else ("national_security", "군사시설 인접 지역으로 관계기관 협의 결과 미연계")
        )
        return CameraStatus.INSTALLED, reason
    if number % 10 == 7:
        return CameraStatus.INSTALLED, None
    return CameraStatus.LINKED, None


def _end_of_life(number: int, installed: date, today: date) -> date:
    if number % 9 == 0:  # some are past their service life (flagged)
        return today - timedelta(days=30 + number)
    return installed + timedelta(days=365 * 10)


def _signage(
    district: str, landmark: str, installed: date, purposes: tuple[Purpose, ...]
) -> dict[str, object]:
    return {
        "signage_installed_on": installed,
        "signage_purpose": "·".join(p.value for p in purposes),
        "signage_location": f"{district} {landmark}",
        "signage_range": "반경 50m (360° 회전)",
        "signage_hours": "24시간",
        "signage_manager_name": "여수시 스마트도시과장",
        "signage_manager_contact": "061-659-0000",
    }


def _seed_bells(session: Session, registry: Registry, camera_ids: list[int]) -> None:
    """One emergency bell per eight cameras, each popping up its nearest camera."""
    for index, camera_id in enumerate(camera_ids[::8], start=1):
        code = f"YS-BELL-{index:03d}"
        if session.scalar(select(EmergencyBell.id).where(EmergencyBell.code == code)) is not None:
            continue
        camera = registry.get(camera_id)
        registry.save_bell(
            BellCreate(
                code=code,
                location=camera.address,
                latitude=camera.latitude,
                longitude=camera.longitude,
                gateway=f"bell-gw-{index:02d}.local",
                protocol="SIP",
                camera_ids=[camera_id],
            )
        )
