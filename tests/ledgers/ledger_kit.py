"""Builders for ledger tests: a police request approved, replayed, exported, delivered,
reported and destroyed; an old segment purged by retention.

Playback and export are written as the console writes them (`video.playback` entry; an
`evidence_exports` row and its `evidence.exported` entry) without real video: the ledger
reads rows and audit entries, not files. The export path with real video is covered by
tests/console/test_export.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from registry.helpers import departments, make_camera
from retention.retention_kit import person, segment, store
from webclient import principal_for

from gwanje.audit import record
from gwanje.auth.permissions import Role
from gwanje.auth.principal import Principal
from gwanje.console.events import PlaybackStarted
from gwanje.context import Gwanje
from gwanje.governance.events import EvidenceExported
from gwanje.governance.models import AccessGrant, EvidenceExport
from gwanje.governance.provision import Provisions, Recipient
from gwanje.governance.requests import ItemInput, RequestInput, Requests
from gwanje.people.models import Pledge
from gwanje.registry.models import CameraStatus
from gwanje.retention.purge import purge_expired


def city(ctx: Gwanje) -> dict[str, Any]:
    d = departments(ctx)
    ids: dict[str, Any] = {
        "camera": make_camera(ctx, "LG-1", d["SAFETY"], CameraStatus.LINKED),
        "other": make_camera(ctx, "LG-2", d["TRAFFIC"], CameraStatus.LINKED),
    }
    for name in ("kang", "yoon", "choi"):
        ids[name] = person(ctx, name)
    now = ctx.clock.now()
    with ctx.transaction() as session:  # choi signed the security pledge (ORD-14.4)
        session.add(Pledge(person_id=ids["choi"], signed_at=now - timedelta(days=10),
                           valid_until=None, document_ref="서약-1", recorded_at=now))  # fmt: skip
    return ids


def police(ids: dict[str, Any]) -> Principal:
    return principal_for(Role.POLICE_LIAISON, person_id=ids["kang"], username="kang")


def operator(ids: dict[str, Any]) -> Principal:
    return principal_for(Role.OPERATOR, person_id=ids["choi"], username="choi")


def approved_request(ctx: Gwanje, ids: dict[str, Any], kind: str = "copy") -> tuple[int, int]:
    """A police request for LG-1 over the hour before last, approved for choi."""
    end = ctx.clock.now() - timedelta(hours=1)
    data = RequestInput(
        requester_kind="police", requester_org="여수경찰서", requester_name="강경찰",
        requester_contact="061-000-1234", requester_rank="경위", kind=kind,
        legal_basis="investigation",
        purpose="절도 사건 용의자 동선 확인", letter_no="여수서 형사과-2026-501",
        crime_type="절도", items=(ItemInput("LG-1", end - timedelta(hours=1), end),),
    )  # fmt: skip
    approver = principal_for(Role.APPROVER, person_id=ids["yoon"], username="yoon")
    with ctx.transaction() as session:
        request_id = Requests(session, ctx.settings, ctx.clock, police(ids)).submit(data).id
    with ctx.transaction() as session:
        grant = Requests(session, ctx.settings, ctx.clock, approver).approve(request_id, ["choi"])
        return request_id, grant.id


def played_back(ctx: Gwanje, ids: dict[str, Any], request_id: int, grant_id: int) -> None:
    end = ctx.clock.now() - timedelta(hours=1)
    with ctx.transaction() as session:
        record(session, PlaybackStarted(
            actor=operator(ids).actor, camera_ids=(ids["camera"],),
            range_start=end - timedelta(minutes=30), range_end=end, code="LG-1", stream="main",
            grant_id=grant_id, request_id=request_id, served_from=end - timedelta(minutes=30),
        ), ctx.clock)  # fmt: skip


def exported(ctx: Gwanje, ids: dict[str, Any], request_id: int) -> int:
    now, end = ctx.clock.now(), ctx.clock.now() - timedelta(hours=1)
    with ctx.transaction() as session:
        grant = session.query(AccessGrant).filter_by(request_id=request_id).one()
        row = EvidenceExport(
            grant_id=grant.id, request_id=request_id, camera_id=ids["camera"], stream="main",
            range_start=end - timedelta(minutes=30), range_end=end, created_by=ids["choi"],
            created_at=now, expires_at=now + timedelta(days=10),
            package="evidence-20260105T010000-LG-1-abcd.zip", package_sha256="0" * 64,
            encrypted=True, state="ready",
        )  # fmt: skip
        session.add(row)
        session.flush()
        record(session, EvidenceExported(
            actor=operator(ids).actor, camera_ids=(ids["camera"],), range_start=row.range_start,
            range_end=row.range_end, export_id=row.id, request_id=request_id,
            grant_id=grant.id, package_sha256=row.package_sha256, encrypted=True,
            expires_at=row.expires_at, key_id="k",
        ), ctx.clock)  # fmt: skip
        return row.id


def provided(ctx: Gwanje, ids: dict[str, Any], export_id: int, destroy: bool = True) -> int:
    """Delivered to the police, result reported (an arrest), destruction confirmed."""

    def service(session: Any) -> Provisions:
        return Provisions(session, ctx.settings, ctx.clock, operator(ids))

    with ctx.transaction() as session:
        provision_id = (
            service(session)
            .deliver(
                export_id,
                Recipient("여수경찰서 형사과 강경찰", "경위", "061-000-1234", pledge=True),
                "in_person",
                "수령증 77",
            )
            .id
        )
    ctx.clock.advance(timedelta(days=2))
    with ctx.transaction() as session:
        service(session).report_result(provision_id, "피의자 검거", arrest=True)
    if destroy:
        ctx.clock.advance(timedelta(days=1))
        with ctx.transaction() as session:
            service(session).confirm_destroyed(provision_id, "영상 파일 삭제 확인서 수령")
    return provision_id


def purged(ctx: Gwanje, ids: dict[str, Any], days_ago: int = 40) -> None:
    """An old segment of LG-1, destroyed by the retention purge (파기)."""
    segment(ctx, store(ctx), ids["camera"], ctx.clock.now() - timedelta(days=days_ago))
    summary = purge_expired(ctx)
    assert summary.segments >= 1


def at(ctx: Gwanje) -> datetime:
    return ctx.clock.now()
