"""Builders for camera-health tests: contractor companies with their accounts, staff,
linked cameras with a maintainer, and health rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from people.people_kit import ADMIN, person, post
from people.people_kit import departments as people_departments
from registry.helpers import departments, make_camera

from gwanje.auth.permissions import Role
from gwanje.camhealth.models import ContractorMember
from gwanje.camhealth.tickets import Maintenance
from gwanje.context import Gwanje
from gwanje.media.camsim.harness import CamsimHandle
from gwanje.media.models import CameraHealthEvent
from gwanje.media.recorder.supervisor import Recorder
from gwanje.people.service import appoint
from gwanje.registry.models import CameraStatus, Contractor


@dataclass(frozen=True)
class Center:
    cameras: list[int]
    company: int  # the contractor company maintaining the cameras
    other_company: int
    contractor: int  # person id of an account of `company`
    outsider: int  # person id of an account of `other_company`
    manager: int  # person id of a general manager


def center(ctx: Gwanje, cameras: int = 2, url: str = "rtsp://127.0.0.1:1/cam{n}/{s}") -> Center:
    dept = next(iter(departments(ctx).values()))
    ids = [
        make_camera(
            ctx,
            f"HC-{n:03d}",
            dept,
            CameraStatus.LINKED,
            main_stream_url=url.format(n=n, s="main"),
            sub_stream_url=url.format(n=n, s="sub"),
        )
        for n in range(1, cameras + 1)
    ]
    with ctx.transaction() as session:
        names = (("한빛정보통신(주)", "전남-2020-0001"), ("다른업체", "전남-2020-0002"))
        companies = [Contractor(name=n, registration_number=r) for n, r in names]
        session.add_all(companies)
        session.flush()
        fixer = person(session, ctx.clock, "fixer", Role.CONTRACTOR, kind="contractor")
        outsider = person(session, ctx.clock, "outsider", Role.CONTRACTOR, kind="contractor")
        manager = person(session, ctx.clock, "boss")
        center_dept = next(d for d in people_departments(session).values() if d.is_dedicated)
        gm_post = post(session, ctx.clock, "GM_HEALTH", Role.GENERAL_MANAGER, center_dept)
        appoint(session, ctx.clock, ADMIN, manager.id, gm_post.id)
        session.add_all(
            [
                ContractorMember(person_id=fixer.id, contractor_id=companies[0].id),
                ContractorMember(person_id=outsider.id, contractor_id=companies[1].id),
            ]
        )
        service = Maintenance(session, ctx.settings, ctx.clock, None)
        for camera_id in ids:
            service.assign_maintainer(camera_id, companies[0].id)
        return Center(ids, companies[0].id, companies[1].id, fixer.id, outsider.id, manager.id)


@dataclass
class Recording:
    ctx: Gwanje
    sim: CamsimHandle
    center: Center
    recorder: Recorder


def health_row(ctx: Gwanje, camera_id: int, channel: str, state: str, at: datetime) -> None:
    with ctx.transaction() as session:
        session.add(
            CameraHealthEvent(camera_id=camera_id, stream=channel, at=at, state=state, detail="")
        )
